import { formatDuration } from '../policy/duration.ts';
import { BASE_WINDOW_MS } from '../policy/windows.ts';
import type { PrometheusClient } from '../prometheus/client.ts';
import { scopedTo, sumBy } from '../promql/build.ts';
import { errorRate, totalRate } from '../sli/index.ts';
import type { Slo } from '../spec/model.ts';
import { type HistoryGridShape, pointsOnGrid } from './history-grid.ts';
import type { Breakdown, BreakdownSeries } from './report.ts';

/**
 * Requests and errors per second split by the SLO's first `breakdown` label, as Pyrra's detail page
 * shows them: where the errors come from, next to the burn. Read from the raw SLI (the rules record no
 * breakdown), one range query each.
 */

// Lines a chart can tell apart; the rest are counted, not drawn (the client keeps the largest now).
export const BREAKDOWN_SERIES = 8;

/**
 * The breakdown of one group (`{}` for all) over the grid, each rate over the step or 5m, whichever is
 * longer, so no event falls between points. Null when the SLO names no breakdown label.
 */
export async function fetchBreakdown(
  client: PrometheusClient,
  slo: Slo,
  group: Record<string, string>,
  grid: HistoryGridShape & { end: number },
): Promise<Breakdown | null> {
  const label = slo.breakdown[0];
  if (label === undefined) return null;
  const window = formatDuration(Math.max(BASE_WINDOW_MS, grid.stepMs));
  const by = [...slo.groupBy, label];
  const read = async (expr: string): Promise<{ series: BreakdownSeries[]; omitted: number }> => {
    const answer = await client.queryRange(
      sumBy([label], scopedTo(expr, group)),
      new Date(grid.start),
      new Date(grid.end),
      grid.stepMs / 1000,
      { maxSeries: BREAKDOWN_SERIES },
    );
    const series = answer.result.map(({ metric, values }) => ({
      value: metric[label] ?? '',
      points: pointsOnGrid(values, grid),
    }));
    return { series: series.sort((a, b) => a.value.localeCompare(b.value)), omitted: answer.omittedSeries };
  };
  const [requests, errors] = await Promise.all([
    read(totalRate(slo.sli, window, by)),
    read(errorRate(slo.sli, window, by)),
  ]);
  return {
    label,
    window,
    requests: requests.series,
    errors: errors.series,
    omitted: Math.max(requests.omitted, errors.omitted),
  };
}
