import Fastify, { type FastifyInstance } from 'fastify';
import { type AlertSettings, alertsPlugin } from '../alerts/plugin.ts';
import type { StoreHealth } from '../alerts/store-health.ts';
import { type EvaluationProvider, type EvaluationSettings, evaluatorPlugin } from '../evaluator/plugin.ts';
import { sloDashboardUrl } from '../grafana/links.ts';
import type { RunbookProviders } from '../runbooks/providers.ts';
import type { Slo } from '../spec/model.ts';
import { securityHeaders } from './headers.ts';
import { createMetrics, type Metrics, metricsPlugin } from './metrics.ts';
import { alertRoutes } from './routes/alerts.ts';
import { liveRoutes } from './routes/live.ts';
import { runbookRoutes } from './routes/runbooks.ts';

/**
 * What every route may read. The server only reads the model, the store and Prometheus.
 * The runbook providers (live values, alerts, dashboards) may also be set on the context
 * after buildApp: pages read them per request.
 */
export interface ServerOptions extends RunbookProviders, EvaluationSettings, AlertSettings {
  slos: Slo[];
  /** Base URL people reach burnbook at; used in links and runbook_url. */
  externalUrl: string;
  /** Directory of runbook templates and hand-written markdown pages. */
  runbooksDir: string;
  dataDir: string;
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  /** Grafana serving the generated dashboards: runbook pages link to them, pushed alerts carry `dashboard_url`. */
  grafanaUrl?: string;
}

export interface AppContext extends ServerOptions {
  metrics: Metrics;
  /** The evaluator's latest results (see evaluator/plugin.ts); absent without a Prometheus URL. */
  evaluation?: EvaluationProvider;
}

// Alertmanager batches at most a few hundred alerts per webhook; 1 MiB leaves ample room.
const BODY_LIMIT = 1024 * 1024;

/**
 * The fastify app. Each concern is a plugin that receives the context explicitly, so a
 * route never reaches for globals and tests can build an app with exactly what they need.
 */
export async function buildApp(
  options: ServerOptions,
): Promise<{ app: FastifyInstance; context: AppContext; alertStore: StoreHealth }> {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: false,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
  });
  const context: AppContext = { ...options, metrics: createMetrics() };
  const { grafanaUrl } = options;
  if (grafanaUrl) context.dashboardUrl ??= (slo) => sloDashboardUrl(grafanaUrl, slo);
  securityHeaders(app);
  metricsPlugin(app, context.metrics);
  const history = alertsPlugin(app, context);
  // Fails while the alert store cannot write: what an orchestrator should see and act on.
  app.get('/healthz', async (_request, reply) => {
    const store = await history.health.check();
    if (store.writable) return { status: 'ok', slos: context.slos.length };
    return reply.code(503).send({ error: 'the alert store cannot write', problems: [store.message] });
  });
  // Browsers ask for it on every first visit; an empty answer keeps their consoles free of 404s.
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  evaluatorPlugin(app, context);
  liveRoutes(app, context);
  runbookRoutes(app, context);
  alertRoutes(app, context, history);
  return { app, context, alertStore: history.health };
}
