import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AlertmanagerAlert,
  type AlertmanagerPayload,
  parseAlertmanagerPayload,
} from '../src/alerts/payload.ts';
import { type AlertRow, type AlertStore, openAlertStore } from '../src/alerts/store/sqlite/database.ts';
import { migrate } from '../src/alerts/store/sqlite/migrations.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const MINUTE = 60_000;

function recorded(name: string): AlertmanagerPayload {
  const result = parseAlertmanagerPayload(
    JSON.parse(readFileSync(new URL(`fixtures/alertmanager/${name}`, import.meta.url), 'utf8')),
  );
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.payload;
}

function alert(fingerprint: string, change: Partial<AlertmanagerAlert> = {}): AlertmanagerAlert {
  return {
    status: 'firing',
    labels: {
      alertname: 'availability-fast-burn',
      severity: 'page',
      slo_service: 'checkout',
      slo: 'availability',
      slo_tier: 'fast',
      tenant: fingerprint,
    },
    annotations: { summary: 'burning' },
    startsAt: T0,
    endsAt: null,
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint,
    ...change,
  };
}

const resolved = (a: AlertmanagerAlert, endsAt = a.startsAt + MINUTE): AlertmanagerAlert => ({
  ...a,
  status: 'resolved',
  endsAt,
});

function body(...alerts: AlertmanagerAlert[]): AlertmanagerPayload {
  return {
    version: '4',
    groupKey: '{}:{slo="availability", slo_service="checkout"}',
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'burnbook',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
  };
}

let dir: string;
let store: AlertStore;
const rawDb = () => new Database(join(dir, 'burnbook.sqlite'), { readonly: true });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'burnbook-store-'));
  store = openAlertStore(dir);
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function only(rows: AlertRow[]): AlertRow {
  expect(rows).toHaveLength(1);
  return rows[0] as AlertRow;
}

