import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBurnbook } from './support/burnbook.ts';
import { type RunningPostgres, startPostgres } from './support/postgres.ts';
import type { RunningServer } from './support/process.ts';
import { type FuzzBody, fuzzBodies } from './support/webhook-bodies.ts';

/**
 * The webhook under fire. A seeded fuzzer posts a few thousand bodies (valid but odd, broken fields, bytes
 * that are no JSON) and fixed worst cases (8 MiB of invalid alerts, one byte over the limit, the field
 * cases) to `burnbook serve`, a child process on a real SQLite store and then on a real PostgreSQL, from
 * several senders at once.
 * Meanwhile another client keeps asking for /healthz and /alerts and posting a small valid delivery,
 * timing each. Every body gets its rule: no crash, no 5xx; a 2xx is stored whole, a 4xx not at all; no page
 * waits longer than a second, no webhook longer than two. Then the largest legal body of valid alerts.
 */

const SEED = 15;
const BODIES = 3000;
const SENDERS = 6;
const BODY_LIMIT = 8 * 1024 * 1024;
// A page waits for nothing but the event loop. A webhook also waits for its commit, fsync included, behind
// the commit in flight: on a disk shared with other work that alone has taken a few hundred milliseconds.
const MAX_PAGE_WAIT_MS = 1_000;
const MAX_WEBHOOK_WAIT_MS = 2_000;

let server: RunningServer;

/** A store `burnbook serve` runs on, and the rows it holds, read from the database itself. */
interface Backend {
  name: string;
  start(): Promise<RunningServer>;
  /** The alerts whose fingerprint starts with `prefix`; labels and annotations as the JSON text stored. */
  rowsWithPrefix(prefix: string): Promise<StoredRow[]>;
  probes(): Promise<number>;
  stop(): Promise<void>;
}

interface StoredRow {
  fingerprint: string;
  status: string;
  startsAt: number;
  labels: string;
  annotations: string;
}

function sqliteBackend(): Backend {
  let dataDir = '';
  const read = <T>(query: (db: Database.Database) => T): T => {
    const db = new Database(join(dataDir, 'burnbook.sqlite'), { readonly: true });
    try {
      return query(db);
    } finally {
      db.close();
    }
  };
  return {
    name: 'SQLite',
    async start() {
      dataDir = await mkdtemp(join(tmpdir(), 'burnbook-fuzz-'));
      return startBurnbook({ dataDir });
    },
    rowsWithPrefix: async (prefix) =>
      read(
        (db) =>
          db
            .prepare(
              "SELECT fingerprint, status, starts_at AS startsAt, labels, annotations FROM alerts WHERE fingerprint >= ? AND fingerprint < ? || '~'",
            )
            .all(prefix, prefix) as StoredRow[],
      ),
    probes: async () =>
      read(
        (db) =>
          db.prepare("SELECT count(*) FROM alerts WHERE fingerprint LIKE 'probe-%'").pluck().get() as number,
      ),
    stop: () => rm(dataDir, { recursive: true, force: true }),
  };
}

function postgresBackend(): Backend {
  let postgres: RunningPostgres | undefined;
  // One connection for all the checks: a new one per body would cost more than the checks.
  let reader: pg.Client | undefined;
  const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[]) =>
    (await (reader as pg.Client).query<T>(sql, params)).rows;
  return {
    name: 'PostgreSQL',
    async start() {
      postgres = await startPostgres();
      const url = await postgres.createDatabase();
      reader = new pg.Client({ connectionString: url });
      await reader.connect();
      return startBurnbook({
        dataDir: await mkdtemp(join(tmpdir(), 'burnbook-fuzz-unused-')),
        args: ['--store', url],
      });
    },
    rowsWithPrefix: (prefix) =>
      query<StoredRow>(
        `SELECT fingerprint, status, (extract(epoch FROM starts_at) * 1000)::float8 AS "startsAt",
           labels::text AS labels, annotations::text AS annotations
         FROM burnbook.alerts WHERE starts_with(fingerprint, $1)`,
        [prefix],
      ),
    probes: async () =>
      Number(
        (
          await query<{ n: string }>(
            "SELECT count(*) AS n FROM burnbook.alerts WHERE fingerprint LIKE 'probe-%'",
            [],
          )
        )[0]?.n,
      ),
    async stop() {
      await reader?.end();
      await postgres?.stop();
    },
  };
}

type Outcome = { body: FuzzBody; status: number; answer: string };

// The status recorded for a body over the limit whose connection the server closed while it was still being
// sent: node answers 413 at once and stops reading, and fetch reports the broken pipe instead of the answer.
const CUT_OFF = 413;

