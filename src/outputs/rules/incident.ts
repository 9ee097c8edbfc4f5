import { errorRatioRecord, incidentLabelNames, sloIdentity } from '../../conventions/names.ts';
import { tierFacts } from '../../policy/burn.ts';
import { formatDuration } from '../../policy/duration.ts';
import { formatNumber } from '../../policy/number.ts';
import type { Tier } from '../../policy/tiers.ts';
import { BASE_WINDOW_MS } from '../../policy/windows.ts';
import { formatSelector, labelList, labelSelector } from '../../promql/build.ts';
import type { LabelMatcher } from '../../promql/parse.ts';
import { alertingTiers, type Slo } from '../../spec/model.ts';

/**
 * The 5m error ratio above which a firing tier holds (the slowest alerting tier's threshold, as the rule
 * prints it); undefined for the slowest tier and silent ones, which do not hold.
 */
export function holdThreshold(slo: Slo, tier: Tier): string | undefined {
  const tiers = alertingTiers(slo);
  const at = tiers.findIndex((t) => t.name === tier.name);
  const slowest = tiers[tiers.length - 1];
  return slowest && at !== -1 && at < tiers.length - 1
    ? formatNumber(tierFacts(slowest, slo.periodMs, slo.objective).threshold)
    : undefined;
}

/**
 * One incident, one page: the two clauses that keep an SLO's tiers from paging twice for one outage.
 *
 * Alertmanager's inhibit rules hold a slower tier back only while a faster one fires. The fast tier resolves
 * minutes after recovery (its 5m window clears), the slow tier's 30m window still reads the outage for
 * half an hour: without more, it pages again after the recovery. So:
 * - **hold** (every tier but the slowest): a firing tier stays firing while the burn *now* (the 5m ratio)
 *   is above the slowest tier's threshold. A burn that eases from 20× to 7× and goes on keeps the page open
 *   (and the slower tiers inhibited under it); a recovery ends it.
 * - **settled** (every tier but the fastest): a tier does not fire when a faster tier of its SLO and group
 *   fired within this tier's short window and the burn now is at or under this tier's threshold: what its
 *   short window still reads is the incident that was already paged, not a new one.
 * Both read the same 5m ratio in the same evaluation, so the page's hold ends in the very evaluation
 * that settles the slower tiers: Alertmanager sees them all resolve together, and sends one resolve.
 * ALERTS is Prometheus's own series of alert states (Prometheus docs, "Alerting rules", inspecting alerts).
 * A tier's alerts are told apart by `slo_tier`, not by alertname: every tier may share one name
 * (`alerting.alertname`, as Sloth and Pyrra name them). burnbook's own evaluator keeps the same two clauses
 * over its own alert states (evaluator/incident.ts).
 */
export function incidentClauses(slo: Slo, tier: Tier): { hold?: string; settled?: string } {
  // Silent tiers never fire: they neither hold a page open nor settle one.
  const tiers = alertingTiers(slo);
  const at = tiers.findIndex((t) => t.name === tier.name);
  const on = `on${labelList(incidentLabelNames(slo))}`;
  const now = labelSelector(errorRatioRecord(BASE_WINDOW_MS), sloIdentity(slo));
  const thresholdOf = (t: Tier) => formatNumber(tierFacts(t, slo.periodMs, slo.objective).threshold);
  const firing = (matcher: LabelMatcher) =>
    formatSelector({
      metric: 'ALERTS',
      matchers: [
        ...Object.entries(sloIdentity(slo)).map(([name, value]) => ({ name, op: '=' as const, value })),
        matcher,
        { name: 'alertstate', op: '=', value: 'firing' },
      ],
    });
  const faster = tiers.slice(0, at);
  const holdAbove = holdThreshold(slo, tier);
  // The long window's ratio is the value: `$value` in the description reads the same while the tier holds.
  const long = labelSelector(errorRatioRecord(tier.longMs), sloIdentity(slo));
  return {
    ...(holdAbove
      ? {
          hold:
            `${long}\nand ${on}\n${now} > ${holdAbove}\n` +
            `and ${on}\n${firing({ name: 'slo_tier', op: '=', value: tier.name })}`,
        }
      : {}),
    ...(faster.length > 0
      ? {
          settled:
            `${now} <= ${thresholdOf(tier)}\nand ${on}\n` +
            `max_over_time(${firing({ name: 'slo_tier', op: '=~', value: faster.map((t) => t.name).join('|') })}[${formatDuration(tier.shortMs)}])`,
        }
      : {}),
  };
}

/** A tier's condition with its hold and settled clauses (see `incidentClauses`). */
export function withIncidentClauses(slo: Slo, tier: Tier, condition: string): string {
  const { hold, settled } = incidentClauses(slo, tier);
  const on = `on${labelList(incidentLabelNames(slo))}`;
  const held = hold ? `(\n${condition}\n)\nor\n(\n${hold}\n)` : condition;
  return settled ? `(\n${held}\n)\nunless ${on}\n(\n${settled}\n)` : held;
}
