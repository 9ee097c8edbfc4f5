import { parseDuration } from '../policy/duration.ts';
import { ABSENT_TIER } from '../policy/tiers.ts';
import type { PrometheusClient, RangeSeries } from '../prometheus/client.ts';
import { aggregateBy, formatSelector } from '../promql/build.ts';
import type { LabelMatcher } from '../promql/parse.ts';
import type { Slo } from '../spec/model.ts';
import type { AlertEngine } from './engine.ts';
import { gaugeLabel, TIER_FIRING_METRIC } from './metrics.ts';
import {
  type AlertPeriod,
  type GroupStatus,
  type HistoryRange,
  type SloStatus,
  sameLabels,
} from './report.ts';

/**
 * When an SLO's tiers were pending or firing, for the SLO page: shaded on its burn charts and the range
 * the page opens on. From Prometheus's `ALERTS` series when it runs the generated rules (they carry
 * `slo_service`, `slo`, `slo_tier` and the groupBy labels), and where burnbook is the alert engine, from
 * its evaluator: its firing gauge, where Prometheus scrapes burnbook, and its state (the period going on now).
 */

// A tier pends and fires a handful of times in a week; far more is a flapping rule, and the most recent are kept.
const MAX_PERIODS = 200;
// Tiers × {pending, firing}; a misconfigured ALERTS with odd labels cannot grow the answer past this.
const MAX_SERIES = 50;
// The longest range the page offers, read at this step to find the last incident: one series, 336 points.
const INCIDENT_LOOKBACK_MS = 7 * 24 * 3_600_000;
const INCIDENT_STEP_MS = 30 * 60_000;
// Prometheus's default rule evaluation interval: each step reads at least this much, so none falls between samples.
const MIN_READ_MS = 60_000;

/** `ALERTS` of the SLO's burn tiers (not its absent-SLI alert), in one group when `group` is given. */
function alertsSelector(slo: Slo, group: Record<string, string>): string {
  const matchers: LabelMatcher[] = [
    { name: 'slo_service', op: '=', value: slo.service },
    { name: 'slo', op: '=', value: slo.name },
    { name: 'slo_tier', op: '!=', value: ABSENT_TIER },
    ...Object.entries(group).map(([name, value]): LabelMatcher => ({ name, op: '=', value })),
  ];
  return formatSelector({ metric: 'ALERTS', matchers });
}

/**
 * burnbook's evaluator's own record of its firing tiers (evaluator/metrics.ts), in Prometheus where it
 * scrapes burnbook: the firing periods of an SLO burnbook is the alert engine of (it records no pending).
 */
function evaluatorFiringSelector(slo: Slo, group: Record<string, string>): string {
  const matchers: LabelMatcher[] = [
    { name: 'service', op: '=', value: slo.service },
    { name: 'slo', op: '=', value: slo.name },
    ...Object.entries(group).map(
      ([name, value]): LabelMatcher => ({ name: gaugeLabel(name), op: '=', value }),
    ),
  ];
  return formatSelector({ metric: TIER_FIRING_METRIC, matchers });
}

/**
 * Whether the alert existed (or the gauge read 1) since the previous step: each point reads the step
 * before it, less a millisecond, since Prometheus 2's range selectors take in both ends.
 */
function presenceQuery(selector: string, stepMs: number, by: string[]): string {
  return `${aggregateBy('max', by, `max_over_time(${selector}[${Math.max(stepMs, MIN_READ_MS) - 1}ms])`)} > 0`;
}

/** Runs of consecutive steps with a sample, as [first, last] step in ms. */
function runsOf(values: RangeSeries['values'], stepMs: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const { timestampMs } of values) {
    const last = runs[runs.length - 1];
    if (last && timestampMs - last[1] <= stepMs) last[1] = timestampMs;
    else runs.push([timestampMs, timestampMs]);
  }
  return runs;
}

type Grid = { start: number; end: number; stepMs: number };

