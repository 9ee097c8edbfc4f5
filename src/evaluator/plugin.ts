import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import type { GrafanaUrls } from '../conventions/dashboards.ts';
import type { SiteUrls } from '../conventions/urls.ts';
import { checkSli, type SliCheck } from '../live-check/check.ts';
import { createPrometheusClient, type PrometheusClientOptions } from '../prometheus/client.ts';
import type { LiveValues } from '../runbooks/providers.ts';
import type { Slo } from '../spec/model.ts';
import { evaluatorIncidentStart, lastIncidentStart } from './alert-periods.ts';
import { createAlertmanagerClient } from './alertmanager-client.ts';
import { briefCache } from './brief-cache.ts';
import { Evaluator } from './evaluator.ts';
import { type SloHistoryProvider, sloHistoryFrom } from './history.ts';
import { liveValuesFrom } from './live-values.ts';
import { createEvaluatorMetrics } from './metrics.ts';
import { keyOf } from './plan.ts';
import { type EvaluatorReport, statusOf } from './report.ts';

/** Server options the evaluator reads, besides the SLOs and the URLs. */
export interface EvaluationSettings {
  /** How often every SLO is evaluated; default 30 s. */
  evaluationIntervalMs?: number;
  /** Timeout, auth and headers for Prometheus; its URL is `prometheusUrl`. */
  prometheusAccess?: Omit<PrometheusClientOptions, 'url'>;
  /** Where the evaluator tells a change of its health (a failing Prometheus or Alertmanager), once per change. */
  log?: (line: string) => void;
}

/**
 * How routes read the evaluator (the app's `evaluation` decoration; null when no Prometheus is
 * configured). `latest()` is synchronous and cheap: it never waits for Prometheus, so a page shows the
 * last evaluation at once, with `error` set while Prometheus is down and `evaluatedAt: null` (every number
 * null) before the first evaluation finishes.
 */
export interface EvaluationProvider {
  latest(): EvaluatorReport;
  /** Burn rates and budget over a range, for the SLO page's charts. */
  history?: SloHistoryProvider;
  /**
   * When the most recent pending or firing period of the SLO's group (any group when undefined) began
   * (epoch ms), within the longest chart range; null when there was none. Rejects while Prometheus is down.
   */
  lastIncident?: (slo: Slo, group?: Record<string, string>) => Promise<number | null>;
  /** Whether the SLO's SLI reads its series (live-check/), for its page; rejects while Prometheus is down. */
  sliCheck?: (slo: Slo) => Promise<SliCheck>;
}

export interface EvaluationSetup extends EvaluationSettings {
  slos: Slo[];
  urls: SiteUrls;
  prometheusUrl: string;
  alertmanagerUrl?: string;
  /** Pushed alerts then carry `dashboard_url`, as the rules' alerts do. */
  grafana?: GrafanaUrls;
  registry: Registry;
}

const DEFAULT_INTERVAL_MS = 30_000;
// A live check asks Prometheus's label index several questions; series come and go slowly, so a minute
// of caching spares it the reloads of an incident.
const CHECK_CACHE_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 10_000;
// The last incident decides the range an SLO page opens on; a new one shows within this.
const INCIDENT_CACHE_MS = 30_000;

/**
 * The evaluator and what it serves: its latest report and the SLO page's history for the routes, and the
 * first-look query values for the runbook pages. Built once per server; evaluatorPlugin starts and stops it.
 */
export function createEvaluation(setup: EvaluationSetup) {
  const intervalMs = setup.evaluationIntervalMs ?? DEFAULT_INTERVAL_MS;
  // Evaluations never overlap (the next starts after this one ends), so a slow Prometheus delays them.
  const timeoutMs = setup.prometheusAccess?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const prometheus = createPrometheusClient({
    ...setup.prometheusAccess,
    url: setup.prometheusUrl,
    timeoutMs,
  });
  const evaluator = new Evaluator({
    slos: setup.slos,
    prometheus,
    intervalMs,
    alertOptions: { urls: setup.urls, ...(setup.grafana ? { grafana: setup.grafana } : {}) },
    metrics: createEvaluatorMetrics(setup.registry, setup.slos),
    ...(setup.log ? { log: setup.log } : {}),
    ...(setup.alertmanagerUrl
      ? { alertmanager: createAlertmanagerClient({ url: setup.alertmanagerUrl, timeoutMs }) }
      : {}),
  });
  // While the evaluator finds Prometheus down, pages are told so at once instead of each waiting out a timeout.
  const down = () => {
    const { state, error } = evaluator.latest();
    return state === 'failed' ? error?.message : undefined;
  };
  const checks = briefCache<SliCheck>(CHECK_CACHE_MS);
  const incidents = briefCache<number | null>(INCIDENT_CACHE_MS);
  const status = (slo: Slo) => statusOf(evaluator.latest(), slo);
  const provider: EvaluationProvider = {
    latest: () => evaluator.latest(),
    history: sloHistoryFrom(prometheus, down, status),
    lastIncident: async (slo, group) => {
      const reason = down();
      if (reason) throw new Error(reason);
      const current = status(slo);
      const engine = current?.alertEngine;
      const key = JSON.stringify([keyOf(slo), group ?? null, engine ?? null]);
      const past = await incidents(key, () =>
        lastIncidentStart(prometheus, slo, group ?? {}, engine, Date.now()),
      );
      const now = evaluatorIncidentStart(current, group, Date.now());
      return now === null ? past : Math.max(past ?? now, now);
    },
    sliCheck: (slo) => {
      const reason = down();
      if (reason) return Promise.reject(new Error(reason));
      return checks(keyOf(slo), () => checkSli(prometheus, slo));
    },
  };
  const liveValues: LiveValues = liveValuesFrom(prometheus, down);
  return { evaluator, provider, liveValues };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The evaluator's results; null without a Prometheus to evaluate against. */
    evaluation: EvaluationProvider | null;
  }
}

/**
 * Decorates the app with `evaluation`, and runs the evaluator, if any, while the app runs: it starts
 * when the app is ready and stops when it closes.
 */
export const evaluatorPlugin = fp(
  async (
    app: FastifyInstance,
    options: { evaluator?: Pick<Evaluator, 'start' | 'stop'>; evaluation: EvaluationProvider | null },
  ) => {
    app.decorate('evaluation', options.evaluation);
    const { evaluator } = options;
    if (!evaluator) return;
    app.addHook('onReady', async () => evaluator.start());
    app.addHook('onClose', async () => evaluator.stop());
  },
  { name: 'burnbook-evaluator' },
);
