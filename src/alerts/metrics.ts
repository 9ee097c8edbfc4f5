import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AlertStore } from './store/store.ts';

export type WebhookOutcome = 'stored' | 'rejected' | 'unauthorized' | 'error';

// Every severity outside the configured ones, and none: a label value from outside must not make a series.
export const OTHER_SEVERITY = 'other';

/** Firing counts by severity, folded onto `severities` and OTHER_SEVERITY, each present (0 when none). */
export function foldSeverities(
  counts: Record<string, number>,
  severities: readonly string[],
): Record<string, number> {
  const folded: Record<string, number> = Object.fromEntries(
    [...severities, OTHER_SEVERITY].map((s) => [s, 0]),
  );
  for (const [severity, count] of Object.entries(counts)) {
    const key = severities.includes(severity) ? severity : OTHER_SEVERITY;
    folded[key] = (folded[key] ?? 0) + count;
  }
  return folded;
}

/**
 * The receiver's and the store's metrics, on the server's registry. `severities` are those the SLOs' tiers
 * use; any other value of an alert's `severity` label counts as OTHER_SEVERITY.
 */
export function createAlertMetrics(
  registry: Registry,
  store: Pick<AlertStore, 'counts' | 'health'>,
  severities: readonly string[],
) {
  const webhookRequests = new Counter({
    name: 'burnbook_webhook_requests_total',
    help: 'Alertmanager webhook requests by outcome: stored, rejected (4xx), unauthorized, error (5xx)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // Every outcome from the first scrape on, so rate() and alerts on errors see a 0 rather than no series.
  for (const outcome of ['stored', 'rejected', 'unauthorized', 'error'] satisfies WebhookOutcome[]) {
    webhookRequests.inc({ outcome }, 0);
  }
  const alertsStored = new Counter({
    name: 'burnbook_alerts_stored_total',
    help: 'Alert occurrences (fingerprint, startsAt) stored for the first time',
    registers: [registry],
  });
  const truncatedAlerts = new Counter({
    name: 'burnbook_webhook_truncated_alerts_total',
    help: "Alerts Alertmanager left out of stored deliveries (their truncatedAlerts): raise the webhook_config's max_alerts",
    registers: [registry],
  });
  const storeWrite = new Histogram({
    name: 'burnbook_store_write_seconds',
    help: 'Duration of one alert store commit (one or more webhook bodies) as the server waits for it: fsync and the hop to the writer thread included',
    buckets: [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  // Read from the store at scrape time: it is the truth, and reading it costs one indexed query. A store
  // that cannot be read leaves these without series; /metrics itself keeps answering.
  const counts = () => store.counts().catch(() => undefined);
  new Gauge({
    name: 'burnbook_alerts_firing',
    help: `Alerts firing now according to the alert store, by severity label (${OTHER_SEVERITY}: any other value, or none)`,
    labelNames: ['severity'] as const,
    registers: [registry],
    async collect() {
      const found = await counts();
      this.reset();
      if (!found) return;
      for (const [severity, count] of Object.entries(foldSeverities(found.firingBySeverity, severities))) {
        this.set({ severity }, count);
      }
    },
  });
  new Gauge({
    name: 'burnbook_alerts_in_store',
    help: 'Alert occurrences in the store, firing and resolved; retention keeps it bounded',
    registers: [registry],
    async collect() {
      const found = await counts();
      this.reset();
      if (found) this.set(found.total);
    },
  });
  new Gauge({
    name: 'burnbook_alert_store_healthy',
    help: 'Whether the alert store takes writes and serves reads, as /healthz says: 0 while it cannot (read-only, damaged, a full disk)',
    registers: [registry],
    async collect() {
      this.set((await store.health()).ok ? 1 : 0);
    },
  });
  return {
    webhookRequests,
    alertsStored,
    truncatedAlerts,
    storeWrite,
  };
}

export type AlertMetrics = ReturnType<typeof createAlertMetrics>;
