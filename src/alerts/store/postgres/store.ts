/**
 * The alert history in PostgreSQL, for several burnbook replicas behind an Alertmanager cluster: any replica
 * may receive any delivery, the same one at the same moment too (see ingest.ts), and all of them serve the
 * same history. Deliveries are group-committed per replica (a few transactions in flight, everything that
 * arrives meanwhile in the next), reads go through a small connection pool, retention runs on one replica
 * at a time, and the schema is migrated in code when a replica starts (migrations.ts).
 */
import pg from 'pg';
import { z } from 'zod';
import { FILTER_COLUMNS, listPlan } from '../filters.ts';
import { GroupCommit } from '../group-commit.ts';
import {
  type AlertListQuery,
  type AlertRow,
  type AlertStore,
  alertEventSchema,
  alertEvidenceSchema,
  alertRowSchema,
  type Delivery,
  type IngestResult,
  type StoreHooks,
  truncatedDeliverySchema,
} from '../store.ts';
import { ingestDeliveries, pgText } from './ingest.ts';
import { LOCKS, migrate } from './migrations.ts';
import { classifyPostgresError, isTransientPostgresError, StoreClosedError } from './transient.ts';

export interface PostgresStoreOptions extends StoreHooks {
  /** `postgres://user:password@host:5432/database`; libpq's `?sslmode=` and the like are understood. */
  url: string;
  /** How long a replica keeps trying to reach the database when it starts (a failover under way); default 8 s. */
  startTimeoutMs?: number;
  /** How long a statement waits for a lock another session holds before the delivery is a 503; default 5 s. */
  lockTimeoutMs?: number;
}

// Deliveries per transaction: enough to share a commit under load, few enough to commit within milliseconds.
const MAX_BATCH = 256;
// Transactions a replica commits at once: PostgreSQL flushes the WAL of concurrent commits together, so a few
// in flight keep up with a few Alertmanager groups notifying at once; the rest of the pool serves reads.
const IN_FLIGHT = 4;
// Under fastify's 10 s for an onReady hook (the server awaits ready() there), so the reason is the store's.
const DEFAULT_START_TIMEOUT_MS = 8_000;
const DEFAULT_LOCK_TIMEOUT_MS = 5_000;

