import { remember, roundForPeople } from './number.ts';
import type { Tier } from './tiers.ts';

/**
 * The burn-rate math, in one place. Everything else asks these functions.
 * Objectives are percentages (99.5); budgets, thresholds and error ratios are ratios (0.005).
 */

/**
 * Allowed error ratio: 99.5% → 0.005, 99.9999% → 0.000001. Computed in decimal from the objective's
 * digits, so no binary noise (1.0000000000287557e-6) reaches a rule or a page.
 */
export function errorBudget(objectivePercent: number): number {
  return remember(budgets, objectivePercent, () => {
    const decimals = (String(objectivePercent).split('.')[1] ?? '').length;
    if (/e/i.test(String(objectivePercent))) return roundForPeople((100 - objectivePercent) / 100);
    return Number(`${(100 - objectivePercent).toFixed(decimals)}e-2`);
  });
}

const budgets = new Map<number, number>();

/** How many times faster than "exactly on budget" a tier alerts: share × period ÷ long window. */
export function burnFactor(tier: Tier, periodMs: number): number {
  return roundForPeople(((tier.budgetPercent / 100) * periodMs) / tier.longMs);
}

/** The error ratio both windows must exceed for the tier to fire. */
export function threshold(tier: Tier, periodMs: number, objectivePercent: number): number {
  const exactFactor = ((tier.budgetPercent / 100) * periodMs) / tier.longMs;
  return roundForPeople(exactFactor * errorBudget(objectivePercent));
}

/** The whole period's budget as time fully down: 99.5% over 30d → 216 minutes. */
export function budgetTimeMs(periodMs: number, objectivePercent: number): number {
  return periodMs * errorBudget(objectivePercent);
}

/** How long the budget lasts at a given burn factor: 30d at 14.4× → 50 hours. */
export function timeToExhaustionMs(periodMs: number, factor: number): number {
  return periodMs / factor;
}

/**
 * How long an error ratio must last before the long window crosses the threshold
 * (budget × long window × factor ÷ error ratio): a total outage trips the fast tier of a
 * 99.9% SLO in 0.86 minutes; a 2% error ratio takes 43.2 minutes. Infinity when the
 * error ratio never gets there.
 */
export function timeToDetectMs(tier: Tier, periodMs: number, objectivePercent: number, errorRatio: number) {
  const t = threshold(tier, periodMs, objectivePercent);
  if (errorRatio <= t) return Number.POSITIVE_INFINITY;
  return (tier.longMs * t) / errorRatio;
}

/** Facts about one tier of one SLO, ready for rules, pages and terminals. */
export interface TierFacts {
  tier: Tier;
  factor: number;
  threshold: number;
  timeToExhaustionMs: number;
  totalOutageDetectMs: number;
}

export function tierFacts(tier: Tier, periodMs: number, objectivePercent: number): TierFacts {
  const factor = burnFactor(tier, periodMs);
  return {
    tier,
    factor,
    threshold: threshold(tier, periodMs, objectivePercent),
    timeToExhaustionMs: timeToExhaustionMs(periodMs, factor),
    totalOutageDetectMs: timeToDetectMs(tier, periodMs, objectivePercent, 1),
  };
}

/**
 * The default `for` of the absent-SLI alert: as long as the fastest tier takes to fire on a total outage,
 * its own `for` included, so a missing SLI is reported no later than the worst SLI would page (Pyrra's
 * AbsentDuration, slo/slo.go). Whole minutes, rounded up, at least one.
 */
export function absentForMs(fastest: Tier, periodMs: number, objectivePercent: number): number {
  const detect = timeToDetectMs(fastest, periodMs, objectivePercent, 1);
  const ms = (Number.isFinite(detect) ? detect : fastest.longMs) + fastest.forMs;
  return Math.max(1, Math.ceil(ms / 60_000)) * 60_000;
}

/**
 * An error ratio no working SLI has: more bad events than events (errors and total swapped, or errors
 * counting what total does not). Above 1.01 rather than 1, so two counters scraped between the two
 * increments of one request do not read as broken.
 */
export function impossibleErrorRatio(ratio: number): boolean {
  return ratio > IMPOSSIBLE_ERROR_RATIO;
}

/** The bound of `impossibleErrorRatio`, for the generated rules, which must agree with the evaluator. */
export const IMPOSSIBLE_ERROR_RATIO = 1.01;

/**
 * An error ratio below 0, which only a gauge read as 0/1 can give (a boolGauge SLI over a gauge that reads
 * 100): it would read as better than perfect. The same 0.01 margin as above 1.
 */
export function negativeErrorRatio(ratio: number): boolean {
  return ratio < NEGATIVE_ERROR_RATIO;
}

/** The bound of `negativeErrorRatio`, for the generated absent-SLI rule, which must agree with the evaluator. */
export const NEGATIVE_ERROR_RATIO = -0.01;
