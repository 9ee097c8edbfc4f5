import Fastify, { type FastifyInstance } from 'fastify';
import type { LinkTargets } from '../alerts/link.ts';
import { createAlertMetrics } from '../alerts/metrics.ts';
import { type AlertSettings, alertsPlugin } from '../alerts/plugin.ts';
import { runbookAlerts } from '../alerts/runbook-alerts.ts';
import { openSqliteStore } from '../alerts/store/sqlite/store.ts';
import type { AlertStore, StoreHooks } from '../alerts/store/store.ts';
import { GrafanaUrls } from '../conventions/dashboards.ts';
import { SiteUrls } from '../conventions/urls.ts';
import {
  createEvaluation,
  type EvaluationProvider,
  type EvaluationSettings,
  evaluatorPlugin,
} from '../evaluator/plugin.ts';
import type { Tier } from '../policy/tiers.ts';
import { catalogue } from '../runbooks/pages.ts';
import type { RunbookProviders } from '../runbooks/providers.ts';
import { readMarkdownFiles } from '../runbooks/sources.ts';
import type { Slo } from '../spec/model.ts';
import { answerErrorsInOneShape } from './errors.ts';
import { securityHeaders } from './headers.ts';
import { createMetrics, metricsPlugin } from './metrics.ts';
import { alertRoutes } from './routes/alerts.ts';
import { healthRoutes } from './routes/health.ts';
import { incidentRoutes } from './routes/incidents.ts';
import { liveRoutes } from './routes/live.ts';
import { notFound, runbookRoutes } from './routes/runbooks.ts';
import { loadSite, type Site } from './site.ts';
import { tierNowView } from './tier-now.ts';

/** What the server is started with. It only reads the model, the store and Prometheus. */
export interface ServerOptions extends EvaluationSettings, AlertSettings {
  slos: Slo[];
  /** Base URL people reach burnbook at; used in links and runbook_url. */
  externalUrl: string;
  /** Directory of runbook templates and hand-written markdown pages. */
  runbooksDir: string;
  /** Where the default alert store (SQLite) lives. */
  dataDir: string;
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  /** Grafana serving the generated dashboards: runbook pages link to them, pushed alerts carry `dashboard_url`. */
  grafanaUrl?: string;
  /** Opens the alert store, told what the server observes of it; SQLite in `dataDir` when absent. */
  openStore?: (hooks: StoreHooks) => AlertStore;
  /** Runbook page providers that replace the ones the server builds from Prometheus, the store and Grafana. */
  providers?: RunbookProviders;
  /**
   * The evaluator's results to serve instead of a running evaluator's; `null` runs none even with a
   * Prometheus URL (the pages still link to it).
   */
  evaluation?: EvaluationProvider | null;
}

// Alertmanager batches at most a few hundred alerts per webhook; 1 MiB leaves ample room.
const BODY_LIMIT = 1024 * 1024;

/**
 * The fastify app, composed once: the store, the evaluator and the runbook pages' providers are built here,
 * then each concern is a plugin registered with what it needs. Plugins that own a service (the alert store,
 * the evaluator) decorate the app with it and run its lifecycle; route plugins declare those as their
 * dependencies. Nothing is changed after this returns. Throws when the alert store cannot be opened.
 */
export async function buildApp(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: false,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
  });
  answerErrorsInOneShape(app);
  securityHeaders(app);

  const { slos, prometheusUrl } = options;
  const urls = new SiteUrls(options.externalUrl);
  const grafana = options.grafanaUrl ? new GrafanaUrls(options.grafanaUrl) : undefined;
  const metrics = createMetrics();
  const evaluation =
    prometheusUrl && options.evaluation === undefined
      ? createEvaluation({
          ...options,
          prometheusUrl,
          urls,
          ...(grafana ? { grafana } : {}),
          registry: metrics.registry,
        })
      : undefined;
  const alertMetrics = createAlertMetrics(
    metrics.registry,
    { counts: () => store.counts(), health: () => store.health() },
    [...new Set(slos.flatMap((slo) => slo.alerting.tiers.map((tier) => tier.severity)))],
  );
  const openStore = options.openStore ?? ((hooks) => openSqliteStore({ dataDir: options.dataDir, ...hooks }));
  // Opened last: everything before may throw, and an open store holds a thread until closed.
  const store = openStore({ observeCommit: (seconds) => alertMetrics.storeWrite.observe(seconds) });
  const targets = (): LinkTargets => ({
    slos,
    pages: catalogue(slos, readMarkdownFiles(options.runbooksDir, slos)).pages,
    urls,
  });
  const evaluationProvider = options.evaluation ?? evaluation?.provider ?? null;
  const providers: RunbookProviders = {
    ...(evaluation ? { liveValues: evaluation.liveValues } : {}),
    alertsFor: runbookAlerts(store, targets),
    ...(grafana ? { dashboardUrl: (slo: Slo) => grafana.sloDashboard(slo) } : {}),
    ...(evaluationProvider
      ? { tierNow: (slo: Slo, tier: Tier) => tierNowView(slo, tier, evaluationProvider.latest(), Date.now()) }
      : {}),
    ...options.providers,
  };
  const site = (): Site =>
    loadSite(
      { slos, runbooksDir: options.runbooksDir, ...(prometheusUrl ? { prometheusUrl } : {}), providers },
      'server',
    );

  try {
    app.setNotFoundHandler(notFound(site));
    // Browsers ask for it on every first visit; an empty answer keeps their consoles free of 404s.
    app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
    await app.register(metricsPlugin, { metrics });
    // The evaluator first: it starts asking Prometheus while the store's writer thread is still starting.
    await app.register(evaluatorPlugin, {
      ...(evaluation ? { evaluator: evaluation.evaluator } : {}),
      evaluation: evaluationProvider,
    });
    await app.register(alertsPlugin, {
      store,
      metrics: alertMetrics,
      slos,
      urls,
      ...(prometheusUrl ? { prometheus: { ...options.prometheusAccess, url: prometheusUrl } } : {}),
      ...(options.webhookAuth ? { webhookAuth: options.webhookAuth } : {}),
      ...(options.retentionMs === undefined ? {} : { retentionMs: options.retentionMs }),
    });
    await app.register(healthRoutes, { slos });
    await app.register(liveRoutes, { slos });
    await app.register(runbookRoutes, { site });
    await app.register(alertRoutes, { targets, prometheusConfigured: Boolean(prometheusUrl) });
    await app.register(incidentRoutes, {
      targets,
      urls,
      runbooksDir: options.runbooksDir,
      ...(prometheusUrl ? { prometheus: { ...options.prometheusAccess, url: prometheusUrl } } : {}),
      ...(options.alertmanagerUrl ? { alertmanagerUrl: options.alertmanagerUrl } : {}),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  return app;
}
