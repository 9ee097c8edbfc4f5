import { windowsOf } from '../conventions/names.ts';
import { errorBudget, tierFacts } from '../policy/burn.ts';
import { formatDuration, parseDuration } from '../policy/duration.ts';
import type { PrometheusClient, RangeSeries } from '../prometheus/client.ts';
import { scopedTo } from '../promql/build.ts';
import type { Slo } from '../spec/model.ts';
import { alertPeriodsOver, evaluatorAlertPeriods, groupsWith, mergedPeriods } from './alert-periods.ts';
import { fetchBreakdown } from './breakdown.ts';
import { aborted, briefCache } from './brief-cache.ts';
import type { AlertEngine } from './engine.ts';
import { pointsOnGrid } from './history-grid.ts';
import { keyOf, MEASURE_LABEL, type PlannedQuery, planFallback, planQueries } from './plan.ts';
import {
  type HistoryRange,
  historyRangeSchema,
  type SloHistory,
  type SloStatus,
  type Source,
} from './report.ts';

/**
 * One SLO's burn rates and budget over the last hours or days, for the SLO page's charts. The
 * same queries as the evaluator (the rules' records, the raw SLI where there are none), run as range
 * queries: each point is what an evaluation at that instant would have said, and a chart shows what
 * the records hold, from when the rules were loaded.
 */

/** The step of each range a chart offers: near 300–400 points each. */
const RANGES: Record<HistoryRange, string> = {
  '1h': '15s',
  '3h': '30s',
  '6h': '1m',
  '24h': '5m',
  '7d': '30m',
};
export const HISTORY_RANGES = historyRangeSchema.options;
export const DEFAULT_RANGE: HistoryRange = '24h';

export function isHistoryRange(value: unknown): value is HistoryRange {
  return typeof value === 'string' && Object.hasOwn(RANGES, value);
}

export interface HistoryRequest {
  range: HistoryRange;
  /** The groupBy labels of the group to chart; absent: the group with the least budget left. */
  group?: Record<string, string>;
}

// The period window moves by a 720th of itself per step at this spacing: a smooth line for a fraction
// of the cost. On the raw SLI each point re-reads the whole period (30 days of samples per series).
const PERIOD_POINTS = 720;
// Series kept per range query, by their last value: all groups of a groupBy SLO when none is asked for
// (the chart picks the one with the least budget left, which ranks first); a few points each.
const HISTORY_SERIES = 500;

/** The step grid: aligned to the step, so a cached answer and Prometheus's own agree on the points. */
export function historyGrid(range: HistoryRange, now: number) {
  const stepMs = parseDuration(RANGES[range]) as number;
  const rangeMs = parseDuration(range) as number;
  const end = Math.floor(now / stepMs) * stepMs;
  return { start: end - rangeMs, end, stepMs, rangeMs, points: rangeMs / stepMs + 1 };
}

/** The period window's step: a multiple of the grid's that divides the range, so its points are on the grid. */
export function periodStepMs(grid: Pick<Grid, 'stepMs' | 'rangeMs'>, periodMs: number): number {
  let n = Math.max(1, Math.floor(periodMs / PERIOD_POINTS / grid.stepMs));
  while ((grid.rangeMs / grid.stepMs) % n !== 0) n--;
  return n * grid.stepMs;
}

type Grid = ReturnType<typeof historyGrid>;

type Outcome =
  | { query: PlannedQuery; series: RangeSeries[]; omitted: number }
  | { query: PlannedQuery; error: Error };

interface GroupRatios {
  labels: Record<string, string>;
  /** Error ratio per step, by window. */
  ratios: Map<number, Array<number | null>>;
  /** Budget left and the data behind it per step, from the period window's query. */
  budget: Array<number | null> | undefined;
  data: Array<number | null> | undefined;
}

function collect(slo: Slo, outcomes: Outcome[], grid: Grid): Map<string, GroupRatios> {
  const groups = new Map<string, GroupRatios>();
  for (const outcome of outcomes) {
    if (!('series' in outcome)) continue;
    for (const { metric, values } of outcome.series) {
      if (metric.slo_service !== slo.service || metric.slo !== slo.name) continue;
      const measure = metric[MEASURE_LABEL];
      if (measure !== 'ratio' && measure !== 'budget' && measure !== 'data') continue;
      const labels = Object.fromEntries(slo.groupBy.map((l) => [l, metric[l] ?? '']));
      const id = JSON.stringify(labels);
      const group = groups.get(id) ?? { labels, ratios: new Map(), budget: undefined, data: undefined };
      groups.set(id, group);
      const points = pointsOnGrid(values, grid);
      if (measure === 'ratio') group.ratios.set(outcome.query.windowMs, points);
      else group[measure] = points;
    }
  }
  return groups;
}

/**
 * Budget left per step: the rules' own record where they have one; from the raw SLI, the period's error
 * ratio weighed by how much of the period had events, as the record computes it.
 */
