import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertmanagerAlert } from '../src/alerts/payload.ts';
import { QueueClosedError } from '../src/alerts/store/group-commit.ts';
import { LOCKS, SCHEMA_VERSION } from '../src/alerts/store/postgres/migrations.ts';
import { openPostgresStore } from '../src/alerts/store/postgres/store.ts';
import {
  classifyPostgresError,
  isTransientPostgresError,
  StoreClosedError,
} from '../src/alerts/store/postgres/transient.ts';
import type { AlertStore } from '../src/alerts/store/store.ts';
import { alert, alertStoreContract, body, MINUTE, resolved, T0 } from './support/alert-store-contract.ts';
import { burnbook } from './support/cli.ts';
import { type RunningPostgres, startPostgres } from './support/postgres.ts';
import { random as seededRandom } from './support/random.ts';
import { until } from './support/wait.ts';

let postgres: RunningPostgres;

beforeAll(async () => {
  postgres = await startPostgres();
});

afterAll(async () => {
  await postgres?.stop();
});

let contractDatabase: string | undefined;
alertStoreContract('PostgreSQL', async () => {
  contractDatabase ??= await postgres.createDatabase();
  const database = new URL(contractDatabase).pathname.slice(1);
  return {
    store: openPostgresStore({ url: contractDatabase }),
    // One database for every contract test: a new one each would cost a checkpoint's worth of copying.
    discard: async () => void (await postgres.query('DROP SCHEMA IF EXISTS burnbook CASCADE', [], database)),
  };
});

describe('what a PostgreSQL failure means: a fault of the store (503, Alertmanager retries) or of a body (500)', () => {
  const coded = (code: string, message = code) => Object.assign(new Error(message), { code });
  it.each([
    [coded('08006', 'connection failure'), 'unreachable'],
    [coded('08P01'), 'unreachable'],
    [coded('57P01', 'terminating connection due to administrator command'), 'unreachable'],
    [coded('57P03', 'the database system is starting up'), 'unreachable'],
    [coded('ECONNREFUSED'), 'unreachable'],
    [coded('ECONNRESET'), 'unreachable'],
    [coded('EAI_AGAIN'), 'unreachable'],
    [new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]), 'unreachable'],
    [Object.assign(new Error('connect failed'), { cause: coded('ETIMEDOUT') }), 'unreachable'],
    [new Error('Connection terminated unexpectedly'), 'unreachable'],
    [new Error('timeout exceeded when trying to connect'), 'unreachable'],
    [new Error('Query read timeout'), 'unreachable'],
    [coded('40001', 'could not serialize access due to concurrent update'), 'busy'],
    [coded('40P01', 'deadlock detected'), 'busy'],
    [coded('55P03', 'canceling statement due to lock timeout'), 'busy'],
    [coded('57014', 'canceling statement due to statement timeout'), 'busy'],
    [coded('53300', 'sorry, too many clients already'), 'busy'],
    [coded('53100', 'could not extend file: No space left on device'), 'failing'],
    [coded('25006', 'cannot execute INSERT in a read-only transaction'), 'failing'],
    [coded('58030', 'could not write to file'), 'failing'],
    [coded('XX001', 'invalid page in block'), 'failing'],
    [coded('28P01', 'password authentication failed'), 'failing'],
    [coded('3D000', 'database "nope" does not exist'), 'failing'],
    [coded('42P01', 'relation "burnbook.alerts" does not exist'), 'failing'],
    [coded('42501', 'permission denied for table alerts'), 'failing'],
    [new QueueClosedError(), 'closed'],
    [new StoreClosedError(), 'closed'],
    [new Error('Cannot use a pool after calling end on the pool'), 'closed'],
    [coded('23514', 'new row violates check constraint'), 'bug'],
    [coded('23505', 'duplicate key value violates unique constraint'), 'bug'],
    [coded('22P02', 'invalid input syntax for type json'), 'bug'],
    [coded('42601', 'syntax error at or near "SELEKT"'), 'bug'],
    [new Error('40001, but only in the message'), 'bug'],
    ['ECONNREFUSED', 'bug'],
    [undefined, 'bug'],
  ])('%s → %s', (error, fault) => {
    expect(classifyPostgresError(error)).toBe(fault);
    expect(isTransientPostgresError(error)).toBe(fault !== 'bug');
  });
});

