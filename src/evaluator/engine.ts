import type { RuleGroup } from '../prometheus/client.ts';
import { alertingTiers, type Slo } from '../spec/model.ts';
import type { TierState } from './state.ts';

/**
 * Which alert engine an SLO's alerts come from. Where Prometheus already runs burnbook's generated alerting
 * rules for the SLO, Prometheus is the engine: its alerts reach Alertmanager, and the evaluator shows their
 * state (as `/api/v1/rules` reports it, the same as `ALERTS`) instead of pushing a second copy that would race
 * them (two `startsAt`, two resolves). Elsewhere burnbook's evaluator is the engine.
 */
export type AlertEngine = 'prometheus' | 'burnbook';

/** An alerting rule's alerts as Prometheus reports them: labels, state, when the condition started. */
interface RuleAlert {
  labels: Record<string, string>;
  state: string;
  activeAt?: string | undefined;
}

/** Per SLO (`service/slo`), per `slo_tier`: the alerts of the rule Prometheus runs for it. */
export type PrometheusRules = Map<string, Map<string, RuleAlert[]>>;

export const sloKey = (slo: Pick<Slo, 'service' | 'name'>) => `${slo.service}/${slo.name}`;

/**
 * The alerting rules in Prometheus that are an SLO's own: labelled with its `slo_service`, `slo` and a
 * `slo_tier`, as burnbook's generated rules are (under any file or group name).
 */
export function prometheusRulesOf(groups: readonly RuleGroup[]): PrometheusRules {
  const found: PrometheusRules = new Map();
  for (const group of groups) {
    for (const rule of group.rules) {
      const labels = rule.type === 'alerting' ? rule.labels : undefined;
      if (rule.type !== 'alerting' || !labels?.slo_service || !labels.slo || !labels.slo_tier) continue;
      const key = `${labels.slo_service}/${labels.slo}`;
      const tiers = found.get(key) ?? new Map<string, RuleAlert[]>();
      tiers.set(labels.slo_tier, [...(tiers.get(labels.slo_tier) ?? []), ...rule.alerts]);
      found.set(key, tiers);
    }
  }
  return found;
}

/**
 * Prometheus is an SLO's engine when it runs a rule for every one of the SLO's alerting burn tiers (silent
 * tiers have no rule anywhere).
 */
export function engineOf(slo: Slo, rules: PrometheusRules): AlertEngine {
  const tiers = rules.get(sloKey(slo));
  return tiers && alertingTiers(slo).every((t) => tiers.has(t.name)) ? 'prometheus' : 'burnbook';
}

/**
 * A tier's state in one group, as Prometheus holds it: the rule's alert whose labels carry the group's values.
 * Prometheus reports `activeAt` (the condition's start); it fires `for` later.
 */
export function prometheusTierState(
  rules: PrometheusRules,
  slo: Slo,
  tier: { name: string; forMs: number },
  group: Record<string, string>,
): TierState {
  const alert = rules
    .get(sloKey(slo))
    ?.get(tier.name)
    ?.find((a) => Object.entries(group).every(([k, v]) => a.labels[k] === v));
  if (!alert || (alert.state !== 'firing' && alert.state !== 'pending')) return { state: 'inactive' };
  const activeAt = alert.activeAt ? Date.parse(alert.activeAt) : undefined;
  if (alert.state === 'pending') return { state: 'pending', ...(activeAt ? { activeAt } : {}) };
  return {
    state: 'firing',
    ...(activeAt ? { activeAt, firedAt: activeAt + tier.forMs } : {}),
  };
}
