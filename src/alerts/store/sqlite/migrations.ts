/**
 * The alert store's schema, as migrations applied in order. `PRAGMA user_version` holds how many have
 * been applied. A migration that has shipped is never edited: a change is a new one appended at the end.
 */
import type { Database } from 'better-sqlite3';

const MIGRATIONS: readonly string[] = [
  // 1: alerts, one row per occurrence (fingerprint, startsAt); their status transitions and evidence.
  `
  CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER,
    status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    labels TEXT NOT NULL,
    annotations TEXT NOT NULL,
    generator_url TEXT NOT NULL,
    -- Derived from labels by SQLite itself, so they can never disagree with the labels they filter by.
    alertname TEXT GENERATED ALWAYS AS (labels ->> '$.alertname') STORED,
    severity TEXT GENERATED ALWAYS AS (labels ->> '$.severity') STORED,
    slo_service TEXT GENERATED ALWAYS AS (labels ->> '$.slo_service') STORED,
    slo TEXT GENERATED ALWAYS AS (labels ->> '$.slo') STORED,
    slo_tier TEXT GENERATED ALWAYS AS (labels ->> '$.slo_tier') STORED,
    first_received_at INTEGER NOT NULL,
    UNIQUE (fingerprint, starts_at)
  ) STRICT;

  -- Most deliveries repeat what is stored and only bump these; in a narrow table of their own that
  -- rewrites a few bytes per alert instead of the whole row with its labels and annotations.
  CREATE TABLE alert_receipts (
    alert_id INTEGER PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
    last_received_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL
  ) STRICT;

  -- count(*) walks a whole index; /metrics asks for the total on every scrape.
  CREATE TABLE alert_totals (id INTEGER PRIMARY KEY CHECK (id = 1), stored INTEGER NOT NULL) STRICT;
  INSERT INTO alert_totals (id, stored) VALUES (1, 0);
  CREATE TRIGGER alerts_counted AFTER INSERT ON alerts BEGIN
    UPDATE alert_totals SET stored = stored + 1;
  END;
  CREATE TRIGGER alerts_uncounted AFTER DELETE ON alerts BEGIN
    UPDATE alert_totals SET stored = stored - 1;
  END;

  -- Only what list() filters and orders by: every list is per status, newest start first.
  CREATE INDEX alerts_by_status ON alerts (status, starts_at);
  CREATE INDEX alerts_by_slo ON alerts (slo_service, slo, status, starts_at);
  CREATE INDEX alerts_by_alertname ON alerts (alertname, status, starts_at);

  CREATE TABLE alert_events (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('fired', 'resolved', 'refired')),
    at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX alert_events_by_alert ON alert_events (alert_id);

  CREATE TABLE alert_evidence (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    query_name TEXT NOT NULL,
    expr TEXT NOT NULL,
    result TEXT,
    error TEXT,
    captured_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX alert_evidence_by_alert ON alert_evidence (alert_id);
  `,
  // 2: alerts by their runbook_url annotation, so a runbook page finds the alerts that link to it.
  // VIRTUAL, because ALTER TABLE cannot add a STORED column; the index keeps the value all the same.
  `
  ALTER TABLE alerts ADD COLUMN runbook_url TEXT GENERATED ALWAYS AS (annotations ->> '$.runbook_url') VIRTUAL;
  CREATE INDEX alerts_by_runbook_url ON alerts (runbook_url, status, starts_at);
  `,
  // 3: the filter columns become plain columns, filled by the store from the labels it has just parsed.
  // Generated, SQLite parsed the labels' JSON once per column on every insert: a third of an insert's time.
  `
  DROP INDEX alerts_by_slo;
  DROP INDEX alerts_by_alertname;
  DROP INDEX alerts_by_runbook_url;
  ALTER TABLE alerts DROP COLUMN alertname;
  ALTER TABLE alerts DROP COLUMN severity;
  ALTER TABLE alerts DROP COLUMN slo_service;
  ALTER TABLE alerts DROP COLUMN slo;
  ALTER TABLE alerts DROP COLUMN slo_tier;
  ALTER TABLE alerts DROP COLUMN runbook_url;
  ALTER TABLE alerts ADD COLUMN alertname TEXT;
  ALTER TABLE alerts ADD COLUMN severity TEXT;
  ALTER TABLE alerts ADD COLUMN slo_service TEXT;
  ALTER TABLE alerts ADD COLUMN slo TEXT;
  ALTER TABLE alerts ADD COLUMN slo_tier TEXT;
  ALTER TABLE alerts ADD COLUMN runbook_url TEXT;
  UPDATE alerts SET alertname = labels ->> '$.alertname', severity = labels ->> '$.severity',
    slo_service = labels ->> '$.slo_service', slo = labels ->> '$.slo', slo_tier = labels ->> '$.slo_tier',
    runbook_url = annotations ->> '$.runbook_url';
  CREATE INDEX alerts_by_slo ON alerts (slo_service, slo, status, starts_at);
  CREATE INDEX alerts_by_alertname ON alerts (alertname, status, starts_at);
  CREATE INDEX alerts_by_runbook_url ON alerts (runbook_url, status, starts_at);
  `,
  // 4: deliveries from which Alertmanager left alerts out (max_alerts in the webhook_config), and how many.
  `
  CREATE TABLE truncated_deliveries (
    id INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,
    group_key TEXT NOT NULL,
    group_labels TEXT NOT NULL,
    receiver TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    alerts INTEGER NOT NULL,
    truncated_alerts INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX truncated_deliveries_by_time ON truncated_deliveries (received_at);
  `,
  // 5: the Alertmanager (its externalURL) whose delivery resolved an alert last, and when: see late-view.ts.
  `
  ALTER TABLE alerts ADD COLUMN resolved_by TEXT;
  ALTER TABLE alerts ADD COLUMN resolved_at INTEGER;
  `,
  // 6: firing alerts by severity, kept by triggers. Counted by a query, /healthz, /metrics and every alert
  // page read each firing alert's row on the main thread: 0.3-0.4 s at 200,000 firing, seconds under load.
  `
  CREATE TABLE alerts_firing (severity TEXT PRIMARY KEY, firing INTEGER NOT NULL) STRICT;
  INSERT INTO alerts_firing (severity, firing)
    SELECT coalesce(severity, ''), count(*) FROM alerts WHERE status = 'firing' GROUP BY 1;
  CREATE TRIGGER alerts_firing_inserted AFTER INSERT ON alerts WHEN NEW.status = 'firing' BEGIN
    INSERT INTO alerts_firing (severity, firing) VALUES (coalesce(NEW.severity, ''), 1)
      ON CONFLICT (severity) DO UPDATE SET firing = firing + 1;
  END;
  CREATE TRIGGER alerts_firing_deleted AFTER DELETE ON alerts WHEN OLD.status = 'firing' BEGIN
    UPDATE alerts_firing SET firing = firing - 1 WHERE severity = coalesce(OLD.severity, '');
  END;
  CREATE TRIGGER alerts_firing_updated AFTER UPDATE OF status, severity ON alerts
    WHEN OLD.status IS NOT NEW.status OR OLD.severity IS NOT NEW.severity BEGIN
    UPDATE alerts_firing SET firing = firing - 1
      WHERE OLD.status = 'firing' AND severity = coalesce(OLD.severity, '');
    INSERT INTO alerts_firing (severity, firing) SELECT coalesce(NEW.severity, ''), 1 WHERE NEW.status = 'firing'
      ON CONFLICT (severity) DO UPDATE SET firing = firing + 1;
  END;
  `,
];

/** The schema version of a store this burnbook has migrated. */
export const MIGRATIONS_APPLIED = MIGRATIONS.length;

/**
 * Brings the database up to the newest schema (or to version `target`, for tests of an upgrade) in one
 * transaction; a no-op when it is already there.
 */
export function migrate(db: Database, target = MIGRATIONS.length): void {
  // IMMEDIATE takes the write lock before reading the version, so two processes opening a fresh
  // database at once cannot both apply the same migration.
  db.transaction(() => {
    const applied = db.pragma('user_version', { simple: true });
    if (typeof applied !== 'number') throw new Error(`unexpected PRAGMA user_version: ${String(applied)}`);
    if (applied > MIGRATIONS.length) {
      throw new Error(
        `alert store schema version ${applied} is newer than this burnbook knows (${MIGRATIONS.length}); upgrade burnbook`,
      );
    }
    if (applied >= target) return;
    for (const sql of MIGRATIONS.slice(applied, target)) db.exec(sql);
    db.pragma(`user_version = ${target}`);
  }).immediate();
}
