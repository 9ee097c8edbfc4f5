import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Slo } from '../spec/model.ts';
import type { SloStatus } from './report.ts';

const FIXED = ['service', 'slo', 'window', 'tier'];
/** 1 while a tier fires, per SLO, group and tier: burnbook's own record of its alerts, where Prometheus scrapes it. */
export const TIER_FIRING_METRIC = 'burnbook_slo_tier_firing';

/**
 * groupBy labels become labels of the SLO gauges, so `burnbook_slo_burn_rate{tenant="acme"}` reads
 * like the generated series. One that collides with a fixed label gets Prometheus's `exported_`
 * prefix, as a scrape with honor_labels: false would name it.
 */
export function gaugeLabel(name: string): string {
  return FIXED.includes(name) ? `exported_${name}` : name;
}

/** The evaluator's metrics on the app's registry, next to the server's own. */
export function createEvaluatorMetrics(registry: Registry, slos: Slo[]) {
  const groupLabels = [...new Set(slos.flatMap((s) => s.groupBy))].map(gaugeLabel);
  const gauge = (name: string, help: string, labels: string[]) =>
    new Gauge({ name, help, labelNames: [...labels, ...groupLabels], registers: [registry] });
  return {
    burnRate: gauge('burnbook_slo_burn_rate', 'Error ratio over the window ÷ error budget', [
      'service',
      'slo',
      'window',
    ]),
    budgetRemaining: gauge(
      'burnbook_slo_error_budget_remaining_ratio',
      'Share of the period error budget left: 1 untouched, 0 spent, below 0 overspent',
      ['service', 'slo'],
    ),
    tierFiring: gauge(
      TIER_FIRING_METRIC,
      "1 while the tier's alert fires (its condition held for `for`), else 0",
      ['service', 'slo', 'tier'],
    ),
    duration: new Histogram({
      name: 'burnbook_evaluation_duration_seconds',
      help: 'Time one evaluation of every SLO took, queries included',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    evaluations: new Counter({
      name: 'burnbook_evaluations_total',
      help: 'Evaluations by result: ok, partial (some queries failed) or failed (Prometheus did not answer)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    queries: new Counter({
      name: 'burnbook_evaluation_queries_total',
      help: 'Queries the evaluator sent to Prometheus',
      registers: [registry],
    }),
    lastSuccess: new Gauge({
      name: 'burnbook_evaluation_last_success_timestamp_seconds',
      help: 'When an evaluation last got every number it asked for',
      registers: [registry],
    }),
    notifications: new Counter({
      name: 'burnbook_alertmanager_notifications_total',
      help: 'Posts of alerts to Alertmanager by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}

export type EvaluatorMetrics = ReturnType<typeof createEvaluatorMetrics>;

/**
 * Replaces the SLO gauges with this evaluation's numbers: groups that vanished lose their series,
 * unknown numbers have none. Synchronous, so a scrape never sees a half-written set.
 */
export function recordStatuses(metrics: EvaluatorMetrics, statuses: SloStatus[]): void {
  for (const g of [metrics.burnRate, metrics.budgetRemaining, metrics.tierFiring]) g.reset();
  for (const status of statuses) {
    for (const group of status.groups) {
      const grouped = Object.fromEntries(Object.entries(group.labels).map(([k, v]) => [gaugeLabel(k), v]));
      const labels = (more: Record<string, string> = {}) => ({
        service: status.service,
        slo: status.slo,
        ...more,
        ...grouped,
      });
      if (group.budgetRemaining !== null) metrics.budgetRemaining.set(labels(), group.budgetRemaining);
      for (const [window, rate] of Object.entries(group.burnRates)) {
        if (rate !== null) metrics.burnRate.set(labels({ window }), rate);
      }
      for (const tier of group.tiers)
        metrics.tierFiring.set(labels({ tier: tier.tier }), tier.firing ? 1 : 0);
    }
  }
}
