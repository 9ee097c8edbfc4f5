import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvidenceCollector, evidenceQueries } from '../src/alerts/evidence.ts';
import type { AlertmanagerAlert } from '../src/alerts/payload.ts';
import { startRetention } from '../src/alerts/retention.ts';
import { GroupCommit, QueueClosedError } from '../src/alerts/store/group-commit.ts';
import { openSqliteStore } from '../src/alerts/store/sqlite/store.ts';
import type { AlertStore } from '../src/alerts/store/store.ts';
import { createPrometheusClient } from '../src/prometheus/client.ts';
import { checkPromql } from '../src/promql/parse.ts';
import { firstLookQueries } from '../src/runbooks/context.ts';
import { loadSpecs } from '../src/spec/load.ts';
import { until } from './support/wait.ts';

/** What the webhook does around its answer: group commit, evidence capture, retention. */

const { slos } = loadSpecs(['slos']);
const search = slos.find((s) => s.service === 'search');
const fast = search?.alerting.tiers[0];
if (!search || !fast) throw new Error('search/tenant-availability missing from slos/');

describe('group commit', () => {
  function recorder(fail: (items: readonly string[]) => boolean = () => false, transient = false) {
    const commits: string[][] = [];
    const queue = new GroupCommit<string, string>({
      commit: async (items) => {
        if (fail(items)) throw Object.assign(new Error('disk on fire'), { transient });
        commits.push([...items]);
        return items.map((item) => `${item}!`);
      },
      maxBatch: 3,
      retrySingly: (error) => !(error as { transient: boolean }).transient,
    });
    return { commits, queue };
  }

  it('commits what arrived in the same turn together and answers each with its own result', async () => {
    const { commits, queue } = recorder();
    const results = await Promise.all(['a', 'b'].map((item) => queue.submit(item)));
    expect(results).toEqual(['a!', 'b!']);
    expect(await queue.submit('c')).toBe('c!');
    expect(commits).toEqual([['a', 'b'], ['c']]);
  });

  it('commits at once when maxBatch wait, so no transaction grows without bound', async () => {
    const { commits, queue } = recorder();
    await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((item) => queue.submit(item)));
    expect(commits).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
  });

  it('commits one batch at a time: what arrives during a commit waits for it and goes in the next', async () => {
    const commits: string[][] = [];
    let release = () => {};
    const queue = new GroupCommit<string, string>({
      commit: async (items) => {
        commits.push([...items]);
        if (items.includes('a')) await new Promise<void>((resolve) => (release = resolve));
        return [...items];
      },
      maxBatch: 10,
      retrySingly: () => false,
    });
    const first = queue.submit('a');
    await sleep(5);
    const later = ['b', 'c'].map((item) => queue.submit(item));
    await sleep(5);
    expect(commits).toEqual([['a']]);
    release();
    expect(await Promise.all([first, ...later])).toEqual(['a', 'b', 'c']);
    expect(commits).toEqual([['a'], ['b', 'c']]);
  });

  it('retries a failed batch item by item, so one poisoned body fails alone', async () => {
    const { commits, queue } = recorder((items) => items.includes('poison'));
    const results = await Promise.allSettled(['a', 'poison', 'b'].map((item) => queue.submit(item)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(commits).toEqual([['a'], ['b']]);
  });

  it('fails the whole batch at once on a transient error: each request gets its 5xx without waiting', async () => {
    const { commits, queue } = recorder(() => true, true);
    const results = await Promise.allSettled(['a', 'b'].map((item) => queue.submit(item)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(commits).toEqual([]);
  });

  it('on close, commits what waits and refuses anything after', async () => {
    const { commits, queue } = recorder();
    const waiting = queue.submit('last');
    await queue.close();
    expect(commits).toEqual([['last']]);
    expect(await waiting).toBe('last!');
    await expect(queue.submit('late')).rejects.toBeInstanceOf(QueueClosedError);
  });
});

describe('evidence', () => {
  let prometheus: Server;
  let url: string;
  let store: AlertStore;

  beforeAll(async () => {
    // Stands in for Prometheus: the confirm query hangs for the `slow` tenant, every other query answers.
    prometheus = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        const query = new URLSearchParams(body).get('query') ?? '';
        const confirm = query.includes('[5m]') && !query.includes('ignoring');
        if (query.includes('"slow"') && confirm) return;
        setTimeout(() => {
          response.setHeader('content-type', 'application/json');
          response.end(
            JSON.stringify({
              status: 'success',
              data: {
                resultType: 'vector',
                result: [{ metric: { tenant: 'acme', '<b>': '"x"' }, value: [1, 'NaN'] }],
              },
            }),
          );
        }, 30);
      });
    });
    await new Promise<void>((resolve) => prometheus.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
    store = openSqliteStore({ dataDir: mkdtempSync(join(tmpdir(), 'burnbook-evidence-')) });
    await store.ready();
  });

  afterAll(async () => {
    await store?.close();
    prometheus?.closeAllConnections();
    await new Promise((resolve) => prometheus?.close(resolve));
  });

  it("narrows a groupBy SLO's first-look queries to the alert's group, and they still parse", () => {
    const queries = evidenceQueries(search, fast, { tenant: 'acme "quoted"', slo: 'tenant-availability' });
    const plain = firstLookQueries(search, fast);
    expect(queries.map((q) => q.title)).toEqual(plain.map((q) => q.title));
    for (const [i, query] of queries.entries()) {
      expect(query.expr).toBe(
        `(${plain[i]?.expr})\nand on (tenant)\nlabel_replace(vector(1), "tenant", "acme \\"quoted\\"", "", "")`,
      );
      expect(checkPromql(query.expr)).toBeUndefined();
    }
    // Without the label on the alert the query stays open rather than guessing.
    expect(evidenceQueries(search, fast, {}).map((q) => q.expr)).toEqual(plain.map((q) => q.expr));
  });

  it('runs each alert’s queries once in the background, bounded, and stores answers and errors in order', async () => {
    const firing = (tenant: string, i: number): AlertmanagerAlert => ({
      status: 'firing',
      labels: {
        alertname: 'tenant-availability-fast-burn',
        slo_service: 'search',
        slo: 'tenant-availability',
        slo_tier: 'fast',
        tenant,
      },
      annotations: {},
      startsAt: 1_700_000_000_000 + i,
      endsAt: null,
      generatorURL: '',
      fingerprint: `${tenant}-${i}`,
    });
    const tenants = ['slow', ...Array.from({ length: 9 }, (_, i) => `t${i}`)];
    const { newlyFiring } = await store.ingest({
      payload: {
        version: '4',
        groupKey: 'g',
        status: 'firing',
        receiver: 'burnbook',
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: '',
        alerts: [...tenants.map(firing), { ...firing('x', 99), labels: { alertname: 'NotOurs' } }],
      },
      receivedAt: Date.now(),
    });
    const client = createPrometheusClient({ url, timeoutMs: 300 });
    let inFlight = 0;
    let maxInFlight = 0;
    const collector = createEvidenceCollector({
      prometheus: {
        async query(expr) {
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          try {
            return await client.query(expr);
          } finally {
            inFlight--;
          }
        },
      },
      store,
      queriesOf: (alert) => (alert.labels.slo ? evidenceQueries(search, fast, alert.labels) : undefined),
      concurrency: 2,
    });
    collector.capture(newlyFiring);
    const queriesPerAlert = firstLookQueries(search, fast).length;
    const evidenceOf = async (id: number) => (await store.get(id))?.evidence ?? [];
    const ours = newlyFiring.filter((a) => a.labels.slo);
    await until(
      'evidence of every alert',
      async () => (await Promise.all(ours.map((a) => evidenceOf(a.id)))).map((e) => e.length),
      (counts) => counts.every((n) => n === queriesPerAlert),
    );
    collector.stop();

    expect(maxInFlight).toBeLessThanOrEqual(2 * queriesPerAlert);
    const notOurs = newlyFiring.find((a) => !a.labels.slo);
    expect(await evidenceOf(notOurs?.id ?? -1)).toEqual([]);

    const slow = await evidenceOf(ours[0]?.id ?? -1);
    expect(slow.map((e) => e.queryName)).toEqual(firstLookQueries(search, fast).map((q) => q.title));
    expect(slow[0]).toMatchObject({
      result: null,
      error: expect.stringMatching(/did not answer within 300 ms/),
    });
    expect(slow[1]).toMatchObject({
      error: null,
      result: { samples: [{ labels: { tenant: 'acme', '<b>': '"x"' }, value: 'NaN' }] },
    });
    expect(slow[1]?.expr).toContain('"tenant", "slow"');
  });
});

