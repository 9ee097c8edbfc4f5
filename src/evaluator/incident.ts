import { holdThreshold } from '../outputs/rules/incident.ts';
import type { Tier } from '../policy/tiers.ts';
import { alertingTiers, type Slo } from '../spec/model.ts';
import { above, allOf, anyOf, ruleThreshold } from './evaluate.ts';

/** What the generated rules' incident clauses read from Prometheus's `ALERTS`, as the evaluator remembers it. */
export interface IncidentMemory {
  /** This tier of this group fired at the previous evaluation (the hold's `ALERTS{…, alertstate="firing"}`). */
  firing: boolean;
  /** When each faster alerting tier of the group last fired (epoch ms), this evaluation's state included. */
  fasterFiredAt: number[];
}

/**
 * A tier's condition with the generated rules' hold and settled clauses (outputs/rules/incident.ts), so that
 * an evaluator-only setup pages once per incident exactly as Prometheus running the rules does:
 * - hold (every alerting tier but the slowest): a firing tier stays firing while the 5m error ratio
 *   (`ratioNow`) is above the slowest alerting tier's threshold;
 * - settled (every alerting tier but the fastest): a tier does not fire while a faster tier fired within this
 *   tier's short window and the 5m ratio is at or under this tier's own threshold.
 * Three-valued like `tierCondition`: null (a number unknown) leaves the alert's state as it was.
 * Prometheus reads a tier's own `ALERTS` as the previous evaluation wrote it, and a faster tier's as written
 * a moment earlier in the same group evaluation: `memory` holds the same.
 */
export function incidentCondition(
  slo: Slo,
  tier: Tier,
  condition: boolean | null,
  ratioNow: number | null,
  memory: IncidentMemory,
  now: number,
): boolean | null {
  const at = alertingTiers(slo).findIndex((t) => t.name === tier.name);
  if (at === -1) return condition;
  const holdAbove = holdThreshold(slo, tier);
  const hold = holdAbove !== undefined && memory.firing ? above(ratioNow, Number(holdAbove)) : false;
  const held = anyOf([condition, hold]);
  if (at === 0 || !memory.fasterFiredAt.some((t) => t >= now - tier.shortMs)) return held;
  const atOrUnder = ratioNow === null ? null : ratioNow <= ruleThreshold(slo, tier);
  return allOf([held, atOrUnder === null ? null : !atOrUnder]);
}
