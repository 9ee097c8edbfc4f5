import { formatDuration } from '../policy/duration.ts';
import { ABSENT_TIER, type Tier } from '../policy/tiers.ts';
import { BASE_WINDOW_MS } from '../policy/windows.ts';
import type { AbsentAlert, Slo } from '../spec/model.ts';

/**
 * Names other tools and people depend on: recording rules (`level:metric:operations`, as
 * the Prometheus docs name them), alert names, the labels that identify an SLO and its alerts,
 * rule groups and the files burnbook writes. Paths and URLs are in urls.ts, dashboards in dashboards.ts.
 */
export const RECORDS = {
  errors: 'slo:sli_errors:rate5m',
  total: 'slo:sli_total:rate5m',
  /** When burnbook's 5m recordings of the SLO (and group) began, Unix seconds. */
  recordingsStart: 'slo:recordings_start:timestamp',
  /** From when the windows count traffic, Unix seconds: see outputs/rules/recording.ts. */
  trafficStart: 'slo:traffic_start:timestamp',
  objective: 'slo:objective:ratio',
  errorBudget: 'slo:error_budget:ratio',
  budgetRemaining: 'slo:period_error_budget_remaining:ratio',
  currentBurnRate: 'slo:current_burn_rate:ratio',
  periodBurnRate: 'slo:period_burn_rate:ratio',
} as const;

export function errorRatioRecord(windowMs: number): string {
  return `slo:sli_error:ratio_rate${formatDuration(windowMs)}`;
}

/** The labels that pick out one SLO's series: unique because (service, name) is. */
export function sloIdentity(slo: Slo): Record<string, string> {
  return { slo_service: slo.service, slo: slo.name };
}

/** Labels on every series and alert of an SLO (groupBy labels come from the data). */
export function sloLabels(slo: Slo): Record<string, string> {
  // The same as { ...slo.labels, ...sloIdentity(slo) }; a copy per rule (the YAML writer would write a
  // shared object as an anchor), made without the generic spread, which showed in the profile.
  const labels: Record<string, string> = {};
  for (const name of Object.keys(slo.labels)) labels[name] = slo.labels[name] as string;
  labels.slo_service = slo.service;
  labels.slo = slo.name;
  return labels;
}

/**
 * The labels that tell one incident from another: an SLO, and a group of a `groupBy` SLO. Alertmanager groups
 * on them (one notification group, one page, per incident, whatever the tier or the alert name) and inhibits
 * with `equal` on them (a tier holds back only its own SLO's and group's slower tiers). The incidents of
 * issue 20 are keyed by them too.
 */
export function incidentLabelNames(slo: Pick<Slo, 'groupBy'>): string[] {
  return ['slo_service', 'slo', ...slo.groupBy];
}

/** One of an SLO's alerts: a burn tier's, or the absent-SLI alert (which has the tier's label, not its math). */
export type SloAlert = Pick<Tier, 'name' | 'severity'> | AbsentAlert;

/**
 * burnbook's own name for an alert of an SLO: `<alerting.name>-<tier>-burn` for a tier,
 * `<alerting.name>-sli-absent` for the absent-SLI alert. Its runbook page's name always, and its alert's
 * name unless the spec shares one name (`alerting.alertname`, `alerting.absent.alertname`). One ends in
 * `-burn` and the other does not, so no two alerts of an SLO share it.
 */
export function tierName(slo: Slo, alert: Pick<SloAlert, 'name'>): string {
  return alert.name === ABSENT_TIER
    ? `${slo.alerting.name}-${ABSENT_TIER}`
    : `${slo.alerting.name}-${alert.name}-burn`;
}

/**
 * The alert's name: burnbook's own (tierName), or the one the spec shares between alerts and SLOs (kept
 * from Sloth or Pyrra): `alerting.alertname` for every tier, the absent alert's own (`SLOMetricAbsent`
 * beside a shared tier name). A shared name tells alerts apart only by their labels.
 */
export function alertName(slo: Slo, alert: Pick<SloAlert, 'name'>): string {
  const shared = alert.name === ABSENT_TIER ? slo.alerting.absent?.alertname : slo.alerting.alertname;
  return shared ?? tierName(slo, alert);
}

/** How people see an alert named on a page or link: its name, and the tier when the name is shared. */
export function alertTitle(slo: Slo, alert: Pick<SloAlert, 'name'>): string {
  const name = alertName(slo, alert);
  return name === tierName(slo, alert) ? name : `${name} (${alert.name})`;
}

/**
 * Labels of an SLO's alert, besides the groupBy labels its series carry: routing, inhibition and linking
 * read them. `slo_tier` is the tier's name, or `sli-absent`; the alert's severity adds its own labels.
 */
export function alertLabels(slo: Slo, alert: SloAlert): Record<string, string> {
  return {
    ...sloLabels(slo),
    ...slo.alerting.labels,
    ...slo.alerting.severities[alert.severity]?.labels,
    slo_tier: alert.name,
    severity: alert.severity,
  };
}

/** Every alert of an SLO: its tiers, fastest first, then the absent-SLI alert when it has one. */
export function sloAlerts(slo: Slo): SloAlert[] {
  return slo.alerting.absent ? [...slo.alerting.tiers, slo.alerting.absent] : slo.alerting.tiers;
}

export function ruleGroupName(slo: Slo): string {
  return `burnbook-${slo.service}-${slo.name}`;
}

/** Every window the SLO measures, shortest first: the 5m base, each tier's pair, the period. */
export function windowsOf(slo: Slo): number[] {
  const all = [BASE_WINDOW_MS, slo.periodMs, ...slo.alerting.tiers.flatMap((t) => [t.shortMs, t.longMs])];
  return [...new Set(all)].sort((a, b) => a - b);
}

/** One rule file per service, directly in the rules directory, so `rule_files: [rules/*.yaml]` loads them. */
export function ruleFileName(service: string): string {
  return `${service}.yaml`;
}

/**
 * `tests/<service>.<slo>.test.yaml`, relative to the rules directory and out of the rule files' glob. Names
 * never hold a dot, so no two SLOs share a file: joined with `-`, service `api` + SLO `http-errors` and
 * service `api-http` + SLO `errors` did.
 */
export function promtoolTestFileName(slo: Pick<Slo, 'service' | 'name'>): string {
  return `tests/${slo.service}.${slo.name}.test.yaml`;
}
