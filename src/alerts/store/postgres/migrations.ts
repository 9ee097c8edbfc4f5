/**
 * The PostgreSQL alert store's schema, as migrations applied in order, in a schema of its own (`burnbook`)
 * so it can share a database with anything else. `burnbook.schema_version` holds how many have been
 * applied. A migration that has shipped is never edited: a change is a new one appended at the end.
 *
 * Times are `timestamptz` (milliseconds in, milliseconds out); labels, annotations and evidence are `json`,
 * which keeps the text as it arrived: key order, and every character JSON can escape (`jsonb` refuses
 * `\u0000`, which a label value may hold).
 */
import type pg from 'pg';

const MIGRATIONS: readonly string[] = [
  // 1: alerts, one row per occurrence (fingerprint, starts_at), with their receipts; status transitions; evidence.
  `
  CREATE TABLE burnbook.alerts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz,
    status text NOT NULL CHECK (status IN ('firing', 'resolved')),
    labels json NOT NULL,
    annotations json NOT NULL,
    generator_url text NOT NULL,
    -- Filled by the store from the labels and annotations, which they must always agree with.
    alertname text,
    severity text,
    slo_service text,
    slo text,
    slo_tier text,
    runbook_url text,
    first_received_at timestamptz NOT NULL,
    last_received_at timestamptz NOT NULL,
    receive_count bigint NOT NULL,
    -- The Alertmanager (its externalURL) whose delivery resolved it last, and when: see late-view.ts.
    resolved_by text,
    resolved_at timestamptz,
    UNIQUE (fingerprint, starts_at)
  );
  -- Only what list() filters and orders by: every list is per status, newest start first.
  CREATE INDEX alerts_by_status ON burnbook.alerts (status, starts_at, id);
  CREATE INDEX alerts_by_slo ON burnbook.alerts (slo_service, slo, status, starts_at, id);
  CREATE INDEX alerts_by_alertname ON burnbook.alerts (alertname, status, starts_at, id);
  CREATE INDEX alerts_by_runbook_url ON burnbook.alerts (runbook_url, status, starts_at, id);

  CREATE TABLE burnbook.alert_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id bigint NOT NULL REFERENCES burnbook.alerts (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('fired', 'resolved', 'refired')),
    at timestamptz NOT NULL
  );
  CREATE INDEX alert_events_by_alert ON burnbook.alert_events (alert_id);

  CREATE TABLE burnbook.alert_evidence (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id bigint NOT NULL REFERENCES burnbook.alerts (id) ON DELETE CASCADE,
    query_name text NOT NULL,
    expr text NOT NULL,
    result json,
    error text,
    captured_at timestamptz NOT NULL
  );
  CREATE INDEX alert_evidence_by_alert ON burnbook.alert_evidence (alert_id);

  -- Deliveries from which Alertmanager left alerts out (max_alerts in the webhook_config), and how many.
  CREATE TABLE burnbook.truncated_deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at timestamptz NOT NULL,
    group_key text NOT NULL,
    group_labels json NOT NULL,
    receiver text NOT NULL,
    status text NOT NULL CHECK (status IN ('firing', 'resolved')),
    alerts integer NOT NULL,
    truncated_alerts integer NOT NULL
  );
  CREATE INDEX truncated_deliveries_by_time ON burnbook.truncated_deliveries (received_at);
  `,
];

/** Keys of the advisory locks replicas coordinate with (any constant bigint; these spell "burnbook"). */
export const LOCKS = { migrations: 0x6275726e626f6f6bn, retention: 0x6275726e626f6f6cn } as const;

/**
 * Brings the database up to the newest schema in one transaction; a no-op when it is already there. Replicas
 * starting together queue on an advisory lock, so exactly one applies each migration and the others find it
 * applied. Throws when the database holds a newer schema than this burnbook knows.
 */
export async function migrate(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.migrations.toString()]);
    await client.query('CREATE SCHEMA IF NOT EXISTS burnbook');
    await client.query('CREATE TABLE IF NOT EXISTS burnbook.schema_version (version integer NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM burnbook.schema_version');
    const applied = rows[0]?.version ?? 0;
    if (applied > MIGRATIONS.length) {
      throw new Error(
        `alert store schema version ${applied} is newer than this burnbook knows (${MIGRATIONS.length}); upgrade burnbook`,
      );
    }
    for (const sql of MIGRATIONS.slice(applied)) await client.query(sql);
    if (rows.length === 0) {
      await client.query('INSERT INTO burnbook.schema_version (version) VALUES ($1)', [MIGRATIONS.length]);
    } else if (applied < MIGRATIONS.length) {
      await client.query('UPDATE burnbook.schema_version SET version = $1', [MIGRATIONS.length]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** How many migrations this burnbook knows: the schema version of a store it has migrated. */
export const SCHEMA_VERSION = MIGRATIONS.length;
