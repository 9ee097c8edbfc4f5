import { historyPath, sloPath, tierPath } from '../conventions/urls.ts';
import { rangeCovering } from '../evaluator/alert-periods.ts';
import { byUrgency } from '../evaluator/evaluate.ts';
import { budgetLevel, burnText, dataText, exhaustionText, percentText } from '../evaluator/format.ts';
import {
  DEFAULT_RANGE,
  HISTORY_RANGES,
  type HistoryRequest,
  historyGrid,
  isHistoryRange,
} from '../evaluator/history.ts';
import {
  type EvaluatorReport,
  type GroupStatus,
  type SloStatus,
  sameLabels,
  statusOf,
  type TierStatus,
} from '../evaluator/report.ts';
import type { SliCheck } from '../live-check/check.ts';
import { errorBudget, tierFacts } from '../policy/burn.ts';
import { formatDuration, humanDuration } from '../policy/duration.ts';
import { BASE_WINDOW_MS } from '../policy/windows.ts';
import { formatLabels } from '../runbooks/render.ts';
import type { Slo } from '../spec/model.ts';
import { isoTime } from '../text/time.ts';
import type { Links } from './links.ts';

/**
 * The evaluator's latest numbers as page views: `/` sorted by budget left, and the SLO page's
 * current numbers and chart settings. Pure: a report and the request in, plain values out for the
 * mustache views, which escape each one. Mustache looks a missing key up in the enclosing
 * context, so every optional value is a key set to null.
 */

// A groupBy SLO with hundreds of tenants: the most urgent few are offered as charts, then a count.
const GROUPS_OFFERED = 5;
const UNKNOWN = 'no data';

export interface Banner {
  kind: 'failed' | 'starting' | 'partial';
  title: string;
  detail: string;
  /** When the numbers shown are from; null when that is now. */
  since: string | null;
}

function when(iso: string, now: number): string {
  const ms = Date.parse(iso);
  return `${isoTime(ms)} (${humanDuration(Math.max(0, now - ms))} ago)`;
}

/** What the page must say before any number: Prometheus down, not asked yet, or partly answering. */
export function evaluationBanner(report: EvaluatorReport, now: number): Banner | null {
  if (report.state === 'failed') {
    const success = report.lastSuccessAt
      ? `Last successful evaluation: ${when(report.lastSuccessAt, now)}.`
      : 'No evaluation has succeeded since burnbook started.';
    const numbers = report.evaluatedAt
      ? ` The numbers below are from ${when(report.evaluatedAt, now)}.`
      : ' No numbers are known yet.';
    return {
      kind: 'failed',
      title: 'Prometheus is not answering',
      detail: report.error?.message ?? 'The last evaluation failed.',
      since: `${success}${numbers}`,
    };
  }
  if (report.state === 'starting') {
    return {
      kind: 'starting',
      title: 'First evaluation running',
      detail: `burnbook is asking Prometheus at ${report.prometheusUrl}; reload in a few seconds for live numbers.`,
      since: null,
    };
  }
  if (report.state === 'partial') {
    return {
      kind: 'partial',
      title: 'Some numbers are unknown',
      detail: `Prometheus answered, but some queries failed: ${report.error?.message ?? 'no detail'}`,
      since: null,
    };
  }
  return null;
}

/**
 * Alertmanager not taking the evaluator's alerts: burnbook still evaluates and shows every number, but the
 * alerts it fires reach no one, which nothing else on the page would tell.
 */
export function alertmanagerBanner(report: EvaluatorReport, now: number): Banner | null {
  const alertmanager = report.alertmanager;
  if (!alertmanager?.error) return null;
  return {
    kind: 'failed',
    title: 'Alertmanager is not taking alerts',
    detail: `${alertmanager.error.message}. The alerts burnbook's evaluator fires do not reach anyone until it does.`,
    since: alertmanager.lastSentAt
      ? `Last delivered: ${when(alertmanager.lastSentAt, now)}.`
      : 'Nothing was delivered since burnbook started.',
  };
}

/** Every banner a live page shows, most fundamental first, as of `now` (ms). */
export function liveBanners(report: EvaluatorReport, now: number): Banner[] {
  return [evaluationBanner(report, now), alertmanagerBanner(report, now)].filter((b) => b !== null);
}