/** A range query's series as periods, each series' tier and state read off its labels. */
async function periodsOf(
  client: PrometheusClient,
  expr: string,
  grid: Grid,
  which: (metric: Record<string, string>) => Pick<AlertPeriod, 'tier' | 'state'> | undefined,
): Promise<AlertPeriod[]> {
  const answer = await client.queryRange(expr, new Date(grid.start), new Date(grid.end), grid.stepMs / 1000, {
    maxSeries: MAX_SERIES,
  });
  return answer.result.flatMap(({ metric, values }) => {
    const period = which(metric);
    if (!period) return [];
    return runsOf(values, grid.stepMs).map(([start, end]) => ({
      ...period,
      start: start / 1000,
      end: end / 1000,
    }));
  });
}

/**
 * The periods each tier of one group was pending or firing over the grid (epoch ms), at its step: from
 * the first step that saw the alert to the last, so to within a step. From `ALERTS`, and for an SLO
 * burnbook is the alert engine of, from its evaluator's firing gauge too. Times in Unix seconds; the most
 * recent MAX_PERIODS.
 */
export async function alertPeriodsOver(
  client: PrometheusClient,
  slo: Slo,
  group: Record<string, string>,
  grid: Grid,
  engine: AlertEngine | undefined,
): Promise<AlertPeriod[]> {
  const fromAlerts = periodsOf(
    client,
    presenceQuery(alertsSelector(slo, group), grid.stepMs, ['slo_tier', 'alertstate']),
    grid,
    ({ slo_tier: tier, alertstate: state }) =>
      tier !== undefined && (state === 'pending' || state === 'firing') ? { tier, state } : undefined,
  );
  const fromEvaluator =
    engine === 'burnbook'
      ? periodsOf(
          client,
          presenceQuery(evaluatorFiringSelector(slo, group), grid.stepMs, ['tier']),
          grid,
          ({ tier }) => (tier === undefined ? undefined : { tier, state: 'firing' }),
        )
      : Promise.resolve([]);
  return mergedPeriods([...(await fromAlerts), ...(await fromEvaluator)], grid.stepMs / 1000);
}

/**
 * Periods of the same tier and state that overlap or touch (within `gapSeconds`) as one, the most recent
 * MAX_PERIODS: the same firing read from `ALERTS`, the evaluator's gauge and its state now is one period.
 */
export function mergedPeriods(periods: AlertPeriod[], gapSeconds: number): AlertPeriod[] {
  const merged: AlertPeriod[] = [];
  const sorted = [...periods].sort(
    (a, b) => a.tier.localeCompare(b.tier) || a.state.localeCompare(b.state) || a.start - b.start,
  );
  for (const p of sorted) {
    const last = merged[merged.length - 1];
    if (last && last.tier === p.tier && last.state === p.state && p.start <= last.end + gapSeconds) {
      last.end = Math.max(last.end, p.end);
    } else merged.push({ ...p });
  }
  return mostRecent(merged);
}

function mostRecent(periods: AlertPeriod[]): AlertPeriod[] {
  return periods.sort((a, b) => a.start - b.start).slice(-MAX_PERIODS);
}

/**
 * The period going on now of each tier burnbook's evaluator holds pending or firing, for an SLO whose
 * alert engine is burnbook: pending from `activeAt`, firing from `activeAt` + `for`, until `nowMs`.
 */
export function evaluatorAlertPeriods(
  group: Pick<GroupStatus, 'tiers'> | undefined,
  nowMs: number,
): AlertPeriod[] {
  return (group?.tiers ?? []).flatMap((tier): AlertPeriod[] => {
    if ((tier.state !== 'pending' && tier.state !== 'firing') || !tier.activeAt) return [];
    const active = Date.parse(tier.activeAt);
    if (tier.state === 'pending')
      return [{ tier: tier.tier, state: 'pending', start: active / 1000, end: nowMs / 1000 }];
    const fired = Math.min(nowMs, active + (parseDuration(tier.for) ?? 0));
    return [
      ...(fired > active
        ? [{ tier: tier.tier, state: 'pending' as const, start: active / 1000, end: fired / 1000 }]
        : []),
      { tier: tier.tier, state: 'firing', start: fired / 1000, end: nowMs / 1000 },
    ];
  });
}