describe('retention', () => {
  it('prunes old resolved alerts in batches, keeping recent and firing ones', async () => {
    const store = openSqliteStore({ dataDir: mkdtempSync(join(tmpdir(), 'burnbook-retention-')) });
    const DAY = 86_400_000;
    const now = Date.now();
    const alert = (fingerprint: string, endedDaysAgo: number | null): AlertmanagerAlert => ({
      status: endedDaysAgo === null ? 'firing' : 'resolved',
      labels: { alertname: fingerprint },
      annotations: {},
      startsAt: now - 100 * DAY,
      endsAt: endedDaysAgo === null ? null : now - endedDaysAgo * DAY,
      generatorURL: '',
      fingerprint,
    });
    const old = Array.from({ length: 7 }, (_, i) => alert(`old-${i}`, 95));
    await store.ingest({
      payload: {
        version: '4',
        groupKey: 'g',
        status: 'resolved',
        receiver: 'burnbook',
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: '',
        alerts: [...old, alert('recent', 10), alert('still-firing', null)],
      },
      receivedAt: now,
    });
    const limits: number[] = [];
    // Counted once done, so four counted batches are four committed ones.
    const counted = {
      prune: async (olderThanMs: number, at: number, limit?: number) => {
        const pruned = await store.prune(olderThanMs, at, limit);
        limits.push(limit ?? -1);
        return pruned;
      },
    };
    const retention = startRetention({ store: counted, retentionMs: 90 * DAY, batch: 2 });
    await until('the prune to finish', () => limits.length === 4);
    retention.stop();
    expect(limits).toEqual([2, 2, 2, 2]);
    expect((await store.list()).map((a) => a.fingerprint)).toEqual(['still-firing', 'recent']);
    await store.close();
  });
});