/** The tier's alert as people name it: firing and pending from the evaluator's `for`, else burning. */
function tierState(tier: TierStatus): 'firing' | 'pending' | 'burning' | 'quiet' | 'unknown' {
  if (tier.state === 'firing' || tier.state === 'pending') return tier.state;
  if (tier.burning === null) return 'unknown';
  return tier.burning ? 'burning' : 'quiet';
}

function budgetView(slo: Slo, group: GroupStatus | undefined) {
  const left = group?.budgetRemaining ?? null;
  const exhaustion = group ? exhaustionText(group) : null;
  return {
    text: percentText(left) ?? UNKNOWN,
    /** `based on 20 min of data` while the budget extrapolates from less than the period. */
    basis: group ? dataText(group, slo.periodMs) : null,
    level: budgetLevel(left),
    exhaustion: exhaustion ?? UNKNOWN,
    /** The same, as a phrase under the number. */
    outlook:
      exhaustion === null || exhaustion === 'spent'
        ? exhaustion
        : exhaustion === 'never'
          ? 'not shrinking'
          : `gone in ${exhaustion}`,
  };
}

function burnOver(group: GroupStatus | undefined, windowMs: number): string {
  return burnText(group?.burnRates[formatDuration(windowMs)] ?? null) ?? UNKNOWN;
}

function groupedBy(slo: Slo, status: SloStatus | undefined): string | null {
  if (!slo.groupBy.length) return null;
  const count = status?.groups.length ?? 0;
  if (!count) return `no ${slo.groupBy.join(', ')} seen yet`;
  return `${formatLabels(status?.labels ?? {})}, the most urgent of ${count}`;
}

function indexRow(slo: Slo, status: SloStatus | undefined, links: Links) {
  const fastest = slo.alerting.tiers[0];
  const alerts = (status?.tiers ?? []).flatMap((tier, i) => {
    const state = tierState(tier);
    const spec = slo.alerting.tiers[i];
    if (!spec || (state !== 'firing' && state !== 'pending' && state !== 'burning')) return [];
    return [{ tier: tier.tier, state, severity: tier.severity, href: links.to(tierPath(slo, spec)) ?? null }];
  });
  return {
    service: slo.service,
    slo: slo.name,
    href: links.to(sloPath(slo)) ?? null,
    description: slo.description ?? null,
    objective: `${slo.objective}%`,
    budget: budgetView(slo, status),
    // Burn now: over 5m, and over the fastest tier's long window (what pages first).
    burns: [BASE_WINDOW_MS, ...(fastest ? [fastest.longMs] : [])].flatMap((w) => {
      const rate = burnText(status?.burnRates[formatDuration(w)] ?? null);
      return rate === null ? [] : [{ window: formatDuration(w), rate }];
    }),
    alerts,
    broken: status?.broken?.message ?? null,
    // A stopped scrape is no data, never a quiet SLO: the badge says so, its title since when.
    brokenBadge: status?.broken?.reason === 'no-data' ? 'no data' : 'broken SLI',
    quiet: alerts.length === 0 && !status?.broken,
    group: groupedBy(slo, status),
    budgetRemaining: status?.budgetRemaining ?? null,
  };
}

/** Least budget left first; unknown budgets last, so a quiet gap never hides a spent budget. */
function byBudgetLeft(a: ReturnType<typeof indexRow>, b: ReturnType<typeof indexRow>): number {
  const left = (r: typeof a) => r.budgetRemaining ?? Number.POSITIVE_INFINITY;
  return left(a) - left(b) || byName.compare(`${a.service}/${a.slo}`, `${b.service}/${b.slo}`);
}

// localeCompare's order, without building a collator per comparison (130,000 of them at 10,000 SLOs).
const byName = new Intl.Collator();

/** `/` with live numbers: every SLO in one table, least budget left first. */
export function liveIndex(slos: readonly Slo[], report: EvaluatorReport, links: Links, now: number) {
  const rows = slos.map((slo) => indexRow(slo, statusOf(report, slo), links));
  return { banners: liveBanners(report, now), rows: rows.sort(byBudgetLeft) };
}

const GROUP_PARAM = 'group.';

/**
 * Which range and group the SLO page charts, from its query string (`?range=7d&group.tenant=acme`):
 * a group only when every groupBy label is given, so a half-typed URL falls back to the default.
 */
