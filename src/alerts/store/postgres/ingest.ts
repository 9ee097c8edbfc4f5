/**
 * Webhook deliveries into PostgreSQL, several bodies per transaction, safe when replicas receive the same
 * delivery at the same moment (an HA Alertmanager cluster notifies every replica it reaches).
 *
 * One transaction, READ COMMITTED whatever the database's default (each statement sees what committed before
 * it started, which the steps below rely on), in a fixed number of statements however many alerts:
 * 1. Upsert: insert every occurrence (fingerprint, startsAt) not stored yet, `ON CONFLICT DO NOTHING`,
 *    sorted by key. An insert that meets another replica's uncommitted insert of the same key waits for it,
 *    then does nothing; keys in the same order everywhere means two replicas never wait on each other.
 * 2. Lock the occurrences that were stored already (`FOR NO KEY UPDATE`, in key order) and read them: a
 *    replica holding one waits here until the other commits, then reads what it committed.
 * 3. Decide, in memory, what each delivery changed, in order: new, changed (with a status event when the
 *    status changed) or a repeat that only counts its receipt.
 * 4. Write the rows' new states, receipts and status events in one statement (new rows' first events
 *    went in with them).
 * So each status change is recorded, and reported as newly firing, by exactly one replica.
 */
import type pg from 'pg';
import type { AlertmanagerAlert } from '../../payload.ts';
import { isLateView, type Resolution } from '../late-view.ts';
import type { AlertEvent, Delivery, FiringAlert, IngestResult } from '../store.ts';

/** An occurrence as stored: what a delivery is compared with. */
interface Stored {
  id: number;
  status: AlertmanagerAlert['status'];
  endsAt: number | null;
  labels: string;
  annotations: string;
  generatorURL: string;
  filters: FilterColumns;
  /** Who delivered the latest resolution, and when; undefined before any. */
  resolution: Resolution | undefined;
}

interface Touched {
  /** What the row holds once the batch is done. */
  stored: Stored;
  /** Receipts beyond the ones already counted in the row. */
  receipts: number;
  lastReceivedAt: number;
}

/**
 * PostgreSQL text cannot hold NUL, and a lone UTF-16 surrogate arrives as U+FFFD: the text columns get what
 * PostgreSQL would keep, so a repeat compares equal to what was stored. Labels and annotations are JSON,
 * where both are escaped and kept exactly.
 */
const NOT_IN_PG_TEXT = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
export const pgText = (text: string): string => text.replace(NOT_IN_PG_TEXT, '\uFFFD');
const optionalText = (text: string | undefined): string | null => (text === undefined ? null : pgText(text));

const keyOf = (fingerprint: string, startsAt: number) => `${startsAt}:${fingerprint}`;
const date = (ms: number | null) => (ms === null ? null : new Date(ms));

/** A column of values for one array parameter: `unnest` turns parallel arrays into rows. */
const column = <T, V>(items: readonly T[], value: (item: T) => V): V[] => items.map(value);

// Ids are drawn in the order the alerts arrived (as SQLite numbers them: lists show alerts of one start in
// that order), then rows are inserted in key order; ids of rows that turned out to exist already are skipped.
// A large batch goes in several statements, with its ids drawn beforehand ($17; null: draw here).
// Each new row's first event goes in with it: one round trip for a delivery of new alerts.
const INSERT = `
  WITH inserted AS (
  INSERT INTO burnbook.alerts (id, fingerprint, starts_at, ends_at, status, labels, annotations, generator_url,
    alertname, severity, slo_service, slo, slo_tier, runbook_url, first_received_at, last_received_at, receive_count,
    resolved_by, resolved_at)
  OVERRIDING SYSTEM VALUE
  SELECT id, fingerprint, starts_at, ends_at, status, labels, annotations, generator_url, alertname, severity,
    slo_service, slo, slo_tier, runbook_url, received_at, received_at, 1,
    CASE status WHEN 'resolved' THEN sender END, CASE status WHEN 'resolved' THEN received_at END
  FROM (
    SELECT coalesce(given_id, nextval(pg_get_serial_sequence('burnbook.alerts', 'id'))) AS id, input.*
    FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::text[], $5::json[], $6::json[], $7::text[],
      $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::timestamptz[], $15::text[],
      $16::int[], $17::bigint[])
      WITH ORDINALITY AS input (fingerprint, starts_at, ends_at, status, labels, annotations, generator_url,
        alertname, severity, slo_service, slo, slo_tier, runbook_url, received_at, sender, key_order, given_id,
        arrival)
    ORDER BY arrival
  ) numbered
  ORDER BY key_order
  ON CONFLICT (fingerprint, starts_at) DO NOTHING
  RETURNING id, fingerprint, starts_at, status, first_received_at
  ), first_events AS (
    INSERT INTO burnbook.alert_events (alert_id, kind, at)
    SELECT id, CASE status WHEN 'firing' THEN 'fired' ELSE 'resolved' END, first_received_at FROM inserted
  )
  SELECT id, fingerprint, (extract(epoch FROM starts_at) * 1000)::bigint AS "startsAt" FROM inserted`;

