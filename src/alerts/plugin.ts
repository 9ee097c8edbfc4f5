/**
 * The alert history in the server: the store in `--data-dir`, read here and written by its writer thread
 * (the webhook's group commits, evidence, retention), metrics, and the runbook pages' alerts. Shuts down in
 * order: the server stops taking requests first (fastify closes it before these hooks run), then what is
 * queued commits and the writer stops, then the store closes.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { createPrometheusClient, type PrometheusClientOptions } from '../prometheus/client.ts';
import { catalogue } from '../runbooks/pages.ts';
import type { RunbookProviders } from '../runbooks/providers.ts';
import { readMarkdownFiles } from '../runbooks/sources.ts';
import type { Slo } from '../spec/model.ts';
import { createEvidenceCollector } from './evidence.ts';
import { type LinkTargets, linkAlert } from './link.ts';
import { createAlertMetrics } from './metrics.ts';
import { receiverRoute } from './receiver.ts';
import { DEFAULT_RETENTION_MS, startRetention } from './retention.ts';
import { runbookAlerts } from './runbook-alerts.ts';
import { type AlertStore, openAlertStore } from './store/sqlite/database.ts';
import { startAlertWriter } from './store/sqlite/writer.ts';
import type { WebhookAuth } from './webhook-auth.ts';

/** Server options the alert history reads. */
export interface AlertSettings {
  /** Credentials the webhook requires; none by default. */
  webhookAuth?: WebhookAuth;
  /** Resolved alerts that ended longer ago than this are deleted; default 90 days. */
  retentionMs?: number;
}

interface AlertsContext extends AlertSettings, RunbookProviders {
  slos: Slo[];
  externalUrl: string;
  runbooksDir: string;
  dataDir: string;
  prometheusUrl?: string;
  prometheusAccess?: Omit<PrometheusClientOptions, 'url'>;
  metrics: { registry: Registry };
}

// Alertmanager sends groups of up to a few hundred alerts; with room for the largest groups, since a 413
// is a 4xx and Alertmanager drops the notification. `max_alerts` in the webhook_config caps a body.
const WEBHOOK_BODY_LIMIT = 8 * 1024 * 1024;
const EVIDENCE_TIMEOUT_MS = 10_000;

export interface AlertHistory {
  store: AlertStore;
  /** What alerts link to, read per call so edited runbooks count at once. */
  targets: () => LinkTargets;
}

export function alertsPlugin(app: FastifyInstance, context: AlertsContext): AlertHistory {
  const store = openAlertStore(context.dataDir);
  const metrics = createAlertMetrics(context.metrics.registry, store);
  const targets = (): LinkTargets => ({
    slos: context.slos,
    pages: catalogue(context.slos, readMarkdownFiles(context.runbooksDir, context.slos)).pages,
    externalUrl: context.externalUrl,
  });

  const writer = startAlertWriter({
    dataDir: context.dataDir,
    observeCommit: (seconds) => metrics.storeWrite.observe(seconds),
  });

  const evidence = context.prometheusUrl
    ? createEvidenceCollector({
        prometheus: createPrometheusClient({
          timeoutMs: EVIDENCE_TIMEOUT_MS,
          ...context.prometheusAccess,
          url: context.prometheusUrl,
        }),
        store: writer,
        // Burnbook's own labels only: evidence is the first-look queries of the alert's tier.
        tierOf: (alert) => {
          const link = linkAlert(alert, { slos: context.slos, pages: [], externalUrl: context.externalUrl });
          return link.kind === 'tier' ? link : undefined;
        },
      })
    : undefined;

  receiverRoute(app, {
    store: (delivery) => writer.ingest(delivery),
    auth: context.webhookAuth ?? {},
    metrics,
    bodyLimit: WEBHOOK_BODY_LIMIT,
    onFiring: (alerts) => evidence?.capture(alerts),
  });
  context.alertsFor ??= runbookAlerts(store, targets);

  let retention: { stop(): void } | undefined;
  app.addHook('onReady', async () => {
    await writer.ready;
    retention = startRetention({ store: writer, retentionMs: context.retentionMs ?? DEFAULT_RETENTION_MS });
  });
  app.addHook('onClose', async () => {
    retention?.stop();
    evidence?.stop();
    await writer.close();
    store.close();
  });
  return { store, targets };
}
