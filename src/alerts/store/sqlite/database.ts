/**
 * Durable alert history in SQLite: one row per alert occurrence (fingerprint, startsAt), the status
 * transitions it went through and the evidence captured when it fired. Synchronous, like better-sqlite3
 * itself; each method is one short transaction. store.ts puts the AlertStore interface over it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { labelSetSchema } from '../../../prometheus/label-set.ts';
import type { AlertmanagerPayload } from '../../payload.ts';
import { FILTER_COLUMNS, type Filter, listPlan } from '../filters.ts';
import { isLateView } from '../late-view.ts';
import {
  type AlertDetail,
  type AlertEvent,
  type AlertListQuery,
  type AlertRow,
  alertEventSchema,
  alertEvidenceSchema,
  alertRowSchema,
  type Delivery,
  type EvidenceInput,
  type FiringAlert,
  type IngestResult,
  type StoreCounts,
  type TruncatedDelivery,
  truncatedDeliverySchema,
} from '../store.ts';
import { MIGRATIONS_APPLIED, migrate } from './migrations.ts';

const labelsJson = z
  .string()
  .transform((text): unknown => JSON.parse(text))
  .pipe(labelSetSchema);

const SELECT_ALERTS = `SELECT id, fingerprint, status, starts_at AS startsAt, ends_at AS endsAt, labels, annotations,
  generator_url AS generatorURL, alertname, severity, slo_service AS sloService, slo, slo_tier AS sloTier,
  first_received_at AS firstReceivedAt, last_received_at AS lastReceivedAt, receive_count AS receiveCount
  FROM alerts JOIN alert_receipts ON alert_id = id`;

// The store's shapes as SQLite holds them: labels, annotations and evidence as JSON text.
const rowSchema = alertRowSchema.extend({ labels: labelsJson, annotations: labelsJson });

const previousSchema = alertRowSchema
  .pick({ id: true, status: true })
  .extend({ resolvedBy: z.string().nullable(), resolvedAt: z.number().nullable() });

const evidenceRowSchema = alertEvidenceSchema.extend({
  result: z
    .string()
    .nullable()
    .transform((text): unknown => (text === null ? null : JSON.parse(text))),
});

const severityCountSchema = z.object({ severity: z.string(), count: z.number() });

const truncatedRowSchema = truncatedDeliverySchema.extend({ groupLabels: labelsJson });

export type SqliteDatabase = ReturnType<typeof openSqliteDatabase>;

/** The store's file in a data directory. */
export function alertStoreFile(dataDir: string): string {
  return join(dataDir, 'burnbook.sqlite');
}

export interface OpenOptions {
  /**
   * Only read: nothing is created, configured or migrated (for a store that cannot be written, see
   * start.ts); the schema must be the newest already.
   */
  readonly?: boolean;
}