const LOCK = `
  SELECT id, a.fingerprint, (extract(epoch FROM a.starts_at) * 1000)::bigint AS "startsAt", status,
    (extract(epoch FROM ends_at) * 1000)::bigint AS "endsAt", labels::text AS labels,
    annotations::text AS annotations, generator_url AS "generatorURL", alertname, severity,
    slo_service AS "sloService", slo, slo_tier AS "sloTier", runbook_url AS "runbookUrl",
    resolved_by AS "resolvedBy", (extract(epoch FROM resolved_at) * 1000)::bigint AS "resolvedAt"
  FROM burnbook.alerts a
  JOIN unnest($1::text[], $2::timestamptz[]) AS wanted (fingerprint, starts_at)
    ON a.fingerprint = wanted.fingerprint AND a.starts_at = wanted.starts_at
  ORDER BY a.fingerprint, a.starts_at
  FOR NO KEY UPDATE OF a`;

// The rows' new states and receipts, and the status events of this batch, in one statement.
const UPDATE = `
  WITH updated AS (
    UPDATE burnbook.alerts a SET status = u.status, ends_at = u.ends_at, labels = u.labels,
      annotations = u.annotations, generator_url = u.generator_url, alertname = u.alertname,
      severity = u.severity, slo_service = u.slo_service, slo = u.slo, slo_tier = u.slo_tier,
      runbook_url = u.runbook_url, last_received_at = greatest(a.last_received_at, u.received_at),
      receive_count = a.receive_count + u.receipts, resolved_by = u.resolved_by, resolved_at = u.resolved_at
    FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::json[], $5::json[], $6::text[], $7::text[],
      $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::bigint[],
      $15::text[], $16::timestamptz[])
      AS u (id, status, ends_at, labels, annotations, generator_url, alertname, severity, slo_service, slo,
        slo_tier, runbook_url, received_at, receipts, resolved_by, resolved_at)
    WHERE a.id = u.id
  ), events AS (
    INSERT INTO burnbook.alert_events (alert_id, kind, at)
    SELECT * FROM unnest($17::bigint[], $18::text[], $19::timestamptz[])
  )
  SELECT 1`;

type FilterColumns = ReturnType<typeof filterColumns>;

const TRUNCATED = `
  INSERT INTO burnbook.truncated_deliveries (received_at, group_key, group_labels, receiver, status, alerts,
    truncated_alerts)
  SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::json[], $4::text[], $5::text[], $6::int[], $7::int[])`;

/** The columns list() filters by, from the labels and annotations they must always agree with. */
function filterColumns(alert: AlertmanagerAlert) {
  return {
    alertname: optionalText(alert.labels.alertname),
    severity: optionalText(alert.labels.severity),
    sloService: optionalText(alert.labels.slo_service),
    slo: optionalText(alert.labels.slo),
    sloTier: optionalText(alert.labels.slo_tier),
    runbookUrl: optionalText(alert.annotations.runbook_url),
  };
}

const filterParams = (columns: readonly FilterColumns[]) => {
  return [
    column(columns, (c) => c.alertname),
    column(columns, (c) => c.severity),
    column(columns, (c) => c.sloService),
    column(columns, (c) => c.slo),
    column(columns, (c) => c.sloTier),
    column(columns, (c) => c.runbookUrl),
  ];
};

function storedFrom(alert: AlertmanagerAlert, id: number, resolution: Resolution | undefined): Stored {
  return {
    id,
    status: alert.status,
    endsAt: alert.endsAt,
    labels: JSON.stringify(alert.labels),
    annotations: JSON.stringify(alert.annotations),
    generatorURL: pgText(alert.generatorURL),
    filters: filterColumns(alert),
    resolution,
  };
}

const sameAs = (stored: Stored, next: Stored) =>
  stored.status === next.status &&
  stored.endsAt === next.endsAt &&
  stored.labels === next.labels &&
  stored.annotations === next.annotations &&
  stored.generatorURL === next.generatorURL;

