import { coverageFrom, coverageProbe, keyOf, MEASURE_LABEL, sloKey } from '../evaluator/plan.ts';
import type { Source } from '../evaluator/report.ts';
import { errorBudget } from '../policy/burn.ts';
import type { PrometheusClient, RangeSeries } from '../prometheus/client.ts';
import type { Slo } from '../spec/model.ts';
import { type BacktestRange, backtestRange, baseRatesQuery, chunks } from './plan.ts';
import { type GroupSeries, rangeErrorRatio, replaySlo, type TierReplay } from './replay.ts';

export interface SloBacktest {
  service: string;
  slo: string;
  objective: number;
  source: Source;
  /** Errors over all events in the replayed days, and that as a multiple of the budget. */
  errorRatio: number | null;
  burnRate: number | null;
  tiers: TierReplay[];
}

export interface Backtest {
  from: string;
  to: string;
  stepSeconds: number;
  queries: number;
  slos: SloBacktest[];
}

export interface BacktestOptions {
  days: number;
  stepMs: number;
  now?: number;
  /** Told before each query, for progress on a terminal. */
  onQuery?: (done: number, total: number) => void;
}

/**
 * Replays every SLO's tiers over history. Recorded 5m rates are read where they go back to the
 * first fetched step, the raw SLI otherwise. Rejects with the client's error when a query fails:
 * a replay with holes would under-count episodes without saying so.
 */
export async function backtest(
  client: PrometheusClient,
  slos: Slo[],
  options: BacktestOptions,
): Promise<Backtest> {
  const range = backtestRange(slos, options.days, options.stepMs, options.now ?? Date.now());
  const spanMs = range.end - range.fetchStart;
  const probe = await client.query(coverageProbe(slos, [spanMs]), new Date(range.end));
  const covered = coverageFrom(probe.resultType === 'vector' ? probe.result : []);
  const sourceOf = (slo: Slo): Source => (covered.get(keyOf(slo))?.has(spanMs) ? 'rules' : 'raw');
  const bySource = (['rules', 'raw'] as const)
    .map((source) => ({ source, slos: slos.filter((s) => sourceOf(s) === source) }))
    .filter((b) => b.slos.length);
  const pieces = chunks(range);
  const total = bySource.length * pieces.length;
  const series = new Map<string, Map<string, GroupSeries>>(slos.map((s) => [keyOf(s), new Map()]));
  let done = 0;
  for (const { source, slos: group } of bySource) {
    const expr = baseRatesQuery(source, group);
    for (const [from, to] of pieces) {
      options.onQuery?.(done++, total);
      const result = await client.queryRange(expr, new Date(from), new Date(to), range.stepMs / 1000);
      collect(series, group, result.result, range);
    }
  }
  return {
    from: new Date(range.start).toISOString(),
    to: new Date(range.end).toISOString(),
    stepSeconds: range.stepMs / 1000,
    queries: 1 + total,
    slos: slos.map((slo) => {
      const groups = [...(series.get(keyOf(slo))?.values() ?? [])];
      const errorRatio = rangeErrorRatio(groups, range);
      return {
        service: slo.service,
        slo: slo.name,
        objective: slo.objective,
        source: sourceOf(slo),
        errorRatio,
        burnRate: errorRatio === null ? null : errorRatio / errorBudget(slo.objective),
        tiers: replaySlo(slo, groups, range),
      };
    }),
  };
}

function collect(
  series: Map<string, Map<string, GroupSeries>>,
  slos: Slo[],
  result: RangeSeries[],
  range: BacktestRange,
): void {
  const length = Math.round((range.end - range.fetchStart) / range.stepMs) + 1;
  const bySlo = new Map(slos.map((s) => [keyOf(s), s]));
  for (const { metric, values } of result) {
    const key = sloKey(metric.slo_service ?? '', metric.slo ?? '');
    const slo = bySlo.get(key);
    const measure = metric[MEASURE_LABEL];
    if (!slo || (measure !== 'errors' && measure !== 'total')) continue;
    const labels = Object.fromEntries(slo.groupBy.map((l) => [l, metric[l] ?? '']));
    const groups = series.get(key) as Map<string, GroupSeries>;
    const id = JSON.stringify(labels);
    const group = groups.get(id) ?? {
      labels,
      errors: new Float64Array(length).fill(Number.NaN),
      total: new Float64Array(length).fill(Number.NaN),
    };
    groups.set(id, group);
    for (const { timestampMs, value } of values) {
      group[measure][Math.round((timestampMs - range.fetchStart) / range.stepMs)] = value;
    }
  }
}
