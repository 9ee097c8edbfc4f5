import { RECORDS } from '../conventions/names.ts';
import { MEASURE_LABEL, recordSelector } from '../evaluator/plan.ts';
import type { Source } from '../evaluator/report.ts';
import { withLabels } from '../promql/build.ts';
import { errorRate, totalRate } from '../sli/index.ts';
import type { Slo } from '../spec/model.ts';

/**
 * What a backtest asks: every SLO's 5m error and total rates (what the recording rules record)
 * over the days replayed plus the longest tier window before them, so each window's ratio can be
 * summed up on this side exactly like `sum_over_time(errors5m[W]) / sum_over_time(total5m[W])`.
 * One range query per source per chunk, for all SLOs at once.
 */

const MINUTE = 60_000;
// Prometheus refuses a range query of more than 11,000 points per series.
const MAX_POINTS = 10_000;

export interface BacktestRange {
  /** First step replayed (epoch ms, on the step grid). */
  start: number;
  /** Last step replayed. */
  end: number;
  stepMs: number;
  /** First step fetched: `start` less the longest tier window. */
  fetchStart: number;
}

/** 1m steps replay `for` and 5m windows faithfully; past two weeks 5m steps keep queries small. */
export function defaultStepMs(days: number): number {
  return days <= 14 ? MINUTE : 5 * MINUTE;
}

export function backtestRange(slos: Slo[], days: number, stepMs: number, now: number): BacktestRange {
  const end = Math.floor(now / stepMs) * stepMs;
  const start = end - Math.round((days * 86_400_000) / stepMs) * stepMs;
  const longest = Math.max(...slos.flatMap((s) => s.alerting.tiers.map((t) => t.longMs)));
  return { start, end, stepMs, fetchStart: start - Math.ceil(longest / stepMs) * stepMs };
}

/** [from, to] pieces of the fetched range, each small enough for one query_range. */
export function chunks(range: BacktestRange): Array<[number, number]> {
  const pieces: Array<[number, number]> = [];
  for (let from = range.fetchStart; from <= range.end; from += MAX_POINTS * range.stepMs) {
    pieces.push([from, Math.min(range.end, from + (MAX_POINTS - 1) * range.stepMs)]);
  }
  return pieces;
}

export function baseRatesQuery(source: Source, slos: Slo[]): string {
  if (source === 'rules') {
    return [
      withLabels(recordSelector(RECORDS.errors, slos), { [MEASURE_LABEL]: 'errors' }),
      withLabels(recordSelector(RECORDS.total, slos), { [MEASURE_LABEL]: 'total' }),
    ].join(' or ');
  }
  return slos
    .flatMap((slo) => {
      const id = { slo_service: slo.service, slo: slo.name };
      return [
        withLabels(errorRate(slo.sli, '5m', slo.groupBy), { ...id, [MEASURE_LABEL]: 'errors' }),
        withLabels(totalRate(slo.sli, '5m', slo.groupBy), { ...id, [MEASURE_LABEL]: 'total' }),
      ];
    })
    .join(' or ');
}