export function chartRequest(slo: Slo, query: Record<string, unknown>): HistoryRequest {
  const range = isHistoryRange(query.range) ? query.range : DEFAULT_RANGE;
  const values = slo.groupBy.map((l) => query[`${GROUP_PARAM}${l}`]);
  if (!slo.groupBy.length || !values.every((v) => typeof v === 'string')) return { range };
  return { range, group: Object.fromEntries(slo.groupBy.map((l, i) => [l, values[i] as string])) };
}

/**
 * The range and group the SLO page opens on: as asked, or, without a range asked for, the shortest that
 * shows the last incident (which began at `incidentStart`, epoch ms) with some time before it.
 */
export function openingRequest(
  slo: Slo,
  query: Record<string, unknown>,
  incidentStart: number | null,
  now: number,
): HistoryRequest {
  const asked = chartRequest(slo, query);
  if (isHistoryRange(query.range) || incidentStart === null) return asked;
  return {
    ...asked,
    range: rangeCovering(incidentStart, now, HISTORY_RANGES, (r) => historyGrid(r, now).rangeMs),
  };
}

export function chartQuery(request: HistoryRequest): string {
  const params = new URLSearchParams({ range: request.range });
  for (const [label, value] of Object.entries(request.group ?? {}))
    params.set(`${GROUP_PARAM}${label}`, value);
  return params.toString();
}

/** The live check of the SLO's SLI as its page got it: the findings, or why there are none. */
export type SliCheckState = { check: SliCheck } | { error: string };

function sliCheckView(state: SliCheckState | null) {
  if (!state) return null;
  if ('error' in state) return { error: state.error, findings: [] };
  return {
    error: null,
    findings: state.check.findings.map((f) => ({ ...f, hint: f.hint ?? null })),
  };
}

/** Which alert engine the tier states come from, and what burnbook does with them (evaluator/engine.ts). */
function engineText(engine: SloStatus['alertEngine'], report: EvaluatorReport): string | null {
  if (engine === 'prometheus') {
    return "Alert state from Prometheus: it runs this SLO's generated rules and sends their alerts; burnbook sends none.";
  }
  if (engine !== 'burnbook') return null;
  return report.alertmanager
    ? `Alert state from burnbook's evaluator: Prometheus runs no rules for this SLO, so burnbook sends its alerts to ${report.alertmanager.url}.`
    : "Alert state from burnbook's evaluator: Prometheus runs no rules for this SLO, and without --alertmanager-url nobody is told.";
}

/**
 * The SLO page's live part: the numbers of the group shown (the one asked for, or the most urgent),
 * why they are not numbers when the SLI is broken, each tier's state, the live check of the SLI, the
 * groups on offer and where the charts' data comes from.
 */