/** An occurrence's first delivery in a batch: what an insert stores. */
interface First {
  alert: AlertmanagerAlert;
  receivedAt: number;
  /** The `externalURL` of the Alertmanager that delivered it. */
  sender: string;
}

type LockedRow = Omit<Stored, 'resolution' | 'filters'> &
  FilterColumns & {
    fingerprint: string;
    startsAt: number;
    resolvedBy: string | null;
    resolvedAt: number | null;
  };

/** Rows per statement: a few milliseconds of building its parameters, not hundreds. */
const CHUNK = 1000;

/** `n` alert ids, in the order the sequence gives them. */
async function drawIds(client: pg.ClientBase, n: number): Promise<number[]> {
  const { rows } = await client.query<{ id: number }>(
    "SELECT nextval(pg_get_serial_sequence('burnbook.alerts', 'id')) AS id FROM generate_series(1, $1)",
    [n],
  );
  return rows.map((row) => row.id);
}

/** At most this many rounds of insert-then-lock when a stored occurrence vanishes in between (retention). */
const ROUNDS = 3;

/**
 * Stores the deliveries in one transaction on `client`, which must not be in one; one result per delivery,
 * in order. Atomic: when it throws, none of them is stored (and the caller should discard the client).
 */
export async function ingestDeliveries(
  client: pg.ClientBase,
  deliveries: readonly Delivery[],
): Promise<IngestResult[]> {
  // The first occurrence of each key is what an insert stores; later ones are compared with it.
  const firsts = new Map<string, First>();
  for (const { payload, receivedAt } of deliveries) {
    for (const alert of payload.alerts) {
      const key = keyOf(pgText(alert.fingerprint), alert.startsAt);
      if (!firsts.has(key)) firsts.set(key, { alert, receivedAt, sender: pgText(payload.externalURL) });
    }
  }

  await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
  const inserted = new Set<string>();
  const stored = new Map<string, Stored>();
  // Every transaction inserts and locks in key order, so two never wait for each other.
  const keyOrder = new Map([...firsts.keys()].sort().map((key, i) => [key, i]));
  let wanted = [...firsts.keys()];
  for (let round = 1; wanted.length > 0; round++) {
    if (round > ROUNDS) throw new Error('alerts kept vanishing while they were stored (retention running)');
    // Statements of at most CHUNK rows, so building one never holds the event loop for long; in key order.
    const chunked = wanted.length > CHUNK;
    const ids = chunked ? await drawIds(client, wanted.length) : [];
    const given = new Map(wanted.map((key, i) => [key, ids[i] ?? null]));
    const inOrder = chunked
      ? [...wanted].sort((a, b) => (keyOrder.get(a) ?? 0) - (keyOrder.get(b) ?? 0))
      : wanted;
    const insert = { rows: [] as Array<{ id: number; fingerprint: string; startsAt: number }> };
    for (let from = 0; from < inOrder.length; from += CHUNK) {
      const keys = inOrder.slice(from, from + CHUNK);
      const rows = keys.map((key) => firsts.get(key) as First);
      const alerts = rows.map((r) => r.alert);
      const result = await client.query<{ id: number; fingerprint: string; startsAt: number }>(INSERT, [
        column(alerts, (a) => pgText(a.fingerprint)),
        column(alerts, (a) => new Date(a.startsAt)),
        column(alerts, (a) => date(a.endsAt)),
        column(alerts, (a) => a.status),
        column(alerts, (a) => JSON.stringify(a.labels)),
        column(alerts, (a) => JSON.stringify(a.annotations)),
        column(alerts, (a) => pgText(a.generatorURL)),
        ...filterParams(alerts.map(filterColumns)),
        column(rows, (r) => new Date(r.receivedAt)),
        column(rows, (r) => r.sender),
        column(keys, (key) => keyOrder.get(key)),
        column(keys, (key) => given.get(key) ?? null),
      ]);
      insert.rows.push(...result.rows);
    }
    for (const row of insert.rows) {
      const key = keyOf(row.fingerprint, row.startsAt);
      inserted.add(key);
      const { alert, receivedAt, sender } = firsts.get(key) as First;
      const resolution = alert.status === 'resolved' ? { by: sender, at: receivedAt } : undefined;
      stored.set(key, storedFrom(alert, row.id, resolution));
    }
    const existing = wanted.filter((key) => !inserted.has(key));
    if (existing.length === 0) break;
    const existingAlerts = existing.map((key) => firsts.get(key)?.alert as AlertmanagerAlert);
    const locked = await client.query<LockedRow>(LOCK, [
      column(existingAlerts, (a) => pgText(a.fingerprint)),
      column(existingAlerts, (a) => new Date(a.startsAt)),
    ]);
    for (const row of locked.rows) {
      const { fingerprint, startsAt, resolvedBy, resolvedAt, alertname, severity, sloService, slo, sloTier } =
        row;
      stored.set(keyOf(fingerprint, startsAt), {
        id: row.id,
        status: row.status,
        endsAt: row.endsAt,
        labels: row.labels,
        annotations: row.annotations,
        generatorURL: row.generatorURL,
        filters: { alertname, severity, sloService, slo, sloTier, runbookUrl: row.runbookUrl },
        resolution:
          resolvedBy === null || resolvedAt === null ? undefined : { by: resolvedBy, at: resolvedAt },
      });
    }
    wanted = existing.filter((key) => !stored.has(key));
  }

  const touched = new Map<string, Touched>();
  const events: Array<{ id: number; kind: AlertEvent['kind']; at: number }> = [];
  const firstSeen = new Set<string>();
  const results = deliveries.map(({ payload, receivedAt }): IngestResult => {
    const result: IngestResult = { stored: 0, updated: 0, unchanged: 0, newlyFiring: [] };
    const sender = pgText(payload.externalURL);
    for (const alert of payload.alerts) {
      const key = keyOf(pgText(alert.fingerprint), alert.startsAt);
      const current = stored.get(key) as Stored;
      const firing = (): FiringAlert => ({
        id: current.id,
        labels: alert.labels,
        annotations: alert.annotations,
      });
      if (inserted.has(key) && !firstSeen.has(key)) {
        // Its first event went in with it.
        firstSeen.add(key);
        result.stored++;
        if (alert.status === 'firing') result.newlyFiring.push(firing());
        continue;
      }
      const touch = touched.get(key) ?? { stored: current, receipts: 0, lastReceivedAt: receivedAt };
      touched.set(key, touch);
      touch.receipts++;
      touch.lastReceivedAt = Math.max(touch.lastReceivedAt, receivedAt);
      const resolves = alert.status === 'resolved' && current.status !== 'resolved';
      const next = storedFrom(
        alert,
        current.id,
        resolves ? { by: sender, at: receivedAt } : current.resolution,
      );
      const lateView =
        current.status === 'resolved' &&
        alert.status === 'firing' &&
        isLateView(current.resolution, sender, receivedAt);
      if (lateView || sameAs(current, next)) {
        result.unchanged++;
        continue;
      }
      result.updated++;
      touch.stored = next;
      stored.set(key, next);
      if (current.status === alert.status) continue;
      events.push({
        id: current.id,
        kind: alert.status === 'firing' ? 'refired' : 'resolved',
        at: receivedAt,
      });
      if (alert.status === 'firing') result.newlyFiring.push(firing());
    }
    return result;
  });

  const updates = [...touched.values()];
  for (let from = 0; from < Math.max(updates.length, events.length); from += CHUNK) {
    const batch = updates.slice(from, from + CHUNK);
    const batchEvents = events.slice(from, from + CHUNK);
    await client.query(UPDATE, [
      column(batch, (u) => u.stored.id),
      column(batch, (u) => u.stored.status),
      column(batch, (u) => date(u.stored.endsAt)),
      column(batch, (u) => u.stored.labels),
      column(batch, (u) => u.stored.annotations),
      column(batch, (u) => u.stored.generatorURL),
      ...filterParams(batch.map((u) => u.stored.filters)),
      column(batch, (u) => new Date(u.lastReceivedAt)),
      column(batch, (u) => u.receipts),
      column(batch, (u) => u.stored.resolution?.by ?? null),
      column(batch, (u) => date(u.stored.resolution?.at ?? null)),
      column(batchEvents, (e) => e.id),
      column(batchEvents, (e) => e.kind),
      column(batchEvents, (e) => new Date(e.at)),
    ]);
  }
  const truncated = deliveries.filter(({ payload }) => (payload.truncatedAlerts ?? 0) > 0);
  if (truncated.length > 0) {
    await client.query(TRUNCATED, [
      column(truncated, (d) => new Date(d.receivedAt)),
      column(truncated, (d) => pgText(d.payload.groupKey)),
      column(truncated, (d) => JSON.stringify(d.payload.groupLabels)),
      column(truncated, (d) => pgText(d.payload.receiver)),
      column(truncated, (d) => d.payload.status),
      column(truncated, (d) => d.payload.alerts.length),
      column(truncated, (d) => d.payload.truncatedAlerts),
    ]);
  }
  await client.query('COMMIT');
  return results;
}
