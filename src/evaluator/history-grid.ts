import type { RangeSeries } from '../prometheus/client.ts';

/** The step grid of a history: first and last point (epoch ms), the step and the number of points. */
export interface HistoryGridShape {
  start: number;
  stepMs: number;
  points: number;
}

/** A range query's samples placed on the grid's points; null where the series had none (or not a number). */
export function pointsOnGrid(values: RangeSeries['values'], grid: HistoryGridShape): Array<number | null> {
  const points = new Array<number | null>(grid.points).fill(null);
  for (const { timestampMs, value } of values) {
    const i = Math.round((timestampMs - grid.start) / grid.stepMs);
    if (i >= 0 && i < grid.points && Number.isFinite(value)) points[i] = value;
  }
  return points;
}