/** Stores opened in a test, closed after it. */
const opened: AlertStore[] = [];
function openStore(
  url: string,
  options: { startTimeoutMs?: number; lockTimeoutMs?: number } = {},
): AlertStore {
  // A lock held past 0.5 s fails here (5 s by default): the lock test waits that long, not ten times it.
  const store = openPostgresStore({ url, lockTimeoutMs: 500, ...options });
  opened.push(store);
  return store;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('replicas sharing one database', () => {
  it('starting together, they migrate the schema once and all become ready', async () => {
    const url = await postgres.createDatabase();
    const replicas = Array.from({ length: 6 }, () => openStore(url));
    await Promise.all(replicas.map((store) => store.ready()));
    const database = new URL(url).pathname.slice(1);
    expect(await postgres.query('SELECT version FROM burnbook.schema_version', [], database)).toEqual([
      { version: SCHEMA_VERSION },
    ]);
    // Each sees what another stored.
    await replicas[0]?.ingest({ payload: body(alert('a')), receivedAt: T0 });
    for (const store of replicas) expect((await store.list()).map((a) => a.fingerprint)).toEqual(['a']);
  });

  it('refuses a database whose schema is newer than it knows, naming the fix', async () => {
    const url = await postgres.createDatabase();
    await openStore(url).ready();
    await postgres.query(
      'UPDATE burnbook.schema_version SET version = version + 1',
      [],
      new URL(url).pathname.slice(1),
    );
    await expect(openStore(url).ready()).rejects.toThrow(/newer than this burnbook knows.*upgrade burnbook/);
  });

  it('the same deliveries reaching every replica at the same moment are stored once, each change once', async () => {
    const url = await postgres.createDatabase();
    const replicas = Array.from({ length: 4 }, () => openStore(url));
    await Promise.all(replicas.map((store) => store.ready()));
    const random = seededRandom(19);
    // 40 alerts; each round, a random subset changes status; every replica receives each round's body at once.
    const alerts = Array.from({ length: 40 }, (_, i) =>
      alert(`fp-${i}`, { startsAt: T0 + (i % 5) * MINUTE }),
    );
    const state = new Map<string, AlertmanagerAlert>(alerts.map((a) => [a.fingerprint, a]));
    const expectedEvents = new Map<string, string[]>(alerts.map((a) => [a.fingerprint, ['fired']]));
    let firings = alerts.length;
    let receipts = 0;
    const newlyFiring: number[] = [];
    for (let round = 0; round < 12; round++) {
      if (round > 0) {
        for (const a of alerts) {
          if (random() > 0.3) continue;
          const current = state.get(a.fingerprint) as AlertmanagerAlert;
          const next = current.status === 'firing' ? resolved(a, T0 + round * MINUTE) : a;
          state.set(a.fingerprint, next);
          expectedEvents.get(a.fingerprint)?.push(next.status === 'firing' ? 'refired' : 'resolved');
          if (next.status === 'firing') firings++;
        }
      }
      const payload = body(...state.values());
      const results = await Promise.all(
        replicas.map((store) => store.ingest({ payload, receivedAt: T0 + round * MINUTE })),
      );
      receipts += replicas.length;
      newlyFiring.push(...results.flatMap((r) => r.newlyFiring.map((f) => f.id)));
      const changed = results.reduce((n, r) => n + r.stored + r.updated, 0);
      const unchanged = results.reduce((n, r) => n + r.unchanged, 0);
      expect(changed + unchanged).toBe(alerts.length * replicas.length);
    }
    const rows = await replicas[1]?.list({ limit: 500 });
    expect(rows?.map((r) => r.fingerprint).sort()).toEqual(alerts.map((a) => a.fingerprint).sort());
    expect(newlyFiring).toHaveLength(firings);
    for (const row of rows ?? []) {
      expect(row.receiveCount, row.fingerprint).toBe(receipts);
      expect(row.status).toBe(state.get(row.fingerprint)?.status);
      const detail = await replicas[2]?.get(row.id);
      expect(
        detail?.events.map((e) => e.kind),
        row.fingerprint,
      ).toEqual(expectedEvents.get(row.fingerprint));
    }
  }, 60_000);

  it('retention runs on one replica at a time: while another holds the lock, a replica prunes nothing', async () => {
    const url = await postgres.createDatabase();
    const [first, second] = [openStore(url), openStore(url)] as [AlertStore, AlertStore];
    await Promise.all([first.ready(), second.ready()]);
    const old = Array.from({ length: 30 }, (_, i) => resolved(alert(`old-${i}`), T0 + MINUTE));
    await first.ingest({ payload: body(...old), receivedAt: T0 });
    const day = 24 * 60 * MINUTE;

    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.retention.toString()]);
      expect(await first.prune(7 * day, T0 + 10 * day)).toBe(0);
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    expect((await first.counts()).total).toBe(30);

    const pruned = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? first : second).prune(7 * day, T0 + 10 * day, 5)),
    );
    const more = await first.prune(7 * day, T0 + 10 * day);
    expect(pruned.reduce((a, b) => a + b, 0) + more).toBe(30);
    expect((await second.counts()).total).toBe(0);
  });
});