function budgetLeft(slo: Slo, group: GroupRatios | undefined, points: number): Array<number | null> {
  if (group?.budget) return group.budget;
  const budget = errorBudget(slo.objective);
  const periodSeconds = slo.periodMs / 1000;
  const ratios = group?.ratios.get(slo.periodMs) ?? new Array<number | null>(points).fill(null);
  return ratios.map((r, i) => {
    if (r === null) return null;
    const data = group?.data?.[i] ?? null;
    return 1 - (r / budget) * (data === null ? 1 : Math.min(1, data / periodSeconds));
  });
}

function lastKnown(values: Array<number | null> | undefined): number {
  const known = (values ?? []).filter((v): v is number => v !== null);
  return known.length ? (known[known.length - 1] as number) : Number.POSITIVE_INFINITY;
}

/** Without a group asked for, the one whose budget left ends lowest. */
function leastBudgetLeft(slo: Slo, groups: GroupRatios[], points: number): GroupRatios | undefined {
  const left = (g: GroupRatios) => lastKnown(budgetLeft(slo, g, points));
  return groups.reduce<GroupRatios | undefined>((a, b) => (a && left(a) <= left(b) ? a : b), undefined);
}

async function run(
  client: PrometheusClient,
  query: PlannedQuery,
  group: Record<string, string>,
  grid: Grid,
  stepMs: number,
): Promise<Outcome> {
  try {
    const expr = scopedTo(query.expr, group);
    const result = await client.queryRange(expr, new Date(grid.start), new Date(grid.end), stepMs / 1000, {
      maxSeries: HISTORY_SERIES,
    });
    return { query, series: result.result, omitted: result.omittedSeries };
  } catch (error) {
    return { query, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/**
 * Reads the history from Prometheus: the shortest window's range query from the rules' records, then the
 * other windows' all at once and the raw SLI for windows without records (every window raw when the
 * shortest has none). Rejects when no query is answered (Prometheus not answering); a failed
 * window query leaves that window null and says why in `errors`.
 */
export async function fetchHistory(
  client: PrometheusClient,
  slo: Slo,
  request: HistoryRequest,
  now = Date.now(),
  /** The SLO's alert engine, as the evaluator found it: burnbook's has its own record of alerts. */
  engine?: AlertEngine,
): Promise<SloHistory> {
  const grid = historyGrid(request.range, now);
  const windows = windowsOf(slo);
  const asked =
    request.group && slo.groupBy.length
      ? Object.fromEntries(slo.groupBy.map((l) => [l, request.group?.[l] ?? '']))
      : undefined;
  // The rules' period records are one series each, cheap at every step; the raw period window re-reads
  // the whole period at each point, so it is sampled sparsely.
  const budgetStepMs = periodStepMs(grid, slo.periodMs);
  const stepOf = (q: PlannedQuery) =>
    q.source === 'raw' && q.windowMs === slo.periodMs ? budgetStepMs : grid.stepMs;
  const ask = (q: PlannedQuery) => run(client, q, asked ?? {}, grid, stepOf(q));
  // The alert periods and breakdown of a group known now run beside the burn queries; of the group with the
  // least budget left, after them.
  const known = asked ?? (slo.groupBy.length ? undefined : {});
  const early = known && chartExtras(client, slo, known, grid, engine);
  // The shortest window first: without its record the rules are not loaded here (or not recording yet), so
  // every window goes to the raw SLI at once, one query each, instead of a rules query and a raw one each.
  const planned = planQueries([slo]);
  const probe = await ask(planned[0] as PlannedQuery);
  const answered = (o: Outcome) => ('series' in o ? [{ query: o.query, samples: o.series }] : []);
  const recorded = 'series' in probe && planFallback(answered(probe)).length === 0;
  const first = recorded ? [probe, ...(await Promise.all(planned.slice(1).map(ask)))] : [];
  const fallback = recorded
    ? planFallback(first.flatMap(answered))
    : planFallback(planned.map((query) => ({ query, samples: [] })));
  const sparse = [...first, ...(await Promise.all(fallback.map(ask)))];
  // A young SLO's raw period window reads only its own minutes at each point: at the grid's step, the
  // budget chart starts at its first minute instead of at the next sparse sample.
  const rawPeriod = sparse.find((o) => o.query.source === 'raw' && o.query.windowMs === slo.periodMs);
  const dataSeconds = rawPeriod && 'series' in rawPeriod ? lastDataSeconds(rawPeriod.series) : null;
  const fine =
    rawPeriod && dataSeconds !== null && dataSeconds * 1000 < grid.rangeMs && budgetStepMs > grid.stepMs
      ? await run(client, rawPeriod.query, asked ?? {}, grid, grid.stepMs)
      : undefined;
  const outcomes = fine && 'series' in fine ? sparse.map((o) => (o === rawPeriod ? fine : o)) : sparse;
  const failed = outcomes.find((o) => 'error' in o);
  if (failed && outcomes.every((o) => 'error' in o)) throw failed.error;

  const found = [...collect(slo, outcomes, grid).values()];
  const shown = slo.groupBy.length && !asked ? leastBudgetLeft(slo, found, grid.points) : found[0];
  const extras = await (early ?? chartExtras(client, slo, shown?.labels ?? {}, grid, engine));
  const budget = errorBudget(slo.objective);
  const ratios = (w: number) => shown?.ratios.get(w) ?? new Array<number | null>(grid.points).fill(null);
  const sources: Record<string, Source> = {};
  for (const { query } of outcomes) sources[formatDuration(query.windowMs)] = query.source;
  return {
    service: slo.service,
    slo: slo.name,
    range: request.range,
    stepSeconds: grid.stepMs / 1000,
    budgetStepSeconds: (rawPeriod && outcomes.includes(rawPeriod) ? budgetStepMs : grid.stepMs) / 1000,
    start: new Date(grid.start).toISOString(),
    end: new Date(grid.end).toISOString(),
    group: shown?.labels ?? asked ?? (slo.groupBy.length ? null : {}),
    groupsSeen: found.length,
    groupsOmitted: Math.max(0, ...outcomes.map((o) => ('omitted' in o ? o.omitted : 0))),
    timestamps: Array.from({ length: grid.points }, (_, i) => (grid.start + i * grid.stepMs) / 1000),
    burnRates: Object.fromEntries(
      windows.map((w) => [formatDuration(w), ratios(w).map((r) => (r === null ? null : r / budget))]),
    ),
    budgetRemaining: budgetLeft(slo, shown, grid.points),
    sources,
    tiers: slo.alerting.tiers.map((tier) => ({
      tier: tier.name,
      severity: tier.severity,
      factor: tierFacts(tier, slo.periodMs, slo.objective).factor,
      longWindow: formatDuration(tier.longMs),
      shortWindow: formatDuration(tier.shortMs),
    })),
    alertPeriods: extras.alertPeriods,
    alertPeriodsFrom: engine === 'burnbook' ? ['prometheus', 'burnbook'] : ['prometheus'],
    breakdown: extras.breakdown,
    errors: [
      ...new Set([...outcomes.flatMap((o) => ('error' in o ? [o.error.message] : [])), ...extras.errors]),
    ],
  };
}

/** The most seconds of data any group's period window rests on at the last step it answered. */
function lastDataSeconds(series: RangeSeries[]): number | null {
  const data = series.filter((s) => s.metric[MEASURE_LABEL] === 'data').map((s) => s.values.at(-1)?.value);
  const known = data.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return known.length ? Math.max(...known) : null;
}

/** The charted group's alert periods and breakdown; a failure of either leaves it empty and says why. */
async function chartExtras(
  client: PrometheusClient,
  slo: Slo,
  group: Record<string, string>,
  grid: Grid,
  engine: AlertEngine | undefined,
) {
  const [periods, breakdown] = await Promise.allSettled([
    alertPeriodsOver(client, slo, group, grid, engine),
    fetchBreakdown(client, slo, group, grid),
  ]);
  const why = (r: PromiseSettledResult<unknown>, what: string) =>
    r.status === 'rejected'
      ? [`${what}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`]
      : [];
  return {
    alertPeriods: periods.status === 'fulfilled' ? periods.value : [],
    breakdown: breakdown.status === 'fulfilled' ? breakdown.value : null,
    errors: [...why(periods, 'alert periods'), ...why(breakdown, 'breakdown')],
  };
}

/** Reads one SLO's history; rejects (or honours `signal`) when Prometheus cannot tell. */
export type SloHistoryProvider = (
  slo: Slo,
  request: HistoryRequest,
  signal: AbortSignal,
) => Promise<SloHistory>;

// A chart's newest point moves once a step (a minute at least); reloads within that see the same.
const CACHE_MS = 30_000;

/**
 * The SLO page's history, with a brief cache. While the evaluator finds Prometheus down (`down()`
 * returns why), the answer is that, at once, instead of another wait for a timeout.
 */
export function sloHistoryFrom(
  client: PrometheusClient,
  down: () => string | undefined,
  status: (slo: Slo) => SloStatus | undefined,
): SloHistoryProvider {
  const cached = briefCache<SloHistory>(CACHE_MS, 100);
  return async (slo, request, signal) => {
    const reason = down();
    if (reason) throw new Error(reason);
    const engine = status(slo)?.alertEngine;
    const key = JSON.stringify([keyOf(slo), request.range, request.group ?? null, engine ?? null]);
    const history = await Promise.race([
      cached(key, () => fetchHistory(client, slo, request, Date.now(), engine)),
      aborted(signal),
    ]);
    return withEvaluatorPeriods(history, status(slo));
  };
}

/**
 * Where burnbook's evaluator is the alert engine, the period its state holds now joins the history's
 * (its gauge in Prometheus lags a scrape, and has no pending): read at each request, past the cache.
 */
function withEvaluatorPeriods(history: SloHistory, status: SloStatus | undefined): SloHistory {
  if (status?.alertEngine !== 'burnbook' || history.group === null) return history;
  const [group] = groupsWith(status, history.group);
  return {
    ...history,
    alertPeriods: mergedPeriods(
      [...history.alertPeriods, ...evaluatorAlertPeriods(group, Date.now())],
      history.stepSeconds,
    ),
  };
}
