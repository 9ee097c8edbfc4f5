import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase, type SqliteDatabase } from '../src/alerts/store/sqlite/database.ts';
import { migrate } from '../src/alerts/store/sqlite/migrations.ts';
import { openSqliteStore } from '../src/alerts/store/sqlite/store.ts';
import {
  alert,
  alertStoreContract,
  body,
  MINUTE,
  poisoned,
  recorded,
  resolved,
  someEvidence,
  T0,
} from './support/alert-store-contract.ts';
import { chooser, random } from './support/random.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));

alertStoreContract('SQLite', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'burnbook-store-'));
  return {
    store: openSqliteStore({ dataDir }),
    discard: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
});

let dir: string;
let store: SqliteDatabase;
const rawDb = () => new Database(join(dir, 'burnbook.sqlite'), { readonly: true });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'burnbook-store-'));
  store = openSqliteDatabase(dir);
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the SQLite database under the store', () => {
  it('ingests many bodies in one transaction with one result each, all or none', () => {
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
    expect(() =>
      store.ingestMany([
        { payload: body(alert('d')), receivedAt: T0 + 3 },
        { payload: body(poisoned('c')), receivedAt: T0 + 3 },
      ]),
    ).toThrow(/CHECK/);
    expect(store.list().map((a) => a.fingerprint)).toEqual(['b', 'a']);
  });

  it('prunes an alert with its events, evidence and receipt', () => {
    store.ingestMany([
      { payload: body(resolved(alert('old'), T0 + MINUTE), alert('firing')), receivedAt: T0 },
    ]);
    const old = store.list().find((a) => a.fingerprint === 'old');
    store.addEvidence(someEvidence(old?.id ?? -1));
    expect(store.prune(MINUTE, T0 + 10 * MINUTE)).toBe(1);
    const db = rawDb();
    const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
    expect([count('alert_events'), count('alert_evidence'), count('alert_receipts')]).toEqual([1, 0, 1]);
    db.close();
  });
});

describe('firing counts', () => {
  // What counts() must equal: the firing alerts themselves, counted.
  const counted = () => {
    const db = rawDb();
    try {
      const rows = db
        .prepare(
          `SELECT coalesce(severity, '') AS severity, count(*) AS count FROM alerts WHERE status = 'firing' GROUP BY 1`,
        )
        .all() as Array<{ severity: string; count: number }>;
      return Object.fromEntries(rows.map((row) => [row.severity, row.count]));
    } finally {
      db.close();
    }
  };

  it('match the firing alerts through fires, resolves, re-fires, severity changes and prunes (seeded)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { int, pick } = chooser(random(seed));
      for (let step = 0; step < 40; step++) {
        const alerts = Array.from({ length: 1 + int(6) }, () => {
          const fingerprint = `fp-${seed}-${int(12)}`;
          const severity = pick(['page', 'ticket', 'info', undefined]);
          const { severity: _, ...labels } = alert(fingerprint).labels;
          const firing = alert(fingerprint, {
            labels: severity ? { ...labels, severity } : labels,
            startsAt: T0 + int(3) * MINUTE,
          });
          return int(3) === 0 ? resolved(firing) : firing;
        });
        // Once per body: an alert twice in one delivery is Alertmanager's to avoid, not the store's.
        const unique = [...new Map(alerts.map((a) => [`${a.fingerprint}@${a.startsAt}`, a])).values()];
        store.ingestMany([{ payload: body(...unique), receivedAt: T0 + step * MINUTE }]);
        if (int(10) === 0) store.prune(MINUTE, T0 + 10 * MINUTE, 1 + int(4));
        expect(store.counts().firingBySeverity, `seed ${seed}, step ${step}`).toEqual(counted());
      }
    }
  });

  it('are counted once when a store of an older burnbook is upgraded', () => {
    const old = mkdtempSync(join(tmpdir(), 'burnbook-store-v5-'));
    const db = new Database(join(old, 'burnbook.sqlite'));
    db.pragma('journal_mode = WAL');
    migrate(db, 5);
    const insert = db.prepare(
      `INSERT INTO alerts (fingerprint, starts_at, status, labels, annotations, generator_url, first_received_at, severity)
       VALUES (?, ?, ?, '{}', '{}', '', ?, ?)`,
    );
    insert.run('a', T0, 'firing', T0, 'page');
    insert.run('b', T0, 'firing', T0, 'page');
    insert.run('c', T0, 'resolved', T0, 'page');
    insert.run('d', T0, 'firing', T0, null);
    db.close();

    const upgraded = openSqliteDatabase(old);
    try {
      expect(upgraded.counts()).toEqual({ firingBySeverity: { page: 2, '': 1 }, total: 4 });
    } finally {
      upgraded.close();
      rmSync(old, { recursive: true, force: true });
    }
  });
});

describe('query plans as the store grows', () => {
  it('a list filtered by a name no alert has reads the name index, not every alert of the SLO', () => {
    store.optimize();
    const many = Array.from({ length: 3000 }, (_, i) => alert(`fp-${i}`));
    for (let i = 0; i < many.length; i += 500) {
      store.ingestMany([{ payload: body(...many.slice(i, i + 500)), receivedAt: T0 }]);
    }
    store.optimize();
    // What an SLO page asks for: its tier's alert name among the alerts of its service and SLO.
    const query = { service: 'checkout', slo: 'availability', alertname: 'availability-slow-burn' };
    expect(store.list(query)).toEqual([]);
    const reader = rawDb();
    try {
      const plan = reader
        .prepare(
          `EXPLAIN QUERY PLAN SELECT id FROM alerts WHERE status = @status AND slo_service = @service
           AND slo = @slo AND alertname = @alertname ORDER BY starts_at DESC, id DESC LIMIT 20`,
        )
        .all({ status: 'firing', ...query }) as Array<{ detail: string }>;
      expect(plan.map((step) => step.detail).join('; ')).toContain('alerts_by_alertname');
    } finally {
      reader.close();
    }
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
    store.ingestMany([{ payload: recorded('firing.json'), receivedAt: T0 }]);
    const first = schemaOf();
    expect(first.version).toBeGreaterThan(0);
    expect(first.journal).toBe('wal');
    for (let i = 0; i < 3; i++) {
      store.close();
      store = openSqliteDatabase(dir);
      expect(schemaOf()).toEqual(first);
      expect(store.list()).toHaveLength(2);
    }
    expect(store.ingestMany([{ payload: recorded('firing.json'), receivedAt: T0 + 1 }])).toMatchObject([
      { unchanged: 2 },
    ]);
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

    const upgraded = openSqliteDatabase(old);
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
    expect(() => openSqliteDatabase(dir)).toThrow(/schema version 999 is newer/);
    setVersion(applied);
    store = openSqliteDatabase(dir);
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

      store = openSqliteDatabase(dir);
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
    store = openSqliteDatabase(dir);
  });
});
