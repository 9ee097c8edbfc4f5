import { errorBudget } from './burn.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { DEFAULT_TIERS, type Tier, type TierSpec } from './tiers.ts';
import { BASE_WINDOW_MS } from './windows.ts';

/**
 * The default tiers for one SLO: the SRE Workbook's table (`DEFAULT_TIERS`, written for a 30-day period)
 * adapted to the SLO's period and objective. The rule, and why:
 *
 * - **Budget shares stay** (2%, 5%, 10% of the period's budget). A tier's time to detect an error ratio r
 *   is share × period × budget ÷ r whatever its windows (SRE Workbook, "Alerting on SLOs": detection time
 *   = (1 − SLO) ÷ error ratio × window × burn rate, and burn rate × window = share × period), so keeping
 *   the shares keeps the Workbook's detection times for every period.
 * - **Windows scale with the period**, as Pyrra scales them: the 30-day windows × period ÷ 30d, so the burn
 *   factors stay the Workbook's 14.4, 6 and 1. Fixed windows made the factor share × period ÷ window move
 *   with the period: 0.233 for the very-slow tier of a 7-day period, a ticket for an SLO that is met.
 * - **Whole 5-minute steps**, burnbook's base window: long windows at least 10m, short windows at least 5m,
 *   each tier's long window longer than the one before, and never so long that the factor drops below 1
 *   (long ≤ share × period). Where 10m is more than the scaled window (fast and slow tiers of periods of a
 *   few days), the factor comes out lower than the Workbook's, never below 1.
 * - **Low objectives lengthen the windows** until the tier can fire: a threshold (factor × budget) is kept
 *   at most halfway between the budget and 1, so at 90% the fast tier asks for 54% of events failing over
 *   2h40m instead of an impossible 144% over 1h. Its total-outage detection time stays the Workbook's.
 * - **`for` scales with the long window** (2m per hour of the fast tier's 1h, as Pyrra scales it), whole
 *   minutes, at least one, so it stays short next to the tier's detection time.
 */

const MINUTE = 60_000;
// Every window is a whole number of burnbook's base windows.
const WINDOW_STEP_MS = BASE_WINDOW_MS;
const MIN_LONG_MS = 2 * WINDOW_STEP_MS;
const WORKBOOK_PERIOD_MS = 30 * 86_400_000;

/** The highest threshold a default tier may ask for: halfway from the budget to every event failing. */
export function maxDefaultThreshold(objectivePercent: number): number {
  return (1 + errorBudget(objectivePercent)) / 2;
}

const down = (ms: number) => Math.floor(ms / WINDOW_STEP_MS) * WINDOW_STEP_MS;
const up = (ms: number) => Math.ceil(ms / WINDOW_STEP_MS) * WINDOW_STEP_MS;
const nearest = (ms: number) => Math.round(ms / WINDOW_STEP_MS) * WINDOW_STEP_MS;

/** Why a default tier cannot be built for this period, or the tier. */
export type AdaptedTier = Tier | { name: string; problem: string };

function adapt(
  spec: TierSpec,
  periodMs: number,
  objectivePercent: number,
  previousLongMs: number,
): AdaptedTier {
  const share = spec.budgetPercent / 100;
  const long30 = parseDuration(spec.long) as number;
  const short30 = parseDuration(spec.short) as number;
  const for30 = parseDuration(spec.for) as number;
  const budget = errorBudget(objectivePercent);
  // Factor ≥ 1 needs long ≤ share × period; a threshold within reach needs long ≥ share × period × budget ÷ max.
  const longest = down(share * periodMs);
  const reachable = up((share * periodMs * budget) / maxDefaultThreshold(objectivePercent));
  const shortest = Math.max(reachable, MIN_LONG_MS, previousLongMs + WINDOW_STEP_MS);
  if (shortest > longest) {
    return {
      name: spec.name,
      problem:
        `the default tier "${spec.name}" (${spec.budgetPercent}% of the budget) needs a long window of at least ` +
        `${formatDuration(shortest)}, and anything over ${formatDuration(longest)} makes its burn factor fall below 1`,
    };
  }
  const longMs = Math.min(Math.max(nearest((long30 * periodMs) / WORKBOOK_PERIOD_MS), shortest), longest);
  const shortMs = Math.min(
    Math.max(nearest((longMs * short30) / long30), WINDOW_STEP_MS),
    longMs - WINDOW_STEP_MS,
  );
  const forMs = Math.max(MINUTE, Math.round((for30 * longMs) / long30 / MINUTE) * MINUTE);
  return {
    name: spec.name,
    severity: spec.severity,
    budgetPercent: spec.budgetPercent,
    longMs,
    shortMs,
    forMs,
  };
}

/**
 * Every default tier for this period and objective (percent), fastest first; a tier that cannot fit
 * (periods under about 8 hours) comes back as its problem.
 */
export function defaultTiers(periodMs: number, objectivePercent: number): AdaptedTier[] {
  const tiers: AdaptedTier[] = [];
  let previous = 0;
  for (const spec of DEFAULT_TIERS) {
    const tier = adapt(spec, periodMs, objectivePercent, previous);
    if ('longMs' in tier) previous = tier.longMs;
    tiers.push(tier);
  }
  return tiers;
}