export function sloLive(
  slo: Slo,
  report: EvaluatorReport,
  asked: HistoryRequest,
  links: Links,
  now: number,
  /** Why the page cannot draw charts whatever Prometheus says (no chart library); null if it can. */
  noCharts: string | null,
  check: SliCheckState | null = null,
  /** When the last incident began (epoch ms), when the range was chosen to cover it. */
  incidentStart: number | null = null,
) {
  const status = statusOf(report, slo);
  const askedGroup = asked.group;
  const group = askedGroup ? status?.groups.find((g) => sameLabels(g.labels, askedGroup)) : status;
  // The most urgent group is what the evaluator leads with; charting it keeps page and numbers in step.
  const shown: HistoryRequest =
    askedGroup || !slo.groupBy.length || !status?.groups.length
      ? asked
      : { range: asked.range, group: status.labels };
  const self = (request: HistoryRequest) => `${links.to(sloPath(slo)) ?? ''}?${chartQuery(request)}`;
  const ranked = slo.groupBy.length ? byUrgency(status?.groups ?? []) : [];
  const budgetWindow = formatDuration(slo.periodMs);
  // Known down: say so where the charts would be, rather than have the page ask and wait.
  const unavailable =
    report.state === 'failed'
      ? `No charts while Prometheus is not answering: ${report.error?.message}`
      : noCharts;
  return {
    banners: liveBanners(report, now),
    broken: group?.broken?.message ?? null,
    brokenTitle: group?.broken?.reason === 'no-data' ? 'No data' : 'Broken SLI',
    sliCheck: sliCheckView(check),
    engine: engineText(status?.alertEngine, report),
    evaluatedAt: report.evaluatedAt ? when(report.evaluatedAt, now) : null,
    source: status?.source ?? null,
    budget: budgetView(slo, group),
    budgetWindow,
    burnBase: burnOver(group, BASE_WINDOW_MS),
    windows: Object.entries(group?.burnRates ?? {}).map(([window, rate]) => ({
      window,
      errorRatio: percentText(group?.errorRatios[window] ?? null) ?? UNKNOWN,
      burn: burnText(rate) ?? UNKNOWN,
    })),
    tiers: slo.alerting.tiers.map((tier, i) => {
      const current = group?.tiers[i];
      return {
        tier: tier.name,
        severity: tier.severity,
        href: links.to(tierPath(slo, tier)) ?? null,
        state: current ? tierState(current) : 'unknown',
        longWindow: formatDuration(tier.longMs),
        shortWindow: formatDuration(tier.shortMs),
        long: burnOver(group, tier.longMs),
        short: burnOver(group, tier.shortMs),
        factor: burnText(tierFacts(tier, slo.periodMs, slo.objective).factor),
      };
    }),
    group: shown.group ? formatLabels(shown.group) : null,
    groupMissing: Boolean(askedGroup && !group),
    groups: ranked.slice(0, GROUPS_OFFERED).map((g) => ({
      label: formatLabels(g.labels),
      href: self({ range: asked.range, group: g.labels }),
      current: Boolean(shown.group && sameLabels(g.labels, shown.group)),
      budget: percentText(g.budgetRemaining) ?? UNKNOWN,
      noData: g.broken?.reason === 'no-data' ? g.broken.message : null,
    })),
    moreGroups: ranked.length > GROUPS_OFFERED ? ranked.length - GROUPS_OFFERED : null,
    charts: {
      unavailable,
      historyHref: unavailable ? null : `${links.to(historyPath(slo)) ?? ''}?${chartQuery(shown)}`,
      ranges: HISTORY_RANGES.map((range) => ({
        range,
        href: self({ ...shown, range }),
        current: range === asked.range,
      })),
      tiers: slo.alerting.tiers.map((tier) => ({
        tier: tier.name,
        severity: tier.severity,
        longWindow: formatDuration(tier.longMs),
        shortWindow: formatDuration(tier.shortMs),
      })),
      budgetWindow,
      breakdown: slo.breakdown[0] ?? null,
      opened:
        incidentStart === null
          ? null
          : `Showing ${asked.range}: the last incident began ${when(new Date(incidentStart).toISOString(), now)}.`,
    },
    availability: availabilityView(slo, group),
  };
}

/**
 * A percentage with one digit more than the objective has (two at least), cut rather than rounded, so
 * availability just under the objective never reads as meeting it: `99.949%` against 99.95%.
 */
function availabilityText(ratio: number, objective: number): string {
  const digits = Math.max(2, (String(objective).split('.')[1] ?? '').length + 1);
  const scale = 10 ** digits;
  // The float of 1 − 0.0005 is a hair either side of 0.9995: the objective itself must print as itself.
  return `${(Math.floor(ratio * 100 * scale + 1e-6) / scale).toFixed(digits)}%`;
}

/**
 * Availability so far in the period (1 − the period's error ratio) against the objective, and what it
 * rests on while the SLO is younger than its period.
 */
function availabilityView(slo: Slo, group: GroupStatus | undefined) {
  const ratio = group?.errorRatios[formatDuration(slo.periodMs)] ?? null;
  // Compared as error ratios, against the budget computed in decimal from the objective's digits.
  const meets = ratio === null ? null : ratio <= errorBudget(slo.objective);
  return {
    text: ratio === null ? UNKNOWN : availabilityText(1 - ratio, slo.objective),
    objective: `${slo.objective}%`,
    level: meets === null ? 'unknown' : meets ? 'ok' : 'spent',
    verdict: meets === null ? null : meets ? 'meets' : 'below',
    basis: group ? dataText(group, slo.periodMs) : null,
  };
}

export type SloLive = ReturnType<typeof sloLive>;
export type LiveIndex = ReturnType<typeof liveIndex>;