describe('ingest', () => {
  it('stores the recorded firing body with its filter columns', () => {
    const result = store.ingest(recorded('firing.json'), T0);
    expect(result).toMatchObject({ stored: 2, updated: 0, unchanged: 0 });
    expect(result.newlyFiring.map((a) => a.labels.tenant).sort()).toEqual(['acme', 'globex']);
    const [firing] = result.newlyFiring;
    const row = store.get(firing?.id ?? -1);
    expect(row).toMatchObject({
      status: 'firing',
      endsAt: null,
      alertname: 'availability-fast-burn',
      severity: 'page',
      sloService: 'checkout',
      slo: 'availability',
      sloTier: 'fast',
      firstReceivedAt: T0,
      lastReceivedAt: T0,
      receiveCount: 1,
    });
    expect(row?.events).toEqual([{ kind: 'fired', at: T0 }]);
  });

  it('resolves the recorded alerts with the recorded resolved body', () => {
    store.ingest(recorded('firing.json'), T0);
    const result = store.ingest(recorded('resolved.json'), T0 + MINUTE);
    expect(result).toMatchObject({ stored: 0, updated: 2, unchanged: 0, newlyFiring: [] });
    for (const row of store.list()) {
      expect(row.status).toBe('resolved');
      expect(row.endsAt).toBeGreaterThan(row.startsAt);
      expect(store.get(row.id)?.events.map((e) => e.kind)).toEqual(['fired', 'resolved']);
    }
    expect(store.counts()).toEqual({ firingBySeverity: {}, total: 2 });
  });

  it('stores a body delivered 5 times once, counting the deliveries', () => {
    const payload = body(alert('a'));
    const results = [0, 1, 2, 3, 4].map((i) => store.ingest(payload, T0 + i * 1000));
    expect(results[0]).toMatchObject({ stored: 1, unchanged: 0 });
    for (const result of results.slice(1)) {
      expect(result).toEqual({ stored: 0, updated: 0, unchanged: 1, newlyFiring: [] });
    }
    const row = only(store.list());
    expect(row).toMatchObject({ firstReceivedAt: T0, lastReceivedAt: T0 + 4000, receiveCount: 5 });
    expect(store.get(row.id)?.events).toHaveLength(1);
    expect(store.counts().total).toBe(1);
  });

  it('records resolve and re-fire of the same occurrence as events', () => {
    const firing = alert('a');
    store.ingest(body(firing), T0);
    expect(store.ingest(body(resolved(firing)), T0 + MINUTE)).toMatchObject({ updated: 1, newlyFiring: [] });
    expect(only(store.list())).toMatchObject({ status: 'resolved', endsAt: T0 + MINUTE });
    // Repeated resolved deliveries change nothing.
    expect(store.ingest(body(resolved(firing)), T0 + 2 * MINUTE)).toMatchObject({ unchanged: 1 });

    const refire = store.ingest(body(firing), T0 + 3 * MINUTE);
    expect(refire).toMatchObject({ stored: 0, updated: 1, unchanged: 0 });
    expect(refire.newlyFiring).toHaveLength(1);
    expect(store.get(refire.newlyFiring[0]?.id ?? -1)).toMatchObject({
      status: 'firing',
      endsAt: null,
      receiveCount: 4,
    });

    const row = only(store.list());
    expect(store.get(row.id)?.events).toEqual([
      { kind: 'fired', at: T0 },
      { kind: 'resolved', at: T0 + MINUTE },
      { kind: 'refired', at: T0 + 3 * MINUTE },
    ]);
  });

  it('keeps a new start of the same fingerprint as a new occurrence', () => {
    store.ingest(body(resolved(alert('a'))), T0);
    const result = store.ingest(body(alert('a', { startsAt: T0 + 10 * MINUTE })), T0 + 10 * MINUTE);
    expect(result).toMatchObject({ stored: 1 });
    expect(result.newlyFiring).toHaveLength(1);
    expect(store.list().map((a) => a.status)).toEqual(['firing', 'resolved']);
  });

  it('updates changed annotations without a status event', () => {
    store.ingest(body(alert('a')), T0);
    const result = store.ingest(body(alert('a', { annotations: { summary: 'burning faster' } })), T0 + 1);
    expect(result).toEqual({ stored: 0, updated: 1, unchanged: 0, newlyFiring: [] });
    const row = only(store.list());
    expect(row.annotations).toEqual({ summary: 'burning faster' });
    expect(row.receiveCount).toBe(2);
    expect(store.get(row.id)?.events).toHaveLength(1);
  });

  it('stores an alert first seen resolved without calling it newly firing', () => {
    const result = store.ingest(body(resolved(alert('a'))), T0);
    expect(result).toMatchObject({ stored: 1, newlyFiring: [] });
    expect(store.get(only(store.list()).id)?.events).toEqual([{ kind: 'resolved', at: T0 }]);
  });

  it('stores all of a body or nothing', () => {
    store.ingest(body(alert('a')), T0);
    const broken = { ...alert('c'), status: 'pending' } as unknown as AlertmanagerAlert;
    expect(() => store.ingest(body(resolved(alert('a')), alert('b'), broken), T0 + 1)).toThrow(/CHECK/);
    expect(store.list()).toEqual([
      expect.objectContaining({ fingerprint: 'a', status: 'firing', receiveCount: 1 }),
    ]);
  });

  it('ingests many bodies in one transaction with one result each', () => {
    const results = store.ingestMany([
      { payload: body(alert('a')), receivedAt: T0 },
      { payload: body(alert('a'), alert('b')), receivedAt: T0 + 1 },
      { payload: body(resolved(alert('a'))), receivedAt: T0 + 2 },
    ]);
    expect(results.map(({ newlyFiring, ...counts }) => counts)).toEqual([
      { stored: 1, updated: 0, unchanged: 0 },
      { stored: 1, updated: 0, unchanged: 1 },
      { stored: 0, updated: 1, unchanged: 0 },
    ]);
    const broken = { ...alert('c'), status: 'pending' } as unknown as AlertmanagerAlert;
    expect(() =>
      store.ingestMany([
        { payload: body(alert('d')), receivedAt: T0 + 3 },
        { payload: body(broken), receivedAt: T0 + 3 },
      ]),
    ).toThrow(/CHECK/);
    expect(store.list().map((a) => a.fingerprint)).toEqual(['b', 'a']);
  });
});

