import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { grafanaAlertOptions } from '../outputs/grafana/links.ts';
import { createPrometheusClient, type PrometheusClientOptions } from '../prometheus/client.ts';
import type { LiveValues } from '../runbooks/providers.ts';
import type { Slo } from '../spec/model.ts';
import { createAlertmanagerClient } from './alertmanager-client.ts';
import { evaluateSlos } from './evaluate.ts';
import { Evaluator, type EvaluatorReport } from './evaluator.ts';
import { type SloHistoryProvider, sloHistoryFrom } from './history.ts';
import { liveValuesFrom } from './live-values.ts';
import { createEvaluatorMetrics } from './metrics.ts';

/** Server options the evaluator reads, besides `slos`, `externalUrl` and the two URLs. */
export interface EvaluationSettings {
  /** How often every SLO is evaluated; default 30 s. */
  evaluationIntervalMs?: number;
  /** Timeout, auth and headers for Prometheus; its URL is `prometheusUrl`. */
  prometheusAccess?: Omit<PrometheusClientOptions, 'url'>;
}

/**
 * How other routes read the evaluator (set on the app context as `evaluation`; absent when no
 * Prometheus is configured). `latest()` is synchronous and cheap: it never waits for Prometheus,
 * so a page shows the last evaluation at once, with `error` set while Prometheus is down and
 * `evaluatedAt: null` (every number null) before the first evaluation finishes.
 */
export interface EvaluationProvider {
  latest(): EvaluatorReport;
  /** Burn rates and budget over a range, for the SLO page's charts. */
  history?: SloHistoryProvider;
}

interface EvaluatorContext extends EvaluationSettings {
  slos: Slo[];
  externalUrl: string;
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  /** Pushed alerts then carry `dashboard_url`, as the rules' alerts do. */
  grafanaUrl?: string;
  metrics: { registry: Registry };
  evaluation?: EvaluationProvider;
  liveValues?: LiveValues;
}

const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The evaluator and `GET /api/v1/slos`. It starts when the app is ready and stops when it closes;
 * without a Prometheus URL the endpoint still lists every SLO, with every number null. With one,
 * it also fills the runbook pages' `liveValues` hook (first-look query values), unless set already,
 * and answers the SLO page's history.
 */
export function evaluatorPlugin(app: FastifyInstance, context: EvaluatorContext): void {
  if (context.prometheusUrl) {
    const intervalMs = context.evaluationIntervalMs ?? DEFAULT_INTERVAL_MS;
    // Evaluations never overlap (the next starts after this one ends), so a slow Prometheus delays them.
    const timeoutMs = context.prometheusAccess?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const prometheus = createPrometheusClient({
      ...context.prometheusAccess,
      url: context.prometheusUrl,
      timeoutMs,
    });
    const evaluator = new Evaluator({
      slos: context.slos,
      prometheus,
      intervalMs,
      alertOptions: {
        externalUrl: context.externalUrl,
        ...(context.grafanaUrl ? grafanaAlertOptions(context.grafanaUrl) : {}),
      },
      metrics: createEvaluatorMetrics(context.metrics.registry, context.slos),
      ...(context.alertmanagerUrl
        ? { alertmanager: createAlertmanagerClient({ url: context.alertmanagerUrl, timeoutMs }) }
        : {}),
    });
    // While the evaluator finds Prometheus down, pages are told so at once instead of each waiting out a timeout.
    const down = () => {
      const { state, error } = evaluator.latest();
      return state === 'failed' ? error?.message : undefined;
    };
    context.evaluation = { latest: () => evaluator.latest(), history: sloHistoryFrom(prometheus, down) };
    context.liveValues ??= liveValuesFrom(prometheus, down);
    app.addHook('onReady', async () => evaluator.start());
    app.addHook('onClose', async () => evaluator.stop());
  }
  app.get('/api/v1/slos', async () => {
    if (context.evaluation) return context.evaluation.latest();
    return {
      error: {
        at: new Date().toISOString(),
        message: 'No Prometheus configured: start serve with --prometheus-url.',
      },
      slos: evaluateSlos(context.slos, []),
    };
  });
}