/**
 * The runs of steps in which the group (any group, for `{}`) had an alert pending or firing, oldest
 * first; for an SLO burnbook is the alert engine of, its evaluator's firing gauge counts too.
 */
async function incidentRuns(
  client: PrometheusClient,
  slo: Slo,
  group: Record<string, string>,
  engine: AlertEngine | undefined,
  window: { endMs: number; rangeMs: number; stepMs: number },
) {
  const { endMs, rangeMs, stepMs } = window;
  const alerts = presenceQuery(alertsSelector(slo, group), stepMs, []);
  const expr =
    engine === 'burnbook'
      ? `${alerts} or ${presenceQuery(evaluatorFiringSelector(slo, group), stepMs, [])}`
      : alerts;
  const answer = await client.queryRange(expr, new Date(endMs - rangeMs), new Date(endMs), stepMs / 1000, {
    maxSeries: 1,
  });
  return answer.result.flatMap(({ values }) => runsOf(values, stepMs)).sort((a, b) => a[1] - b[1]);
}

/**
 * When the most recent period the SLO's group (any group, for `{}`) spent pending or firing began (epoch
 * ms), from `ALERTS` (and burnbook's firing gauge, where it is the engine) over the last 7 days: found at
 * a 30-minute step, then to the minute within the step where it began; null when there was none.
 */
export async function lastIncidentStart(
  client: PrometheusClient,
  slo: Slo,
  group: Record<string, string>,
  engine: AlertEngine | undefined,
  nowMs: number,
): Promise<number | null> {
  const end = Math.ceil(nowMs / INCIDENT_STEP_MS) * INCIDENT_STEP_MS;
  const runs = (endMs: number, rangeMs: number, stepMs: number) =>
    incidentRuns(client, slo, group, engine, { endMs, rangeMs, stepMs });
  const last = (await runs(end, INCIDENT_LOOKBACK_MS, INCIDENT_STEP_MS)).at(-1);
  if (!last) return null;
  // The run's first point says the period began within the step before it.
  const first = (await runs(last[0], INCIDENT_STEP_MS, MIN_READ_MS)).at(-1);
  return first ? first[0] : last[0] - INCIDENT_STEP_MS;
}

/** The status's groups with these labels; every group when `labels` is undefined. */
export function groupsWith(status: SloStatus, labels: Record<string, string> | undefined): GroupStatus[] {
  return labels ? status.groups.filter((g) => sameLabels(g.labels, labels)) : status.groups;
}

/**
 * When the period burnbook's evaluator holds now began (epoch ms), for the group (every group when
 * undefined) of an SLO it is the alert engine of; null when none is pending or firing.
 */
export function evaluatorIncidentStart(
  status: SloStatus | undefined,
  group: Record<string, string> | undefined,
  nowMs: number,
): number | null {
  if (status?.alertEngine !== 'burnbook') return null;
  const starts = groupsWith(status, group).flatMap((g) =>
    evaluatorAlertPeriods(g, nowMs).map((p) => p.start * 1000),
  );
  return starts.length ? Math.min(...starts) : null;
}

/**
 * The shortest of `ranges` (shortest first) whose chart shows the period that began at `startMs` with at
 * least a quarter of the range before it; the longest when none does.
 */
export function rangeCovering(
  startMs: number,
  nowMs: number,
  ranges: readonly HistoryRange[],
  rangeMs: (range: HistoryRange) => number,
): HistoryRange {
  return (
    ranges.find((r) => nowMs - rangeMs(r) * 0.75 <= startMs) ?? (ranges[ranges.length - 1] as HistoryRange)
  );
}