/** Opens (creating and migrating as needed) `<dataDir>/burnbook.sqlite`. */
export function openSqliteDatabase(dataDir: string, options: OpenOptions = {}) {
  const file = alertStoreFile(dataDir);
  if (!options.readonly) mkdirSync(dataDir, { recursive: true });
  // Wait at most 250 ms for another writer's lock: better-sqlite3 blocks the whole process while it
  // waits, so a long wait would freeze the webhook; a quick SQLITE_BUSY becomes a 503 Alertmanager retries.
  const db = new Database(file, {
    timeout: 250,
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
  });
  try {
    if (options.readonly) checkVersion(db);
    else {
      configure(db);
      migrate(db);
    }
  } catch (error) {
    db.close();
    throw error;
  }

  // The common delivery repeats what is stored: one statement that finds the alert and bumps its receipt.
  const touch = db.prepare(`
    UPDATE alert_receipts
    SET last_received_at = max(last_received_at, @receivedAt), receive_count = receive_count + 1
    WHERE alert_id = (
      SELECT id FROM alerts
      WHERE fingerprint = @fingerprint AND starts_at = @startsAt AND status = @status AND ends_at IS @endsAt
        AND labels = @labels AND annotations = @annotations AND generator_url = @generatorURL)`);
  const insert = db
    .prepare(`
    INSERT INTO alerts (fingerprint, starts_at, ends_at, status, labels, annotations, generator_url,
      first_received_at, alertname, severity, slo_service, slo, slo_tier, runbook_url, resolved_by, resolved_at)
    VALUES (@fingerprint, @startsAt, @endsAt, @status, @labels, @annotations, @generatorURL,
      @receivedAt, @alertname, @severity, @sloService, @slo, @sloTier, @runbookUrl,
      iif(@status = 'resolved', @sender, NULL), iif(@status = 'resolved', @receivedAt, NULL))
    ON CONFLICT (fingerprint, starts_at) DO NOTHING
    RETURNING id`)
    .pluck();
  const insertReceipt = db.prepare(
    'INSERT INTO alert_receipts (alert_id, last_received_at, receive_count) VALUES (?, ?, 1)',
  );
  const previousOf = db.prepare(`
    SELECT id, status, resolved_by AS resolvedBy, resolved_at AS resolvedAt
    FROM alerts WHERE fingerprint = @fingerprint AND starts_at = @startsAt`);
  // A change to resolved records who resolved it and when; any other change keeps what was recorded.
  const update = db.prepare(`
    UPDATE alerts SET status = @status, ends_at = @endsAt, labels = @labels, annotations = @annotations,
      generator_url = @generatorURL, alertname = @alertname, severity = @severity, slo_service = @sloService,
      slo = @slo, slo_tier = @sloTier, runbook_url = @runbookUrl,
      resolved_by = iif(@status = 'resolved' AND status <> 'resolved', @sender, resolved_by),
      resolved_at = iif(@status = 'resolved' AND status <> 'resolved', @receivedAt, resolved_at)
    WHERE id = @id`);
  const bumpReceipt = db.prepare(`
    UPDATE alert_receipts
    SET last_received_at = max(last_received_at, ?), receive_count = receive_count + 1
    WHERE alert_id = ?`);
  const addEvent = db.prepare('INSERT INTO alert_events (alert_id, kind, at) VALUES (?, ?, ?)');
  const getAlert = db.prepare(`${SELECT_ALERTS} WHERE id = ?`);
  const eventsOf = db.prepare('SELECT kind, at FROM alert_events WHERE alert_id = ? ORDER BY at, id');
  const evidenceOf = db.prepare(`
    SELECT id, query_name AS queryName, expr, result, error, captured_at AS capturedAt
    FROM alert_evidence WHERE alert_id = ? ORDER BY id`);
  const insertEvidence = db.prepare(`
    INSERT INTO alert_evidence (alert_id, query_name, expr, result, error, captured_at)
    VALUES (@alertId, @queryName, @expr, @result, @error, @capturedAt)`);
  const prune = db.prepare(`
    DELETE FROM alerts WHERE id IN (
      SELECT id FROM alerts WHERE status = 'resolved' AND starts_at < @cutoff AND ends_at < @cutoff LIMIT @limit)`);
  const firingBySeverity = db.prepare('SELECT severity, firing AS count FROM alerts_firing WHERE firing > 0');
  const total = db.prepare('SELECT stored FROM alert_totals').pluck();
  const insertTruncated = db.prepare(`
    INSERT INTO truncated_deliveries (received_at, group_key, group_labels, receiver, status, alerts, truncated_alerts)
    VALUES (@receivedAt, @groupKey, @groupLabels, @receiver, @status, @alerts, @truncatedAlerts)`);
  const pruneTruncated = db.prepare('DELETE FROM truncated_deliveries WHERE received_at < ?');
  const latestTruncated = db.prepare(`
    SELECT received_at AS receivedAt, group_key AS groupKey, group_labels AS groupLabels, receiver, status,
      alerts, truncated_alerts AS truncatedAlerts
    FROM truncated_deliveries ORDER BY received_at DESC, id DESC LIMIT ?`);
  const probe = db.prepare('UPDATE alert_totals SET stored = stored');

  // list() has a statement per combination of filters it is given, each prepared on first use.
  const listStatements = new Map<string, Database.Statement>();
  function listStatement(filters: Filter[], afterCursor: boolean): Database.Statement {
    const key = `${filters.join()}|${afterCursor}`;
    let statement = listStatements.get(key);
    if (!statement) {
      const where = [
        'status = @status',
        ...filters.map((filter) => `${FILTER_COLUMNS[filter]} = @${filter}`),
      ];
      if (afterCursor) where.push('(starts_at, id) < (@cursorStartsAt, @cursorId)');
      statement = db.prepare(
        `${SELECT_ALERTS} WHERE ${where.join(' AND ')}
         ORDER BY starts_at DESC, id DESC LIMIT @limit`,
      );
      listStatements.set(key, statement);
    }
    return statement;
  }

  function ingestPayload(payload: AlertmanagerPayload, receivedAt: number): IngestResult {
    if (payload.truncatedAlerts) {
      insertTruncated.run({
        receivedAt,
        groupKey: payload.groupKey,
        groupLabels: JSON.stringify(payload.groupLabels),
        receiver: payload.receiver,
        status: payload.status,
        alerts: payload.alerts.length,
        truncatedAlerts: payload.truncatedAlerts,
      });
    }
    let stored = 0;
    let updated = 0;
    let unchanged = 0;
    const newlyFiring: FiringAlert[] = [];
    for (const alert of payload.alerts) {
      const params = {
        fingerprint: alert.fingerprint,
        startsAt: alert.startsAt,
        endsAt: alert.endsAt,
        status: alert.status,
        labels: JSON.stringify(alert.labels),
        annotations: JSON.stringify(alert.annotations),
        generatorURL: alert.generatorURL,
        receivedAt,
        sender: payload.externalURL,
        // The columns list() filters by, from the labels and annotations they must always agree with.
        alertname: alert.labels.alertname ?? null,
        severity: alert.labels.severity ?? null,
        sloService: alert.labels.slo_service ?? null,
        slo: alert.labels.slo ?? null,
        sloTier: alert.labels.slo_tier ?? null,
        runbookUrl: alert.annotations.runbook_url ?? null,
      };
      if (touch.run(params).changes > 0) {
        unchanged++;
        continue;
      }
      let id = insert.get(params) as number | undefined;
      let event: AlertEvent['kind'];
      if (id !== undefined) {
        stored++;
        insertReceipt.run(id, receivedAt);
        event = alert.status === 'firing' ? 'fired' : 'resolved';
      } else {
        const previous = previousSchema.parse(previousOf.get(params));
        id = previous.id;
        const { resolvedBy, resolvedAt } = previous;
        const resolution =
          resolvedBy === null || resolvedAt === null ? undefined : { by: resolvedBy, at: resolvedAt };
        bumpReceipt.run(receivedAt, id);
        if (
          previous.status === 'resolved' &&
          alert.status === 'firing' &&
          isLateView(resolution, payload.externalURL, receivedAt)
        ) {
          unchanged++;
          continue;
        }
        updated++;
        update.run({ ...params, id });
        if (previous.status === alert.status) continue;
        event = alert.status === 'firing' ? 'refired' : 'resolved';
      }
      addEvent.run(id, event, receivedAt);
      if (alert.status === 'firing')
        newlyFiring.push({ id, labels: alert.labels, annotations: alert.annotations });
    }
    return { stored, updated, unchanged, newlyFiring };
  }
  const ingest = db.transaction(ingestPayload);
  const ingestMany = db.transaction((deliveries: readonly Delivery[]) =>
    deliveries.map(({ payload, receivedAt }) => ingestPayload(payload, receivedAt)),
  );

  const addEvidence = db.transaction((evidence: readonly EvidenceInput[]) =>
    evidence.map((item) => {
      const result = item.result === null ? null : JSON.stringify(item.result);
      return Number(insertEvidence.run({ ...item, result }).lastInsertRowid);
    }),
  );

  const get = db.transaction((id: number): AlertDetail | undefined => {
    const alert = getAlert.get(id);
    if (alert === undefined) return undefined;
    return {
      ...rowSchema.parse(alert),
      events: eventsOf.all(id).map((event) => alertEventSchema.parse(event)),
      evidence: evidenceOf.all(id).map((evidence) => evidenceRowSchema.parse(evidence)),
    };
  });

  return {
    /**
     * Stores every alert of a webhook body in one transaction, which has committed when this returns.
     * `newlyFiring` holds the alerts that started firing with this body: new ones and re-fires.
     */
    ingest: (payload: AlertmanagerPayload, receivedAt: number) => ingest.immediate(payload, receivedAt),

    /**
     * Several bodies in one transaction, with one result each: one fsync instead of one per body, so a
     * receiver can answer all the requests that arrived during the previous commit together. Atomic: when
     * it throws, none of them is stored.
     */
    ingestMany: (deliveries: readonly Delivery[]) => ingestMany.immediate(deliveries),

    /** Firing alerts first, then resolved ones; newest start first within each. */
    list(query: AlertListQuery = {}): AlertRow[] {
      const { limit, filters, statuses } = listPlan(query);
      const { before } = query;
      const rows: AlertRow[] = [];
      for (const status of statuses) {
        if (rows.length >= limit) break;
        const afterCursor = before?.status === status;
        const params: Record<string, string | number> = { status, limit: limit - rows.length };
        for (const filter of filters) params[filter] = query[filter] as string;
        if (afterCursor) Object.assign(params, { cursorStartsAt: before.startsAt, cursorId: before.id });
        const page = listStatement(filters, afterCursor).all(params);
        rows.push(...page.map((row) => rowSchema.parse(row)));
      }
      return rows;
    },

    /** One alert with its status transitions and captured evidence, oldest first. */
    get: (id: number) => get(id),

    /**
     * Stores the result (any JSON) or error of first-look queries, all in one transaction (one fsync for
     * an alert's whole evidence); returns their ids.
     */
    addEvidence: (...evidence: readonly EvidenceInput[]): number[] => addEvidence(evidence),

    /**
     * Deletes resolved alerts (with their events and evidence) that ended before `now - olderThanMs`, at most
     * `limit` of them, so a caller can prune a large backlog in short transactions; returns how many.
     */
    prune(olderThanMs: number, now: number, limit = Number.MAX_SAFE_INTEGER): number {
      pruneTruncated.run(now - olderThanMs);
      return prune.run({ cutoff: now - olderThanMs, limit }).changes;
    },

    /** The latest deliveries Alertmanager left alerts out of, newest first. */
    truncatedDeliveries(limit: number): TruncatedDelivery[] {
      return latestTruncated.all(limit).map((row) => truncatedRowSchema.parse(row));
    },

    /** Problems `PRAGMA quick_check` finds in the file (it reads all of it); none when it is sound. */
    check(): string[] {
      const result = db.pragma('quick_check', { simple: false }) as Array<{ quick_check: string }>;
      return result.map((row) => row.quick_check).filter((line) => line !== 'ok');
    },

    /**
     * Refreshes the query planner's statistics where a table grew or shrank tenfold since they were taken
     * (SQLite's `PRAGMA optimize`): so at most a few times in a store's life, each an ANALYZE that reads
     * every index (about 0.5 s at 200,000 alerts on a loaded machine). Without them a list filtered by a
     * rare value walks the wrong index: an SLO page's alerts, whose name matched none of 200,000 alerts of
     * the same SLO, read every one of them (0.2 s a query, four per page, on the main thread). Read whole:
     * with `analysis_limit` SQLite keeps no STAT4 samples, and the samples are what tell a rare value from a
     * common one. Every table is looked at (0x10000), not only those this connection queried.
     */
    optimize(): void {
      db.pragma('optimize=0x10002');
    },

    /** Commits a write that changes nothing: throws what a real write would (a full disk, a read-only file). */
    probeWrite(): void {
      db.transaction(() => probe.run()).immediate();
    },

    file,

    /** Firing alerts by `severity` label ('' when absent) and all stored alerts, for /metrics. */
    counts(): StoreCounts {
      const firing: Record<string, number> = {};
      for (const row of firingBySeverity.all()) {
        const { severity, count } = severityCountSchema.parse(row);
        firing[severity] = count;
      }
      return { firingBySeverity: firing, total: z.number().parse(total.get()) };
    },

    close(): void {
      db.close();
    },
  };
}

/** A read-only store cannot migrate: it must already have the schema this burnbook reads. */
function checkVersion(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true });
  if (version !== MIGRATIONS_APPLIED) {
    throw new Error(
      `alert store schema version ${String(version)} is not the ${MIGRATIONS_APPLIED} this burnbook reads, and the store cannot be written to migrate it`,
    );
  }
}

function configure(db: Database.Database): void {
  if (db.pragma('journal_mode = WAL', { simple: true }) !== 'wal') {
    throw new Error(`SQLite refused WAL mode for ${db.name}`);
  }
  // The receiver answers 2xx only after a commit, and Alertmanager then forgets the notification.
  // In WAL mode synchronous=NORMAL survives a killed process but can lose the last commits on power
  // loss or an OS crash; FULL fsyncs the WAL at every commit, so an acknowledged alert is on disk.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // A prune of many rows grows the WAL; this shrinks it back after the next checkpoint.
  db.pragma('journal_size_limit = 67108864');
}