async function post(text: string): Promise<{ status: number; answer: string }> {
  try {
    const response = await fetch(`${server.url}/hooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: text,
      signal: AbortSignal.timeout(60_000),
    });
    return { status: response.status, answer: await response.text() };
  } catch (error) {
    const code = ((error as Error).cause as { code?: string } | undefined)?.code;
    if (Buffer.byteLength(text) > BODY_LIMIT && (code === 'EPIPE' || code === 'ECONNRESET')) {
      return { status: CUT_OFF, answer: `connection closed while sending (${code})` };
    }
    throw error;
  }
}

/** The fixed cases, each a body with its own fingerprint prefix: the worst, and the largest valid one. */
function fixedBodies(): { worst: FuzzBody[]; largest: FuzzBody } {
  const envelope = (alerts: string) =>
    `{"version":"4","groupKey":"{}","status":"firing","receiver":"burnbook","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","alerts":[${alerts}]}`;
  const fill = (unit: string, bytes: number) => {
    const count = Math.floor((bytes - envelope('').length + 1) / (unit.length + 1));
    return envelope(Array(count).fill(unit).join(','));
  };
  const valid = (prefix: string, n: number) =>
    JSON.stringify({
      status: 'firing',
      labels: { alertname: 'Big', severity: 'page', instance: `host-${n}.example:9100`, job: 'node' },
      annotations: { summary: `disk ${n} is filling up`, runbook_url: 'http://burnbook/runbooks/x' },
      startsAt: '2026-11-20T10:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=x',
      fingerprint: `${prefix}${n}`,
    });
  const validOf = (prefix: string, bytes: number) => {
    const one = valid(prefix, 100_000).length + 1;
    const count = Math.floor((bytes - envelope('').length) / one);
    return envelope(Array.from({ length: count }, (_, n) => valid(prefix, n)).join(','));
  };
  const fixture = (name: string, prefix: string) =>
    readFileSync(`test/fixtures/alertmanager/${name}.json`, 'utf8').replace(
      /"fingerprint": ?"/g,
      `$&${prefix}`,
    );
  return {
    worst: [
      { text: fill('{}', BODY_LIMIT), prefix: 'never-', what: ['8 MiB of empty alerts'], expected: 400 },
      {
        text: fill('[[[[[[[[]]]]]]]]', BODY_LIMIT),
        prefix: 'never-',
        what: ['8 MiB of nested arrays'],
        expected: 400,
      },
      {
        text: fill('{}', BODY_LIMIT).padEnd(BODY_LIMIT + 1),
        prefix: 'never-',
        what: ['one byte over the limit'],
        expected: 413,
      },
      {
        text: fixture('proto-key', 'fixed-proto-'),
        prefix: 'fixed-proto-',
        what: ['case webhook-proto-key'],
        expected: 200,
      },
      {
        text: fixture('truncated', 'fixed-truncated-'),
        prefix: 'fixed-truncated-',
        what: ['case webhook-truncated'],
        expected: 200,
      },
    ] satisfies FuzzBody[],
    largest: {
      text: validOf('fixed-big-', BODY_LIMIT - 1024),
      prefix: 'fixed-big-',
      what: ['8 MiB of valid alerts'],
      expected: 200,
    } satisfies FuzzBody,
  };
}

/** Posts every body from SENDERS senders at once, in order of a shared queue. */
async function fire(bodies: FuzzBody[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const sender = async () => {
    while (next < bodies.length) {
      const body = bodies[next++] as FuzzBody;
      outcomes.push({ body, ...(await post(body.text)) });
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));
  return outcomes;
}

/** Until `done`, asks /healthz and /alerts and posts one small valid delivery in turn; the longest waits. */
let probeCount = 0;

async function watch(done: () => boolean) {
  const worst = { page: 0, webhook: 0 };
  let probes = 0;
  const probe = (n: number) =>
    JSON.stringify({
      version: '4',
      groupKey: 'probe',
      status: 'firing',
      receiver: 'burnbook',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://am',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'Probe', n: String(n) },
          annotations: {},
          startsAt: '2026-11-20T10:00:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
          fingerprint: `probe-${n}`,
        },
      ],
    });
  while (!done()) {
    for (const path of ['/healthz', '/alerts']) {
      const started = performance.now();
      const page = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(30_000) });
      await page.text();
      worst.page = Math.max(worst.page, performance.now() - started);
      expect(page.status).toBe(200);
    }
    const posted = performance.now();
    const answer = await post(probe(probeCount++));
    probes++;
    worst.webhook = Math.max(worst.webhook, performance.now() - posted);
    expect(answer.status, answer.answer).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { worst, probes };
}

/** Entries as the store's JSON holds them, in order: `__proto__` and the rest are own keys. */
const entries = (json: string) => Object.entries(JSON.parse(json) as Record<string, string>);

interface SentAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  fingerprint: string;
}

/** Every 2xx stored whole, every 4xx not at all, read from the database itself. */
async function expectStoredAsAnswered(backend: Backend, outcomes: Outcome[]): Promise<void> {
  for (const { body, status, answer } of outcomes) {
    const rows = await backend.rowsWithPrefix(body.prefix);
    const what = `${status} ${body.what.join(', ')}: ${answer.slice(0, 200)}`;
    if (status >= 400) {
      expect(rows, what).toEqual([]);
      continue;
    }
    const sent = (JSON.parse(body.text.replace(/^\ufeff/, '')) as { alerts: SentAlert[] }).alerts;
    expect(rows.length, what).toBe(new Set(sent.map((a) => a.fingerprint)).size);
    const stored = new Map(rows.map((row) => [row.fingerprint, row]));
    for (const alert of sent) {
      const row = stored.get(alert.fingerprint);
      expect(row, what).toBeDefined();
      expect(row?.status).toBe(alert.status);
      expect(row?.startsAt).toBe(Date.parse(alert.startsAt));
      expect(entries(row?.labels ?? '{}'), what).toEqual(Object.entries(alert.labels));
      expect(entries(row?.annotations ?? '{}'), what).toEqual(Object.entries(alert.annotations));
    }
  }
}

/** Posts the bodies while watching the other requests; the outcomes and the longest waits. */
async function fireWatched(bodies: FuzzBody[]) {
  let finished = false;
  const started = performance.now();
  const [outcomes, watched] = await Promise.all([
    fire(bodies).finally(() => {
      finished = true;
    }),
    watch(() => finished),
  ]);
  return { outcomes, watched, seconds: (performance.now() - started) / 1000 };
}

const peakRssMiB = () =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1]) / 1024;

describe.each([sqliteBackend(), postgresBackend()])(
  'the webhook under a seeded fuzzer, on $name',
  (backend) => {
    beforeAll(async () => {
      server = await backend.start();
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      await backend.stop();
    });

    it('answers every body 2xx (stored whole) or 4xx (nothing stored), never 5xx, and keeps serving', async () => {
      const { worst } = fixedBodies();
      const { outcomes, watched, seconds } = await fireWatched([...worst, ...fuzzBodies(SEED, BODIES)]);
      const byClass = { '2xx': 0, '4xx': 0 };
      for (const { status } of outcomes) {
        if (status >= 200 && status < 300) byClass['2xx']++;
        else if (status >= 400 && status < 500) byClass['4xx']++;
      }
      console.log(
        `fuzzer: ${outcomes.length} bodies in ${seconds.toFixed(1)} s: ${byClass['2xx']} stored, ` +
          `${byClass['4xx']} refused; ${watched.probes} probes, longest wait ${watched.worst.page.toFixed(0)} ms ` +
          `(pages), ${watched.worst.webhook.toFixed(0)} ms (webhook); peak RSS ${peakRssMiB().toFixed(0)} MiB`,
      );

      // No crash: the same process answers, and says it is healthy.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const unexpected = outcomes.filter(
        (o) => !((o.status >= 200 && o.status < 300) || (o.status >= 400 && o.status < 500)),
      );
      expect(
        unexpected.map((o) => `${o.status} ${o.body.what.join(', ')}: ${o.answer.slice(0, 200)}`),
      ).toEqual([]);
      const fixed = worst.map((body) => outcomes.find((o) => o.body === body));
      expect(fixed.map((o) => [o?.body.what[0], o?.status])).toEqual(
        worst.map((body) => [body.what[0], body.expected]),
      );
      expect(byClass['2xx']).toBeGreaterThan(BODIES / 10);
      expect(byClass['4xx']).toBeGreaterThan(BODIES / 10);
      expect(watched.worst.page).toBeLessThan(MAX_PAGE_WAIT_MS);
      expect(watched.worst.webhook).toBeLessThan(MAX_WEBHOOK_WAIT_MS);
      await expectStoredAsAnswered(backend, outcomes);
      expect(await backend.probes()).toBe(watched.probes);
    }, 120_000);

    it('stores the largest legal body of valid alerts whole while pages keep answering', async () => {
      const { largest } = fixedBodies();
      const probesBefore = await backend.probes();
      const { outcomes, watched, seconds } = await fireWatched([largest]);
      // Its 25,000 new alerts are one transaction: a webhook arriving meanwhile waits for that commit, which is
      // the store's pace, not the event loop's; pages and /healthz do not wait for it.
      console.log(
        `largest valid body: answered ${outcomes[0]?.status} in ${seconds.toFixed(1)} s; longest wait ` +
          `${watched.worst.page.toFixed(0)} ms (pages), ${watched.worst.webhook.toFixed(0)} ms (webhook behind its commit); ` +
          `peak RSS ${peakRssMiB().toFixed(0)} MiB`,
      );
      expect(outcomes.map((o) => o.status)).toEqual([200]);
      expect(watched.worst.page).toBeLessThan(MAX_PAGE_WAIT_MS);
      await expectStoredAsAnswered(backend, outcomes);
      expect(await backend.probes()).toBe(probesBefore + watched.probes);
    }, 120_000);
  },
);
