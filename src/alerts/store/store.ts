/**
 * The alert history, as every backend keeps it: one row per alert occurrence (fingerprint, startsAt), the
 * status transitions it went through, and the evidence captured when it fired. The server, the receiver,
 * evidence capture and retention only ever see this interface; `sqlite/` is the embedded default, and a
 * backend is proven by test/support/alert-store-contract.ts.
 */
import { z } from 'zod';
import { labelSetSchema } from '../../prometheus/label-set.ts';
import { type AlertmanagerPayload, alertStatusSchema } from '../payload.ts';

/** Alert times are milliseconds since the epoch; `endsAt` is null while Alertmanager gave no end. */
export const alertRowSchema = z.object({
  id: z.number(),
  fingerprint: z.string(),
  status: alertStatusSchema,
  startsAt: z.number(),
  endsAt: z.number().nullable(),
  labels: labelSetSchema,
  annotations: labelSetSchema,
  generatorURL: z.string(),
  alertname: z.string().nullable(),
  severity: z.string().nullable(),
  sloService: z.string().nullable(),
  slo: z.string().nullable(),
  sloTier: z.string().nullable(),
  firstReceivedAt: z.number(),
  lastReceivedAt: z.number(),
  receiveCount: z.number(),
});

export const alertEventSchema = z.object({ kind: z.enum(['fired', 'resolved', 'refired']), at: z.number() });

/** `result` is any JSON the evidence collector stored (evidence.ts); null when the query failed. */
export const alertEvidenceSchema = z.object({
  id: z.number(),
  queryName: z.string(),
  expr: z.string(),
  result: z.unknown(),
  error: z.string().nullable(),
  capturedAt: z.number(),
});

/** A delivery Alertmanager left `truncatedAlerts` alerts of its group out of, next to the `alerts` it carried. */
export const truncatedDeliverySchema = z.object({
  receivedAt: z.number(),
  groupKey: z.string(),
  groupLabels: labelSetSchema,
  receiver: z.string(),
  status: alertStatusSchema,
  alerts: z.number(),
  truncatedAlerts: z.number(),
});

export type AlertRow = z.output<typeof alertRowSchema>;
export type TruncatedDelivery = z.output<typeof truncatedDeliverySchema>;
export type AlertEvent = z.output<typeof alertEventSchema>;
export type AlertEvidence = z.output<typeof alertEvidenceSchema>;
/** One alert with its status transitions and captured evidence, oldest first. */
export type AlertDetail = AlertRow & { events: AlertEvent[]; evidence: AlertEvidence[] };
/** What evidence capture needs of an alert that just started firing. */
export type FiringAlert = Pick<AlertRow, 'id' | 'labels' | 'annotations'>;
export type EvidenceInput = Omit<AlertEvidence, 'id'> & { alertId: number };
/** Where the previous page ended: its last row. */
export type AlertCursor = Pick<AlertRow, 'id' | 'status' | 'startsAt'>;
export type AlertListQuery = {
  status?: AlertRow['status'];
  service?: string;
  slo?: string;
  severity?: string;
  alertname?: string;
  /** The alert's `runbook_url` annotation, exactly. */
  runbookUrl?: string;
  /** Default 100. */
  limit?: number;
  before?: AlertCursor;
};
/** One webhook body and when it arrived (milliseconds since the epoch). */
export type Delivery = { payload: AlertmanagerPayload; receivedAt: number };

/** What one delivery changed. */
export interface IngestResult {
  /** Occurrences seen for the first time. */
  stored: number;
  /** Occurrences whose status, labels or annotations changed. */
  updated: number;
  /** Repeats of what was stored: only their receipt was counted. */
  unchanged: number;
  /** Alerts that started firing with this delivery: new ones and re-fires. */
  newlyFiring: FiringAlert[];
}

/** The firing set by `severity` label ('' when absent), and every stored occurrence: for /metrics. */
export interface StoreCounts {
  firingBySeverity: Record<string, number>;
  total: number;
}

export type StoreHealth = { ok: true } | { ok: false; problem: string };

export interface AlertStore {
  /** Resolves once the store takes writes; rejects with why it cannot. */
  ready(): Promise<void>;
  /**
   * Stores every alert of one webhook body, all or none, durably: the promise resolves only after the
   * commit, since the receiver's 2xx follows it and Alertmanager then forgets the notification. Delivery is
   * at least once, so a repeat of what is stored changes nothing but the receipt count.
   */
  ingest(delivery: Delivery): Promise<IngestResult>;
  /** Firing alerts first, then resolved ones; newest start first within each; after `before` when given. */
  list(query?: AlertListQuery): Promise<AlertRow[]>;
  get(id: number): Promise<AlertDetail | undefined>;
  /** Stores first-look query results (any JSON) or errors for alerts, all in one commit; returns their ids. */
  addEvidence(...evidence: readonly EvidenceInput[]): Promise<number[]>;
  /**
   * Retention: deletes resolved alerts (with their events and evidence) that ended before
   * `now - olderThanMs`, at most `limit` of them, so a large backlog goes in short commits; returns how many.
   */
  prune(olderThanMs: number, now: number, limit?: number): Promise<number>;
  counts(): Promise<StoreCounts>;
  /** The latest deliveries Alertmanager truncated (`truncatedAlerts` > 0), newest first; pruned with the alerts. */
  truncatedDeliveries(limit: number): Promise<TruncatedDelivery[]>;
  /** Whether the store can serve reads and take writes now, and if not, why. */
  health(): Promise<StoreHealth>;
  /**
   * Whether a failure of this store may pass on a retry (locked, disk full, failing over, shutting down),
   * so the receiver answers 503 and Alertmanager retries; anything else is a 500.
   */
  isTransient(error: unknown): boolean;
  /** Commits what is queued, then closes; anything asked after fails, transiently. */
  close(): Promise<void>;
}

/** What the server tells a store it opens. */
export interface StoreHooks {
  /** Told how long each webhook commit took, in seconds, from the server's side. */
  observeCommit?: (seconds: number) => void;
}
