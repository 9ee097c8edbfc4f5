import { humanDuration } from '../policy/duration.ts';
import { formatNumber } from '../policy/number.ts';
import type { GroupStatus } from './report.ts';

/**
 * An evaluation's numbers as people read them, the same in the terminal and on pages. Null when the
 * number is unknown, so each output says so its own way.
 */

/** A ratio to three digits: budget left `80%` (`-20%` once overspent), an error ratio `0.123%`. */
export function percentText(ratio: number | null): string | null {
  return ratio === null ? null : `${formatNumber(ratio * 100, 3)}%`;
}

export type BudgetLevel = 'unknown' | 'spent' | 'low' | 'ok';

/** How worried to look: spent at 0, low under a quarter left. */
export function budgetLevel(ratio: number | null): BudgetLevel {
  if (ratio === null) return 'unknown';
  return ratio <= 0 ? 'spent' : ratio < 0.25 ? 'low' : 'ok';
}

/** A burn rate as a multiple of the budget: `0.2×`, `14.4×`. */
export function burnText(rate: number | null): string | null {
  return rate === null ? null : `${formatNumber(rate, 3)}×`;
}

/** How long the budget lasts at the fastest tier's long-window burn: `50 h`, `spent`, `never`. */
export function exhaustionText(status: Pick<GroupStatus, 'timeToExhaustionMs' | 'budgetRemaining'>) {
  if (status.timeToExhaustionMs !== null)
    return status.timeToExhaustionMs === 0 ? 'spent' : humanDuration(status.timeToExhaustionMs);
  return status.budgetRemaining === null ? null : 'never';
}

/**
 * What the budget rests on, while that is less than the period: `based on 20 min of data` for an SLO
 * younger than its period (or rules younger than it), whose budget extrapolates the period's traffic.
 * Null once the data covers the period, or when not known.
 */
export function dataText(status: Pick<GroupStatus, 'periodDataSeconds'>, periodMs: number): string | null {
  const seconds = status.periodDataSeconds;
  // Within a minute of the period is the period: the records round to their evaluation.
  if (seconds === null || seconds * 1000 >= periodMs - 60_000) return null;
  return `based on ${humanDuration(Math.max(0, seconds) * 1000)} of data`;
}
