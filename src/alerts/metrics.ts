import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AlertStore } from './store/store.ts';

export type WebhookOutcome = 'stored' | 'rejected' | 'unauthorized' | 'error';

/** The receiver's and the store's metrics, on the server's registry. */
export function createAlertMetrics(registry: Registry, store: Pick<AlertStore, 'counts'>) {
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
  const storeWrite = new Histogram({
    name: 'burnbook_store_write_seconds',
    help: 'Duration of one alert store commit (one or more webhook bodies) as the server waits for it: fsync and the hop to the writer thread included',
    buckets: [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  // Read from the store at scrape time: it is the truth, and reading it costs one indexed query.
  new Gauge({
    name: 'burnbook_alerts_firing',
    help: 'Alerts firing now according to the alert store, by severity label',
    labelNames: ['severity'] as const,
    registers: [registry],
    async collect() {
      const { firingBySeverity } = await store.counts();
      this.reset();
      for (const [severity, count] of Object.entries(firingBySeverity)) {
        this.set({ severity }, count);
      }
    },
  });
  new Gauge({
    name: 'burnbook_alerts_in_store',
    help: 'Alert occurrences in the store, firing and resolved; retention keeps it bounded',
    registers: [registry],
    async collect() {
      this.set((await store.counts()).total);
    },
  });
  return {
    webhookRequests,
    alertsStored,
    storeWrite,
  };
}

export type AlertMetrics = ReturnType<typeof createAlertMetrics>;
