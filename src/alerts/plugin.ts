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
import { createPayloadChecker } from './payload-checker.ts';
import { receiverRoute } from './receiver.ts';
import { DEFAULT_RETENTION_MS, startRetention } from './retention.ts';
import { runbookAlerts } from './runbook-alerts.ts';
import { type AlertStore, alertStoreFile, type Delivery, type EvidenceInput } from './store.ts';
import { StoreUnavailableError } from './store-faults.ts';
import { createStoreHealth, type StoreHealth } from './store-health.ts';
import { openAlertStoreAtStart } from './store-start.ts';
import type { WebhookAuth } from './webhook-auth.ts';
import { type AlertWriter, startAlertWriter } from './writer.ts';

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
  /** Reads the history; absent when the store could not be opened at all (see store-start.ts). */
  store: AlertStore | undefined;
  /** Whether the store can write, and why not. */
  health: StoreHealth;
  /** What alerts link to, read per call so edited runbooks count at once. */
  targets: () => LinkTargets;
}

/**
 * Opens the store (throwing StoreStartError when the server must not start on it), and adds the webhook,
 * the writer, evidence, retention and the store's metrics. A store that cannot be written starts the
 * history read-only: webhooks are answered 503, and /healthz fails, until a restart finds it writable.
 */
export function alertsPlugin(app: FastifyInstance, context: AlertsContext): AlertHistory {
  const started = openAlertStoreAtStart(context.dataDir);
  const { store } = started;
  const file = alertStoreFile(context.dataDir);
  const targets = (): LinkTargets => ({
    slos: context.slos,
    pages: catalogue(context.slos, readMarkdownFiles(context.runbooksDir, context.slos)).pages,
    externalUrl: context.externalUrl,
  });

  let observeCommit = (_seconds: number) => {};
  const writer =
    started.mode === 'writable'
      ? startAlertWriter({ dataDir: context.dataDir, observeCommit: (seconds) => observeCommit(seconds) })
      : undefined;
  const health = createStoreHealth({
    file,
    ...(started.mode === 'read-only'
      ? { startFault: { fault: started.fault, message: started.message } }
      : {}),
    ...(writer ? { probe: () => writer.probe() } : {}),
  });
  const metrics = createAlertMetrics(context.metrics.registry, {
    store,
    health,
    severities: [...new Set(context.slos.flatMap((slo) => slo.alerting.tiers.map((t) => t.severity)))],
  });
  observeCommit = (seconds) => metrics.storeWrite.observe(seconds);

  // Read-only: every write fails as the start did, naming the cause.
  const refusal =
    started.mode === 'read-only'
      ? new StoreUnavailableError({ kind: 'unwritable', reason: started.message })
      : undefined;
  const write = <T>(run: (writer: AlertWriter) => Promise<T>): Promise<T> =>
    health.track(writer ? run(writer) : Promise.reject(refusal));
  const writes = {
    ingest: (delivery: Delivery) => write((w) => w.ingest(delivery)),
    addEvidence: (...evidence: readonly EvidenceInput[]) => write((w) => w.addEvidence(...evidence)),
    prune: (olderThanMs: number, now: number, limit?: number) =>
      write((w) => w.prune(olderThanMs, now, limit)),
  };

  const evidence =
    context.prometheusUrl && writer
      ? createEvidenceCollector({
          prometheus: createPrometheusClient({
            timeoutMs: EVIDENCE_TIMEOUT_MS,
            ...context.prometheusAccess,
            url: context.prometheusUrl,
          }),
          store: writes,
          // Burnbook's own labels only: evidence is the first-look queries of the alert's tier.
          tierOf: (alert) => {
            const link = linkAlert(alert, {
              slos: context.slos,
              pages: [],
              externalUrl: context.externalUrl,
            });
            return link.kind === 'tier' ? link : undefined;
          },
        })
      : undefined;

  const checker = createPayloadChecker();
  receiverRoute(app, {
    store: writes.ingest,
    auth: context.webhookAuth ?? {},
    metrics,
    checker,
    bodyLimit: WEBHOOK_BODY_LIMIT,
    onFiring: (alerts) => evidence?.capture(alerts),
  });
  context.alertsFor ??= store ? runbookAlerts(store, targets) : () => Promise.reject(refusal);

  let retention: { stop(): void } | undefined;
  app.addHook('onReady', async () => {
    if (!writer) return;
    await writer.ready;
    retention = startRetention({ store: writes, retentionMs: context.retentionMs ?? DEFAULT_RETENTION_MS });
  });
  app.addHook('onClose', async () => {
    retention?.stop();
    evidence?.stop();
    await checker.close();
    await writer?.close();
    store?.close();
  });
  return { store, health, targets };
}