describe('list', () => {
  beforeEach(() => {
    const at = (minutes: number) => T0 + minutes * MINUTE;
    store.ingest(
      body(
        alert('old-firing', { startsAt: at(0) }),
        resolved(alert('resolved-1', { startsAt: at(1) })),
        alert('new-firing', { startsAt: at(2), labels: { alertname: 'HostDown', severity: 'ticket' } }),
        resolved(
          alert('resolved-3', {
            startsAt: at(3),
            labels: { alertname: 'x', slo_service: 'search', slo: 'latency' },
          }),
        ),
        // Alerts of one rule evaluation share their start: paging must not skip any of them.
        ...['t1', 't2', 't3', 't4'].map((f) => resolved(alert(f, { startsAt: at(4) }))),
      ),
      T0,
    );
  });

  const names = (rows: AlertRow[]) => rows.map((a) => a.fingerprint);

  it('lists firing alerts first, then newest start first', () => {
    expect(names(store.list())).toEqual([
      'new-firing',
      'old-firing',
      't4',
      't3',
      't2',
      't1',
      'resolved-3',
      'resolved-1',
    ]);
  });

  it('filters by status, service, slo, severity and alertname', () => {
    expect(names(store.list({ status: 'firing' }))).toEqual(['new-firing', 'old-firing']);
    expect(names(store.list({ status: 'resolved', limit: 2 }))).toEqual(['t4', 't3']);
    expect(names(store.list({ service: 'search' }))).toEqual(['resolved-3']);
    expect(names(store.list({ service: 'checkout', slo: 'availability', status: 'firing' }))).toEqual([
      'old-firing',
    ]);
    expect(names(store.list({ slo: 'latency' }))).toEqual(['resolved-3']);
    expect(names(store.list({ severity: 'ticket' }))).toEqual(['new-firing']);
    expect(names(store.list({ alertname: 'HostDown' }))).toEqual(['new-firing']);
    expect(store.list({ alertname: 'nothing' })).toEqual([]);
    expect(store.list({ limit: 0 })).toEqual([]);
  });

  it('pages with the last row as cursor, across statuses and equal starts', () => {
    const seen: string[] = [];
    let page = store.list({ limit: 3 });
    while (page.length > 0) {
      seen.push(...names(page));
      page = store.list({ limit: 3, before: page.at(-1) });
    }
    expect(seen).toEqual(names(store.list()));
    const lastFiring = store.list({ status: 'firing' }).at(-1);
    expect(names(store.list({ before: lastFiring, limit: 1 }))).toEqual(['t4']);
    expect(names(store.list({ status: 'firing', before: store.list().at(-1) }))).toEqual([]);
  });
});

describe('evidence, prune and counts', () => {
  it('keeps evidence with its alert', () => {
    const [row] = store.ingest(body(alert('a')), T0).newlyFiring;
    const alertId = row?.id ?? -1;
    const result = { resultType: 'vector', result: [{ metric: {}, value: [1, '0.08'] }] };
    store.addEvidence({ alertId, queryName: 'confirm', expr: 'slo:x', result, error: null, capturedAt: T0 });
    store.addEvidence({
      alertId,
      queryName: 'by route',
      expr: 'sum by (route) (y)',
      result: null,
      error: 'timeout',
      capturedAt: T0 + 1,
    });
    expect(store.get(alertId)?.evidence).toEqual([
      { id: expect.any(Number), queryName: 'confirm', expr: 'slo:x', result, error: null, capturedAt: T0 },
      {
        id: expect.any(Number),
        queryName: 'by route',
        expr: 'sum by (route) (y)',
        result: null,
        error: 'timeout',
        capturedAt: T0 + 1,
      },
    ]);
    expect(store.get(alertId + 1000)).toBeUndefined();
  });

  it('prunes resolved alerts that ended before the cutoff, with their events and evidence', () => {
    const day = 24 * 60 * MINUTE;
    store.ingest(
      body(
        resolved(alert('ended-long-ago', { startsAt: T0 }), T0 + MINUTE),
        resolved(alert('ended-recently', { startsAt: T0 }), T0 + 9 * day),
        alert('firing-since-long-ago', { startsAt: T0, labels: { severity: 'page' } }),
        alert('firing-without-severity', { startsAt: T0, labels: {} }),
      ),
      T0,
    );
    const old = store.list().find((a) => a.fingerprint === 'ended-long-ago');
    store.addEvidence({
      alertId: old?.id ?? -1,
      queryName: 'q',
      expr: 'up',
      result: 1,
      error: null,
      capturedAt: T0,
    });

    expect(store.prune(7 * day, T0 + 10 * day)).toBe(1);
    expect(store.list().map((a) => a.fingerprint)).toEqual([
      'firing-without-severity',
      'firing-since-long-ago',
      'ended-recently',
    ]);
    const db = rawDb();
    const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
    expect([count('alert_events'), count('alert_evidence'), count('alert_receipts')]).toEqual([3, 0, 3]);
    db.close();
    expect(store.counts()).toEqual({ firingBySeverity: { page: 1, '': 1 }, total: 3 });
    expect(store.prune(7 * day, T0 + 10 * day)).toBe(0);
  });
});

