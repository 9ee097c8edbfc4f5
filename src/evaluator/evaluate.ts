import { alertName, windowsOf } from '../conventions/names.ts';
import {
  errorBudget,
  impossibleErrorRatio,
  negativeErrorRatio,
  tierFacts,
  timeToExhaustionMs,
} from '../policy/burn.ts';
import { formatDuration } from '../policy/duration.ts';
import { formatNumber } from '../policy/number.ts';
import type { Tier } from '../policy/tiers.ts';
import { BASE_WINDOW_MS } from '../policy/windows.ts';
import type { InstantSample } from '../prometheus/client.ts';
import { impossibleRatioHint, sliSeries } from '../sli/index.ts';
import type { Slo } from '../spec/model.ts';
import { keyOf, MEASURE_LABEL, MEASURES, type Measure, type PlannedQuery, sloKey } from './plan.ts';
import type { AlertState, BrokenSli, GroupStatus, SloStatus, Source, TierStatus } from './report.ts';

/** What one planned query returned: its samples, or why there are none. */
export type QueryOutcome =
  | { query: PlannedQuery; samples: InstantSample[] }
  | { query: PlannedQuery; error: Error };

interface GroupValues {
  labels: Record<string, string>;
  values: Record<Measure, Map<number, number>>;
}

/** The values of the SLO's groupBy labels in `metric`, in groupBy order: what tells its groups apart. */
export function groupLabels(slo: Slo, metric: Record<string, string>): Record<string, string> {
  return Object.fromEntries(slo.groupBy.map((l) => [l, metric[l] ?? '']));
}

