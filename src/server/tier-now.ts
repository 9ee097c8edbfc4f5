import { burnText, percentText } from '../evaluator/format.ts';
import type { EvaluatorReport, GroupStatus } from '../evaluator/report.ts';
import { statusOf } from '../evaluator/report.ts';
import { errorBudget } from '../policy/burn.ts';
import { humanDuration, parseDuration } from '../policy/duration.ts';
import { formatNumber } from '../policy/number.ts';
import type { Tier } from '../policy/tiers.ts';
import type { TierNow } from '../runbooks/providers.ts';
import { formatLabels } from '../runbooks/render.ts';
import type { Slo } from '../spec/model.ts';

const STATE_TEXT: Record<TierNow['state'], string> = {
  firing: 'firing',
  pending: 'pending (the condition holds; waiting out its for)',
  burning: 'burning',
  quiet: 'quiet: both windows are under the threshold',
  unknown: 'unknown: the evaluator has no number for it',
};

/**
 * What a tier's runbook page opens with: its state in the most urgent group, since when, the burn over its
 * windows, and how long the budget left lasts at *that* burn (not at the tier's factor). Null before the
 * evaluator has the SLO.
 */
export function tierNowView(slo: Slo, tier: Tier, report: EvaluatorReport, nowMs: number): TierNow | null {
  const status = statusOf(report, slo);
  const index = slo.alerting.tiers.findIndex((t) => t.name === tier.name);
  const group: GroupStatus | undefined =
    status?.groups.find((g) => g.tiers[index]?.state === 'firing') ??
    status?.groups.find((g) => g.tiers[index]?.state === 'pending') ??
    status;
  const t = group?.tiers[index];
  if (!status || !group || !t) return null;
  const state =
    t.state === 'firing' || t.state === 'pending'
      ? t.state
      : t.burning === null
        ? 'unknown'
        : t.burning
          ? 'burning'
          : 'quiet';
  const budget = errorBudget(slo.objective);
  const burn = t.longErrorRatio === null ? null : t.longErrorRatio / budget;
  const activeAt = t.activeAt ? Date.parse(t.activeAt) : null;
  const since =
    activeAt === null || (state !== 'firing' && state !== 'pending')
      ? null
      : state === 'firing'
        ? activeAt + (parseDuration(t.for) ?? 0)
        : activeAt;
  const left = group.budgetRemaining;
  return {
    state,
    stateText: STATE_TEXT[state],
    since: since === null ? null : new Date(since).toISOString(),
    sinceLabel: state === 'firing' ? 'Firing since' : 'Pending since',
    sinceAgo: since === null ? '' : humanDuration(Math.max(0, nowMs - since)),
    burnLong: burnText(burn) ?? 'unknown',
    burnShort: burnText(t.shortErrorRatio === null ? null : t.shortErrorRatio / budget) ?? 'unknown',
    longRatio: t.longErrorRatio === null ? 'unknown' : formatNumber(t.longErrorRatio, 3),
    ...goneIn(slo, left, burn),
    group: slo.groupBy.length ? formatLabels(group.labels) : null,
  };
}

/** At a burn of `burn`× the budget lasts period ÷ burn; what is left of it, that times the share left. */
function goneIn(slo: Slo, left: number | null, burn: number | null): Pick<TierNow, 'goneIn' | 'goneInNote'> {
  if (left === null || burn === null)
    return { goneIn: 'unknown', goneInNote: 'no number for the budget or burn' };
  if (left <= 0) return { goneIn: 'spent', goneInNote: `${percentText(left)} of the budget left` };
  if (burn <= 0) return { goneIn: 'never', goneInNote: 'nothing is burning' };
  return {
    goneIn: humanDuration((left * slo.periodMs) / burn),
    goneInNote: `the ${percentText(left)} left, at this ${burnText(burn)} burn`,
  };
}