/** A timestamp column in milliseconds since the epoch: exact, since the store only writes whole milliseconds. */
const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::bigint`;

const ALERT_COLUMNS = `id, fingerprint, status, ${ms('starts_at')} AS "startsAt", ${ms('ends_at')} AS "endsAt",
  labels, annotations, generator_url AS "generatorURL", alertname, severity, slo_service AS "sloService", slo,
  slo_tier AS "sloTier", ${ms('first_received_at')} AS "firstReceivedAt", ${ms('last_received_at')} AS "lastReceivedAt",
  receive_count AS "receiveCount"`;

const SELECT_ALERTS = `SELECT ${ALERT_COLUMNS} FROM burnbook.alerts`;

const GET_ALERT = `SELECT ${ALERT_COLUMNS},
  (SELECT coalesce(json_agg(json_build_object('kind', kind, 'at', ${ms('at')}) ORDER BY at, id), '[]')
    FROM burnbook.alert_events WHERE alert_id = a.id) AS events,
  (SELECT coalesce(json_agg(json_build_object('id', id, 'queryName', query_name, 'expr', expr, 'result', result,
      'error', error, 'capturedAt', ${ms('captured_at')}) ORDER BY id), '[]')
    FROM burnbook.alert_evidence WHERE alert_id = a.id) AS evidence
  FROM burnbook.alerts a WHERE id = $1`;

const detailSchema = alertRowSchema.extend({
  events: z.array(alertEventSchema),
  evidence: z.array(alertEvidenceSchema),
});

const INSERT_EVIDENCE = `
  INSERT INTO burnbook.alert_evidence (alert_id, query_name, expr, result, error, captured_at)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::json[], $5::text[], $6::timestamptz[])
  RETURNING id`;

const PRUNE_TRUNCATED = 'DELETE FROM burnbook.truncated_deliveries WHERE received_at < $1';

const LATEST_TRUNCATED = `
  SELECT ${ms('received_at')} AS "receivedAt", group_key AS "groupKey", group_labels AS "groupLabels", receiver,
    status, alerts, truncated_alerts AS "truncatedAlerts"
  FROM burnbook.truncated_deliveries ORDER BY received_at DESC, id DESC LIMIT $1`;

const PRUNE = `
  DELETE FROM burnbook.alerts WHERE id IN (
    SELECT id FROM burnbook.alerts WHERE status = 'resolved' AND starts_at < $1 AND ends_at < $1
    LIMIT $2 FOR UPDATE SKIP LOCKED)`;

// node-postgres gives bigint as text (it may not fit a double); ids and counts here stay far below 2^53.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** The URL with its password replaced, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

/**
 * Opens the store on the database at `url`: returns at once; ready() resolves once the schema is migrated,
 * or rejects with why not (a wrong password, a database that does not exist, none reachable in time).
 */
export function openPostgresStore(options: PostgresStoreOptions): AlertStore {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 8,
    application_name: 'burnbook',
    types,
    keepAlive: true,
    connectionTimeoutMillis: 5_000,
    // Every answer in bounded time: a lock another replica holds becomes a 503 within seconds, a statement
    // the server never answers (a network gone quiet) one too, and a replica that hangs mid-transaction
    // releases its rows for the others.
    lock_timeout: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    statement_timeout: 15_000,
    query_timeout: 20_000,
    idle_in_transaction_session_timeout: 30_000,
  });
  // A connection that drops while idle (a failover, a restart) is reported here; the pool replaces it.
  pool.on('error', (error) => {
    console.error(`burnbook: a PostgreSQL connection was lost (${error.message}); the pool reconnects`);
  });
  let closed = false;
  const open = () => {
    if (closed) throw new StoreClosedError();
  };

  async function transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    open();
    const client = await pool.connect();
    try {
      const result = await work(client);
      client.release();
      return result;
    } catch (error) {
      // Whatever state the connection is in (mid-transaction, broken), it is not handed out again.
      client.release(error instanceof Error ? error : true);
      throw error;
    }
  }
  const query = <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
    open();
    return pool.query<R>(sql, params);
  };

  const ready = migrateWhenReachable(pool, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  // Handled by whoever awaits it (the server's onReady); until then a failed start is no unhandled rejection.
  ready.catch(() => {});

  const commits = new GroupCommit<Delivery, IngestResult>({
    async commit(deliveries) {
      const started = performance.now();
      const results = await transaction((client) => ingestDeliveries(client, deliveries));
      options.observeCommit?.((performance.now() - started) / 1000);
      return results;
    },
    maxBatch: MAX_BATCH,
    inFlight: IN_FLIGHT,
    keys: ({ payload }) => payload.alerts.map((alert) => `${alert.startsAt}:${alert.fingerprint}`),
    retrySingly: (error) => !isTransientPostgresError(error),
  });

  return {
    ready: () => ready,
    ingest: (delivery) => commits.submit(delivery),

    async list(request: AlertListQuery = {}): Promise<AlertRow[]> {
      const { limit, filters, statuses } = listPlan(request);
      const { before } = request;
      const rows: AlertRow[] = [];
      for (const status of statuses) {
        if (rows.length >= limit) break;
        const params: unknown[] = [status];
        const where = ['status = $1'];
        for (const filter of filters) {
          params.push(pgText(request[filter] as string));
          where.push(`${FILTER_COLUMNS[filter]} = $${params.length}`);
        }
        if (before?.status === status) {
          params.push(new Date(before.startsAt), before.id);
          where.push(`(starts_at, id) < ($${params.length - 1}, $${params.length})`);
        }
        params.push(limit - rows.length);
        const page = await query(
          `${SELECT_ALERTS} WHERE ${where.join(' AND ')} ORDER BY starts_at DESC, id DESC LIMIT $${params.length}`,
          params,
        );
        rows.push(...page.rows.map((row) => alertRowSchema.parse(row)));
      }
      return rows;
    },

    async get(id) {
      const { rows } = await query(GET_ALERT, [id]);
      return rows[0] === undefined ? undefined : detailSchema.parse(rows[0]);
    },

    async addEvidence(...evidence) {
      if (evidence.length === 0) return [];
      const { rows } = await query<{ id: number }>(INSERT_EVIDENCE, [
        evidence.map((e) => e.alertId),
        evidence.map((e) => pgText(e.queryName)),
        evidence.map((e) => pgText(e.expr)),
        evidence.map((e) => (e.result === null ? null : JSON.stringify(e.result))),
        evidence.map((e) => (e.error === null ? null : pgText(e.error))),
        evidence.map((e) => new Date(e.capturedAt)),
      ]);
      // One statement inserts in the order given and numbers rows as it goes.
      return rows.map((row) => row.id).sort((a, b) => a - b);
    },

    prune: (olderThanMs, now, limit = Number.MAX_SAFE_INTEGER) =>
      transaction(async (client) => {
        await client.query('BEGIN');
        // One replica prunes at a time; the others find the lock taken and leave it to that one.
        const { rows } = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_xact_lock($1) AS locked',
          [LOCKS.retention.toString()],
        );
        const cutoff = new Date(now - olderThanMs);
        let deleted = 0;
        if (rows[0]?.locked) {
          await client.query(PRUNE_TRUNCATED, [cutoff]);
          deleted = (await client.query(PRUNE, [cutoff, limit])).rowCount ?? 0;
        }
        await client.query('COMMIT');
        return deleted;
      }),

    async counts() {
      const [firing, total] = await Promise.all([
        query<{ severity: string; count: number }>(
          `SELECT coalesce(severity, '') AS severity, count(*) AS count FROM burnbook.alerts
           WHERE status = 'firing' GROUP BY 1`,
        ),
        query<{ total: number }>('SELECT count(*) AS total FROM burnbook.alerts'),
      ]);
      return {
        firingBySeverity: Object.fromEntries(firing.rows.map((row) => [row.severity, row.count])),
        total: total.rows[0]?.total ?? 0,
      };
    },

    async truncatedDeliveries(limit) {
      const { rows } = await query(LATEST_TRUNCATED, [Math.max(0, limit)]);
      return rows.map((row) => truncatedDeliverySchema.parse(row));
    },

    async health() {
      if (closed) return { ok: false, problem: 'the alert store is closed' };
      try {
        // After a failover the address may lead to a standby, which reads but refuses every write.
        const { rows } = await query<{ standby: boolean; readOnly: string }>(
          `SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') AS "readOnly"
           FROM burnbook.schema_version`,
        );
        const [row] = rows;
        if (row?.standby || row?.readOnly === 'on') {
          return {
            ok: false,
            problem: `${redactedUrl(options.url)} takes no writes (a standby, or read-only): alerts are answered 503 until it does`,
          };
        }
        return { ok: true };
      } catch (error) {
        return { ok: false, problem: `cannot read ${redactedUrl(options.url)}: ${describe(error)}` };
      }
    },

    isTransient: isTransientPostgresError,

    async close() {
      if (closed) return;
      await commits.close();
      closed = true;
      await ready.catch(() => {});
      await pool.end();
    },
  };
}

/** An error in a few words: a connection that failed on every address reports them all at once, without a message. */
function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  return error instanceof Error && error.message ? error.message : String(error);
}

/**
 * Migrates once the database answers: a replica that starts during a failover, or before its database,
 * keeps trying for `timeoutMs`; an error that no retry mends (a wrong password, no such database) fails at once.
 */
async function migrateWhenReachable(pool: pg.Pool, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const client = await pool.connect();
      try {
        await migrate(client);
        client.release();
        return;
      } catch (error) {
        client.release(true);
        throw error;
      }
    } catch (error) {
      const fault = classifyPostgresError(error);
      if ((fault !== 'unreachable' && fault !== 'busy') || Date.now() + 500 * attempt > deadline) {
        throw new Error(`cannot set up the alert store: ${describe(error)}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 2_000)));
    }
  }
}