describe('opening', () => {
  const schemaOf = () => {
    const db = rawDb();
    const schema = {
      version: db.pragma('user_version', { simple: true }),
      journal: db.pragma('journal_mode', { simple: true }),
      objects: db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all(),
    };
    db.close();
    return schema;
  };

  it('migrates once: reopening keeps the schema and the data', () => {
    store.ingest(recorded('firing.json'), T0);
    const first = schemaOf();
    expect(first.version).toBeGreaterThan(0);
    expect(first.journal).toBe('wal');
    for (let i = 0; i < 3; i++) {
      store.close();
      store = openAlertStore(dir);
      expect(schemaOf()).toEqual(first);
      expect(store.list()).toHaveLength(2);
    }
    expect(store.ingest(recorded('firing.json'), T0 + 1)).toMatchObject({ unchanged: 2 });
  });

  it('upgrades a store written by an older burnbook: its alerts keep their filter columns', () => {
    const old = mkdtempSync(join(tmpdir(), 'burnbook-store-v2-'));
    const db = new Database(join(old, 'burnbook.sqlite'));
    db.pragma('journal_mode = WAL');
    migrate(db, 2);
    const runbook = 'http://burnbook:8080/runbooks/checkout/availability-fast-burn';
    const { lastInsertRowid } = db
      .prepare(
        `INSERT INTO alerts (fingerprint, starts_at, status, labels, annotations, generator_url, first_received_at)
         VALUES ('old', ?, 'firing', ?, ?, '', ?)`,
      )
      .run(T0, JSON.stringify(alert('old').labels), JSON.stringify({ runbook_url: runbook }), T0);
    db.prepare('INSERT INTO alert_receipts VALUES (?, ?, 1)').run(lastInsertRowid, T0);
    db.close();

    const upgraded = openAlertStore(old);
    try {
      expect(upgraded.list({ service: 'checkout', slo: 'availability' })).toMatchObject([
        { fingerprint: 'old', alertname: 'availability-fast-burn', severity: 'page', sloTier: 'fast' },
      ]);
      expect(upgraded.list({ runbookUrl: runbook })).toHaveLength(1);
      expect(upgraded.list({ alertname: 'availability-fast-burn', severity: 'page' })).toHaveLength(1);
    } finally {
      upgraded.close();
      rmSync(old, { recursive: true, force: true });
    }
  });

  it('refuses a database from a newer burnbook', () => {
    store.close();
    const setVersion = (version: number) => {
      const db = new Database(join(dir, 'burnbook.sqlite'));
      const applied = db.pragma('user_version', { simple: true });
      db.pragma(`user_version = ${version}`);
      db.close();
      return applied as number;
    };
    const applied = setVersion(999);
    expect(() => openAlertStore(dir)).toThrow(/schema version 999 is newer/);
    setVersion(applied);
    store = openAlertStore(dir);
  });
});

describe('durability', () => {
  const ALERTS_PER_BATCH = 20;
  const CHILD = join(REPO, 'test/support/ingest-until-killed.ts');

  // Starts the child, kills it with SIGKILL `delayMs` after its first commit, returns the last body it
  // reported as committed.
  async function ingestUntilKilled(round: number, delayMs: number): Promise<number> {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, dir, String(round), String(ALERTS_PER_BATCH)],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let last = -1;
    let timer: NodeJS.Timeout | undefined;
    for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
      const n = Number(/^committed (\d+)$/.exec(line)?.[1] ?? Number.NaN);
      if (Number.isNaN(n)) throw new Error(`unexpected child output: ${line}`);
      last = n;
      timer ??= setTimeout(() => child.kill('SIGKILL'), delayMs);
    }
    await exited;
    clearTimeout(timer);
    if (child.signalCode !== 'SIGKILL') throw new Error(`child ended without being killed:\n${stderr}`);
    return last;
  }

  it('keeps every body the child reported committed when it is killed with SIGKILL', async () => {
    store.close();
    for (let round = 0; round < 5; round++) {
      const delayMs = Math.floor(Math.random() * 300);
      const reported = await ingestUntilKilled(round, delayMs);
      expect(reported, `round ${round}`).toBeGreaterThanOrEqual(0);

      store = openAlertStore(dir);
      const db = rawDb();
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const batches = new Map<number, { firing: number; resolved: number }>();
      const rows = db
        .prepare('SELECT fingerprint, status FROM alerts WHERE fingerprint LIKE ?')
        .all(`r${round}-%`) as { fingerprint: string; status: 'firing' | 'resolved' }[];
      db.close();
      for (const { fingerprint, status } of rows) {
        const n = Number(/-b(\d+)-/.exec(fingerprint)?.[1]);
        const batch = batches.get(n) ?? { firing: 0, resolved: 0 };
        batch[status]++;
        batches.set(n, batch);
      }
      // The body in flight at the kill may have committed without being reported: one more at most.
      const stored = Math.max(...batches.keys());
      const context = `round ${round}, killed ${delayMs} ms after the first commit, reported ${reported}`;
      expect(stored, context).toBeGreaterThanOrEqual(reported);
      expect(stored, context).toBeLessThanOrEqual(reported + 1);
      for (let n = 0; n <= stored; n++) {
        const expected =
          n === stored
            ? { firing: ALERTS_PER_BATCH, resolved: 0 }
            : { firing: 0, resolved: ALERTS_PER_BATCH };
        expect(batches.get(n), `${context}, batch ${n}`).toEqual(expected);
      }
      store.close();
    }
    store = openAlertStore(dir);
  });
});
