import type { GrafanaUrls } from '../../conventions/dashboards.ts';
import { alertLabels, alertName, errorRatioRecord, sloIdentity } from '../../conventions/names.ts';
import type { SiteUrls } from '../../conventions/urls.ts';
import { budgetTimeMs, errorBudget, IMPOSSIBLE_ERROR_RATIO, tierFacts } from '../../policy/burn.ts';
import { formatDuration, humanDuration } from '../../policy/duration.ts';
import { formatNumber, formatPercent } from '../../policy/number.ts';
import type { Tier } from '../../policy/tiers.ts';
import { BASE_WINDOW_MS } from '../../policy/windows.ts';
import { labelSelector } from '../../promql/build.ts';
import type { Slo } from '../../spec/model.ts';
import { holdThreshold, withIncidentClauses } from './incident.ts';
import { windowTotal } from './recording.ts';

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface AlertOptions {
  /** Where burnbook is reached: every alert's `runbook_url` is under it. */
  urls: SiteUrls;
  /** Where Grafana serves the dashboards, when it does: alerts then carry `dashboard_url`. */
  grafana?: GrafanaUrls;
}

/**
 * How annotation text shows the alert's live parts. Prometheus gets Go template actions;
 * generated promtool tests render the same text with known values, so the two never drift.
 */
export interface AnnotationValues {
  value: string;
  label: (name: string) => string;
}

export const TEMPLATE_VALUES: AnnotationValues = {
  value: '{{ printf "%.3g" $value }}',
  label: (name) => `{{ $labels.${name} }}`,
};

/** How a firing tier holds (outputs/rules/incident.ts), as the description says it. */
function holding(slo: Slo, tier: Tier): string {
  const above = holdThreshold(slo, tier);
  return above
    ? `, and once firing it holds while the ratio over ${formatDuration(BASE_WINDOW_MS)} stays above ${above} (the burn goes on, if slower)`
    : '';
}

export function alertAnnotations(
  slo: Slo,
  tier: Tier,
  opts: AlertOptions,
  values: AnnotationValues = TEMPLATE_VALUES,
): Record<string, string> {
  const f = tierFacts(tier, slo.periodMs, slo.objective);
  const group = slo.groupBy.map((l) => `${l}=${values.label(l)}`).join(', ');
  const long = formatDuration(tier.longMs);
  const short = formatDuration(tier.shortMs);
  const budget = errorBudget(slo.objective);
  return {
    summary: `${slo.service}/${slo.name}${group ? ` (${group})` : ''} is burning its error budget ${formatNumber(f.factor)}× too fast`,
    description:
      `Error ratio over ${long} is ${values.value}. The alert fires while it and the ratio over ${short} are above ` +
      `${formatNumber(f.threshold)} (${formatNumber(f.factor)} × the ${formatPercent(budget)} error budget of a ` +
      `${slo.objective}% objective)${holding(slo, tier)}. At ${formatNumber(f.factor)}× the ${formatDuration(slo.periodMs)} budget ` +
      `(${humanDuration(budgetTimeMs(slo.periodMs, slo.objective))} of full outage) is gone in ` +
      `${humanDuration(f.timeToExhaustionMs)}; ${formatNumber(tier.budgetPercent)}% of it is spent within ${long}.`,
    runbook_url: opts.urls.runbook(slo, tier),
    ...(opts.grafana ? { dashboard_url: opts.grafana.sloDashboard(slo, values.label) } : {}),
    ...slo.alerting.annotations,
    ...slo.alerting.severities[tier.severity]?.annotations,
  };
}

/**
 * Both windows above the tier's threshold (and not above 1: see `impossibleErrorRatio`); with `minEvents`,
 * enough traffic in the long window too.
 */
export function alertExpr(slo: Slo, tier: Tier): string {
  const { threshold } = tierFacts(tier, slo.periodMs, slo.objective);
  const t = formatNumber(threshold);
  const id = sloIdentity(slo);
  // Above 1 is no burn but a broken SLI (errors and total swapped?): the absent-SLI alert says so instead, and
  // the evaluator calls it broken and fires no tier either.
  const within = (windowMs: number) =>
    `${labelSelector(errorRatioRecord(windowMs), id)} > ${t} <= ${IMPOSSIBLE_ERROR_RATIO}`;
  const lines = [within(tier.longMs), within(tier.shortMs)];
  if (slo.minEvents !== undefined) {
    lines.push(`${windowTotal(tier.longMs, (record) => labelSelector(record, id))} >= ${slo.minEvents}`);
  }
  return lines.join('\nand\n');
}

export function alertingRule(slo: Slo, tier: Tier, opts: AlertOptions): AlertingRule {
  return {
    alert: alertName(slo, tier),
    expr: withIncidentClauses(slo, tier, alertExpr(slo, tier)),
    ...(tier.forMs ? { for: formatDuration(tier.forMs) } : {}),
    labels: alertLabels(slo, tier),
    annotations: alertAnnotations(slo, tier, opts),
  };
}