/** NaN and ±Inf (a query SLI dividing by zero) tell nothing about the budget. */
function finite(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

/** Three-valued AND: one false settles it; otherwise any unknown leaves it unknown. */
export function allOf(conditions: Array<boolean | null>): boolean | null {
  if (conditions.includes(false)) return false;
  return conditions.includes(null) ? null : true;
}

export function above(value: number | null, limit: number): boolean | null {
  return value === null ? null : value > limit;
}

/** The threshold exactly as the generated rule prints it, so both compare against the same number. */
export function ruleThreshold(slo: Slo, tier: Tier): number {
  return Number(formatNumber(tierFacts(tier, slo.periodMs, slo.objective).threshold));
}

/** Whether a tier's alert condition holds; the same three parts as the generated alerting rule. */
export function tierCondition(
  slo: Slo,
  tier: Tier,
  ratio: (windowMs: number) => number | null,
  events: (windowMs: number) => number | null,
): boolean | null {
  const t = ruleThreshold(slo, tier);
  const conditions = [above(ratio(tier.longMs), t), above(ratio(tier.shortMs), t)];
  if (slo.minEvents !== undefined) {
    const count = events(tier.longMs);
    conditions.push(count === null ? null : count >= slo.minEvents);
  }
  return allOf(conditions);
}

function tierStatus(slo: Slo, tier: Tier, group: GroupValues): TierStatus {
  const ratio = (w: number) => finite(group.values.ratio.get(w));
  const events = (w: number) => finite(group.values.events.get(w));
  const burning = tierCondition(slo, tier, ratio, events);
  return {
    tier: tier.name,
    severity: tier.severity,
    alertname: alertName(slo, tier),
    factor: tierFacts(tier, slo.periodMs, slo.objective).factor,
    threshold: ruleThreshold(slo, tier),
    longWindow: formatDuration(tier.longMs),
    shortWindow: formatDuration(tier.shortMs),
    for: formatDuration(tier.forMs),
    longErrorRatio: ratio(tier.longMs),
    shortErrorRatio: ratio(tier.shortMs),
    ...(slo.minEvents === undefined ? {} : { longWindowEvents: events(tier.longMs) }),
    burning,
    firing: burning === true,
  };
}

/** How long what is left lasts at `burnRate`; 0 once spent, null when not spending (or unknown). */
function remainingTimeMs(slo: Slo, budgetRemaining: number | null, burnRate: number | null) {
  if (budgetRemaining === null || burnRate === null || burnRate <= 0) return null;
  return budgetRemaining <= 0 ? 0 : timeToExhaustionMs(slo.periodMs, burnRate) * budgetRemaining;
}

/**
 * Budget left from the period's error ratio, as the rules' `slo:period_error_budget_remaining:ratio` makes
 * it: while the SLI has had events for less than the period, its ratio covers only that time, and times
 * the share of the period it covers it is the share of the budget spent (the period's traffic taken from
 * what has been seen). Without an age, the ratio is taken for the whole period.
 */
function spentShare(slo: Slo, periodRatio: number | null, dataSeconds: number | null): number | null {
  if (periodRatio === null) return null;
  const share = dataSeconds === null ? 1 : Math.min(1, dataSeconds / (slo.periodMs / 1000));
  return 1 - (periodRatio / errorBudget(slo.objective)) * share;
}

/** What the SLI needs in order to be computed, as a "reads no data" message names it. */
function neededText(slo: Slo): string {
  const series = sliSeries(slo.sli);
  if (!series) return 'its total query returns nothing';
  return series.some((s) => s.bucket)
    ? 'its total series, or the bucket of its threshold, matches nothing'
    : 'its total series matches nothing';
}

/**
 * Why the group's numbers cannot be taken as they are, when Prometheus answered (`answered`): an error
 * ratio above 1 in any window, or nothing over the last 5m. Null otherwise.
 */
function brokenSli(slo: Slo, group: GroupValues, answered: boolean): BrokenSli | null {
  if (!answered) return null;
  for (const [w, ratio] of group.values.ratio) {
    if (Number.isFinite(ratio) && impossibleErrorRatio(ratio)) {
      return {
        reason: 'ratio-above-1',
        message:
          `the error ratio over ${formatDuration(w)} is ${formatNumber(ratio, 4)}, above 1: errors counts more ` +
          `events than total (${impossibleRatioHint(slo.sli)}), so no number of it means anything`,
      };
    }
    if (Number.isFinite(ratio) && negativeErrorRatio(ratio)) {
      return {
        reason: 'ratio-below-0',
        message:
          `the error ratio over ${formatDuration(w)} is ${formatNumber(ratio, 4)}, below 0 ` +
          `(${impossibleRatioHint(slo.sli)}), so no number of it means anything`,
      };
    }
  }
  if (finite(group.values.ratio.get(BASE_WINDOW_MS)) !== null) return null;
  return {
    reason: 'no-data',
    message:
      `the SLI reads no data over the last ${formatDuration(BASE_WINDOW_MS)}: ${neededText(slo)}, so no tier can ` +
      'fire (burnbook validate --prometheus-url says which)',
  };
}

function groupStatus(slo: Slo, group: GroupValues, answered: boolean): GroupStatus {
  const budget = errorBudget(slo.objective);
  const broken = brokenSli(slo, group, answered);
  // A ratio outside 0 to 1 makes every number of the group meaningless: none is reported, no tier can burn.
  const impossible = broken !== null && broken.reason !== 'no-data';
  const known = (w: number) => (impossible ? null : finite(group.values.ratio.get(w)));
  const errorRatios: Record<string, number | null> = {};
  const burnRates: Record<string, number | null> = {};
  for (const w of windowsOf(slo)) {
    const ratio = known(w);
    errorRatios[formatDuration(w)] = ratio;
    burnRates[formatDuration(w)] = ratio === null ? null : ratio / budget;
  }
  const period = errorRatios[formatDuration(slo.periodMs)] ?? null;
  const periodDataSeconds = finite(group.values.data.get(slo.periodMs));
  const budgetRemaining = impossible
    ? null
    : (finite(group.values.budget.get(slo.periodMs)) ?? spentShare(slo, period, periodDataSeconds));
  const fastest = slo.alerting.tiers[0];
  const burnNow = fastest ? (burnRates[formatDuration(fastest.longMs)] ?? null) : null;
  const usable = impossible ? { ...group, values: { ...emptyGroup().values } } : group;
  return {
    labels: group.labels,
    broken,
    budgetRemaining,
    periodDataSeconds,
    burnRates,
    errorRatios,
    timeToExhaustionMs: remainingTimeMs(slo, budgetRemaining, burnNow),
    tiers: slo.alerting.tiers.map((tier) => tierStatus(slo, tier, usable)),
  };
}

/**
 * Lower is more urgent: the fastest tier that fires (or burns), then a broken SLI (a group that reads no
 * data, its target perhaps no longer scraped, before the quiet ones), then the least budget left.
 */
function urgency(group: GroupStatus): [number, number, number] {
  const hot = group.tiers.findIndex((t) => t.firing || t.burning);
  return [
    hot === -1 ? group.tiers.length : hot,
    group.broken ? 0 : 1,
    group.budgetRemaining ?? Number.POSITIVE_INFINITY,
  ];
}

export function byUrgency(groups: GroupStatus[]): GroupStatus[] {
  return [...groups].sort((a, b) => {
    const [ua, ub] = [urgency(a), urgency(b)];
    return ua[0] - ub[0] || ua[1] - ub[1] || ua[2] - ub[2];
  });
}

/** Three-valued OR: one true settles it; false only when every condition is known false. */
export function anyOf(conditions: Array<boolean | null>): boolean | null {
  if (conditions.includes(true)) return true;
  return conditions.length && conditions.every((c) => c === false) ? false : null;
}

const STATE_ORDER: AlertState[] = ['inactive', 'resolved', 'pending', 'firing'];

/** The state of the group furthest along: firing over pending over resolved. */
function furthest(states: Array<AlertState | undefined>): AlertState | undefined {
  return states.reduce<AlertState | undefined>(
    (a, b) =>
      b !== undefined && (a === undefined || STATE_ORDER.indexOf(b) > STATE_ORDER.indexOf(a)) ? b : a,
    undefined,
  );
}

/**
 * The SLO's top level: the most urgent group, with each tier's `burning`, `firing` and `state`
 * taken over all groups. The evaluator calls it again once it has set the groups' states.
 */
export function summarize(groups: GroupStatus[], unknown: GroupStatus): GroupStatus {
  const top = byUrgency(groups)[0] ?? unknown;
  return {
    ...top,
    tiers: top.tiers.map((tier, i) => {
      const state = furthest(groups.map((g) => g.tiers[i]?.state));
      return {
        ...tier,
        burning: anyOf(groups.map((g) => g.tiers[i]?.burning ?? null)),
        firing: groups.some((g) => g.tiers[i]?.firing),
        ...(state === undefined ? {} : { state }),
      };
    }),
  };
}

function emptyGroup(): GroupValues {
  return { labels: {}, values: { ratio: new Map(), events: new Map(), budget: new Map(), data: new Map() } };
}

/** A group Prometheus answered nothing for although it read data before: no data, every tier false. */
export function vanishedGroup(slo: Slo, labels: Record<string, string>): GroupStatus {
  const group = groupStatus(slo, { ...emptyGroup(), labels }, true);
  // The rules' alerts of the group end with its series; unknown would hold them firing.
  return { ...group, tiers: group.tiers.map((t) => ({ ...t, burning: false, firing: false })) };
}

/** A group whose numbers are unknown this evaluation (its queries failed): every tier's condition is unknown. */
export function unknownGroup(slo: Slo, labels: Record<string, string>): GroupStatus {
  return groupStatus(slo, { ...emptyGroup(), labels }, false);
}

/** Each SLO's groups with their values, the source of each window, and the errors that touched it. */
function collect(slos: Slo[], outcomes: QueryOutcome[]) {
  const bySlo = new Map(
    slos.map((slo) => [
      keyOf(slo),
      {
        groups: new Map<string, GroupValues>(),
        sources: {} as Record<string, Source>,
        errors: [] as string[],
      },
    ]),
  );
  for (const outcome of outcomes) {
    const { query } = outcome;
    for (const slo of query.slos) {
      const entry = bySlo.get(keyOf(slo));
      if (!entry) continue;
      entry.sources[formatDuration(query.windowMs)] = query.source;
      if ('error' in outcome && !entry.errors.includes(outcome.error.message))
        entry.errors.push(outcome.error.message);
    }
    if ('error' in outcome) continue;
    const planned = new Map(query.slos.map((s) => [keyOf(s), s]));
    for (const sample of outcome.samples) {
      const key = sloKey(sample.metric.slo_service ?? '', sample.metric.slo ?? '');
      const slo = planned.get(key);
      const entry = bySlo.get(key);
      const measure = sample.metric[MEASURE_LABEL] as Measure | undefined;
      if (!slo || !entry || !measure || !MEASURES.includes(measure)) continue;
      const labels = groupLabels(slo, sample.metric);
      const groupKey = JSON.stringify(labels);
      const group = entry.groups.get(groupKey) ?? { ...emptyGroup(), labels };
      group.values[measure].set(query.windowMs, sample.value);
      entry.groups.set(groupKey, group);
    }
  }
  return bySlo;
}

function sourceSummary(sources: Record<string, Source>): Source | 'mixed' {
  const used = new Set(Object.values(sources));
  return used.size === 1 ? ([...used][0] as Source) : 'mixed';
}

/**
 * Every SLO's status from the outcomes of its queries. Pure: the same samples always give the
 * same status, so tests feed it samples and the server and CLI feed it Prometheus's answers.
 */
export function evaluateSlos(slos: Slo[], outcomes: QueryOutcome[]): SloStatus[] {
  const collected = collect(slos, outcomes);
  return slos.map((slo) => {
    const entry = collected.get(keyOf(slo));
    const found = [...(entry?.groups.values() ?? [])];
    // Without groupBy there is always exactly one group, known or not.
    // Every query of the SLO answered: numbers missing then are missing from Prometheus, not unknown.
    const answered = Object.keys(entry?.sources ?? {}).length > 0 && !entry?.errors.length;
    const groups = (slo.groupBy.length ? found : [found[0] ?? emptyGroup()]).map((g) =>
      groupStatus(slo, g, answered),
    );
    return {
      service: slo.service,
      slo: slo.name,
      objective: slo.objective,
      period: formatDuration(slo.periodMs),
      errorBudget: errorBudget(slo.objective),
      ...summarize(groups, groupStatus(slo, emptyGroup(), answered)),
      source: sourceSummary(entry?.sources ?? {}),
      sources: entry?.sources ?? {},
      groups,
      errors: entry?.errors ?? [],
    };
  });
}
