/**
 * The alert history in the server: the store (opened by the server, handed in here), the webhook that
 * writes it, evidence capture, retention and the store's metrics. Shuts down in order: the server stops
 * taking requests first (fastify closes it before these hooks run), then evidence capture and retention
 * stop, then the store commits what is queued and closes.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { SiteUrls } from '../conventions/urls.ts';
import { createPrometheusClient, type PrometheusClientOptions } from '../prometheus/client.ts';
import { absentQueries } from '../runbooks/context.ts';
import type { Slo } from '../spec/model.ts';
import { createEvidenceCollector, evidenceQueries } from './evidence.ts';
import { linkAlert } from './link.ts';
import type { AlertMetrics } from './metrics.ts';
import { createPayloadChecker } from './payload-checker.ts';
import { receiverRoute } from './receiver.ts';
import { DEFAULT_RETENTION_MS, startRetention } from './retention.ts';
import type { AlertStore } from './store/store.ts';
import type { WebhookAuth } from './webhook-auth.ts';

/** Server options the alert history reads. */
export interface AlertSettings {
  /** Credentials the webhook requires; none by default. */
  webhookAuth?: WebhookAuth;
  /** Resolved alerts that ended longer ago than this are deleted; default 90 days. */
  retentionMs?: number;
}

export interface AlertsPluginOptions extends AlertSettings {
  store: AlertStore;
  metrics: AlertMetrics;
  slos: readonly Slo[];
  urls: SiteUrls;
  /** The Prometheus evidence is read from; no evidence without one. */
  prometheus?: PrometheusClientOptions;
}

// Alertmanager sends groups of up to a few hundred alerts; with room for the largest groups, since a 413
// is a 4xx and Alertmanager drops the notification. `max_alerts` in the webhook_config caps a body.
const WEBHOOK_BODY_LIMIT = 8 * 1024 * 1024;
const EVIDENCE_TIMEOUT_MS = 10_000;

declare module 'fastify' {
  interface FastifyInstance {
    /** The alert history: every route that reads alerts reads it here. */
    alertStore: AlertStore;
  }
}

export const alertsPlugin = fp(
  async (app: FastifyInstance, options: AlertsPluginOptions) => {
    const { store, slos, urls } = options;
    app.decorate('alertStore', store);

    const evidence = options.prometheus
      ? createEvidenceCollector({
          prometheus: createPrometheusClient({ timeoutMs: EVIDENCE_TIMEOUT_MS, ...options.prometheus }),
          store,
          // Burnbook's own labels only: evidence is the first-look queries of the alert's page.
          queriesOf: (alert) => {
            const link = linkAlert(alert, { slos, pages: [], urls });
            if (link.kind === 'tier') return evidenceQueries(link.slo, link.tier, alert.labels);
            return link.kind === 'absent' ? absentQueries(link.slo) : undefined;
          },
        })
      : undefined;

    const checker = createPayloadChecker();
    await app.register(receiverRoute, {
      store,
      auth: options.webhookAuth ?? {},
      metrics: options.metrics,
      checker,
      bodyLimit: WEBHOOK_BODY_LIMIT,
      onFiring: (alerts) => evidence?.capture(alerts),
    });

    let retention: { stop(): void } | undefined;
    app.addHook('onReady', async () => {
      await store.ready();
      retention = startRetention({ store, retentionMs: options.retentionMs ?? DEFAULT_RETENTION_MS });
    });
    app.addHook('onClose', async () => {
      retention?.stop();
      evidence?.stop();
      await checker.close();
      await store.close();
    });
  },
  { name: 'burnbook-alerts' },
);