describe('transient failures of a real server', () => {
  it('a database that takes no writes (a standby after a failover, or read-only) fails health and answers 503', async () => {
    const url = await postgres.createDatabase();
    const database = new URL(url).pathname.slice(1);
    const store = openStore(url);
    await store.ready();
    await postgres.query(`ALTER DATABASE ${database} SET default_transaction_read_only = on`);
    // Settings apply to new connections: the store's pooled ones go, as they would in a failover.
    await postgres.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
      database,
    ]);
    // Again, a connection cut a moment ago may answer first.
    const health = await until(
      'health to see it',
      () => store.health(),
      (h) => !h.ok && h.problem.includes('takes no writes'),
      10_000,
    );
    expect(health.ok ? '' : health.problem).toMatch(/takes no writes \(a standby, or read-only\)/);
    // A pooled connection cut a moment ago may fail first (57P01); then writes meet the read-only database.
    const refused = await until(
      'a write refused as read-only',
      () => failureOf(store.ingest({ payload: body(alert('a')), receivedAt: T0 })),
      (error) => (error as { code?: string } | undefined)?.code === '25006',
      10_000,
    );
    expect(store.isTransient(refused)).toBe(true);
    await postgres.query(`ALTER DATABASE ${database} SET default_transaction_read_only = off`);
    await postgres.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
      database,
    ]);
    await until(
      'health to recover',
      () => store.health(),
      (h) => h.ok,
      10_000,
    );
    await store.ingest({ payload: body(alert('a')), receivedAt: T0 });
  }, 30_000);

  it('a connection cut mid-transaction, and a lock held too long, fail transiently; the retry is stored', async () => {
    const url = await postgres.createDatabase();
    const database = new URL(url).pathname.slice(1);
    // Cut while it waits: the default lock timeout leaves the test time to find it waiting.
    const patient = openStore(url, { lockTimeoutMs: 30_000 });
    const store = openStore(url);
    await Promise.all([patient.ready(), store.ready()]);
    await store.ingest({ payload: body(alert('a')), receivedAt: T0 });

    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      // Another session holds the table: the delivery waits on it, and its connection is cut meanwhile.
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE burnbook.alerts IN ACCESS EXCLUSIVE MODE');
      const cut = failureOf(patient.ingest({ payload: body(resolved(alert('a'))), receivedAt: T0 + 1 }));
      await until(
        'the delivery to wait on the lock, and be cut',
        () =>
          postgres.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = $1 AND application_name = 'burnbook' AND wait_event_type = 'Lock'`,
            [database],
          ),
        (rows) => rows.length > 0,
        10_000,
      );
      const cutError = await cut;
      expect(cutError, String(cutError)).toBeInstanceOf(Error);
      expect(classifyPostgresError(cutError)).toBe('unreachable');
      expect(patient.isTransient(cutError)).toBe(true);

      // Not cut this time: the lock timeout answers within seconds.
      const started = Date.now();
      const timedOut = await failureOf(
        store.ingest({ payload: body(resolved(alert('a'))), receivedAt: T0 + 2 }),
      );
      expect((timedOut as { code?: string }).code).toBe('55P03');
      expect(store.isTransient(timedOut)).toBe(true);
      expect(Date.now() - started).toBeLessThan(3_000);
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }
    await store.ingest({ payload: body(resolved(alert('a'))), receivedAt: T0 + 3 });
    const [row] = await store.list();
    expect(row).toMatchObject({ status: 'resolved', receiveCount: 2 });
    expect((await store.get(row?.id ?? -1))?.events.map((e) => e.kind)).toEqual(['fired', 'resolved']);
  }, 30_000);

  it('while the server is down (a failover) writes fail transiently and health says so; then it recovers', async () => {
    const url = await postgres.createDatabase();
    const store = openStore(url);
    await store.ready();
    await store.ingest({ payload: body(alert('a')), receivedAt: T0 });
    await postgres.halt();
    try {
      const failure = await failureOf(store.ingest({ payload: body(alert('b')), receivedAt: T0 + 1 }));
      expect(failure, String(failure)).toBeInstanceOf(Error);
      expect(store.isTransient(failure)).toBe(true);
      const health = await store.health();
      expect(health.ok).toBe(false);
      expect(health.ok ? '' : health.problem).toMatch(
        /^cannot read postgres:\/\/postgres@127\.0\.0\.1:\d+\//,
      );
    } finally {
      await postgres.resume();
    }
    await store.ingest({ payload: body(alert('b')), receivedAt: T0 + 2 });
    expect((await store.list()).map((a) => a.fingerprint).sort()).toEqual(['a', 'b']);
    expect(await store.health()).toEqual({ ok: true });
  }, 60_000);

  it('a replica starting before its database keeps trying, and gives up with the reason in bounded time', async () => {
    const nowhere = `postgres://postgres@127.0.0.1:${postgres.port + 1}/nope`;
    const started = Date.now();
    await expect(openStore(nowhere, { startTimeoutMs: 1_500 }).ready()).rejects.toThrow(
      /cannot set up the alert store: .*ECONNREFUSED/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    // No retry mends a database that does not exist: it fails at once.
    const missing = postgres.url('no_such_database');
    await expect(openStore(missing).ready()).rejects.toThrow(/database "no_such_database" does not exist/);
  });
});

describe('serve --store', () => {
  it('refuses a URL that is not PostgreSQL as a usage error', () => {
    const run = burnbook(['serve', 'slos/', '--port', '0', '--store', 'mysql://db/burnbook']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      '--store expects a PostgreSQL URL: postgres://user:password@host:5432/database',
    );
  });

  // A refusal no retry mends exits at once; one unreachable is retried for 8 s first, then exits the same way
  // (the store's retry and its bound are tested above with a shorter one).
  it('exits 3 naming the database, never its password, when the database refuses it (BURNBOOK_STORE too)', () => {
    const refused = `postgres://burnbook:s3cret@127.0.0.1:${postgres.port}/burnbook`;
    const run = burnbook(['serve', 'slos/', '--port', '0'], { BURNBOOK_STORE: refused });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^Cannot start with --store postgres:\/\/burnbook:\*\*\*@127\.0\.0\.1:\d+\/burnbook: cannot set up the alert store: role "burnbook" does not exist/m,
    );
    expect(run.all).not.toContain('s3cret');
  }, 30_000);
});
