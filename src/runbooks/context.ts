import { alertTitle, RECORDS, sloIdentity } from '../conventions/names.ts';
import { sloPath, tierPath } from '../conventions/urls.ts';
import { budgetTimeMs, errorBudget, tierFacts } from '../policy/burn.ts';
import { formatDuration, humanDuration } from '../policy/duration.ts';
import { formatNumber, formatPercent } from '../policy/number.ts';
import type { Tier } from '../policy/tiers.ts';
import { formatMatchers, formatSelector, labelList } from '../promql/build.ts';
import type { LabelMatcher } from '../promql/parse.ts';
import { errorRate, errorRatio, sliSeries, totalRate } from '../sli/index.ts';
import { type AbsentAlert, alertingTiers, type Slo } from '../spec/model.ts';

/**
 * What a runbook page says about one tier of one SLO, as text ready for a template: every
 * number comes from policy/, every query from the SLI. Pure, so pages, the static export
 * and tests all see the same facts.
 */

export interface FirstLookQuery {
  /** A burn's: is it still burning, where, which way; the absent-SLI alert's: what the SLI reads. */
  step: 'confirm' | 'scope' | 'trend' | 'series';
  title: string;
  expr: string;
  /** One line on what the value means. */
  meaning: string;
}

export interface TierSummary {
  name: string;
  severity: string;
  alertname: string;
  /** Site path of the tier's runbook page. */
  path: string;
  factor: string;
  threshold: string;
  budgetShare: string;
  longWindow: string;
  shortWindow: string;
  /** Absent when the tier fires at once. */
  forDuration?: string;
  timeToExhaustion: string;
  totalOutageDetect: string;
}

export interface SloSummary {
  service: string;
  slo: string;
  description: string;
  /** Site path of the SLO page. */
  path: string;
  objective: string;
  period: string;
  errorBudget: string;
  errorBudgetPercent: string;
  /** The whole period's budget as minutes of full outage: 216 for 99.5% over 30d. */
  budgetMinutes: string;
  sliKind: string;
  groupBy: string[];
  /** The groupBy labels as prose ("tenant"), empty when the SLO has one state. */
  groupByText: string;
  breakdown: string[];
  breakdownText: string;
  minEvents?: number;
  runbookFile?: string;
  source: string;
  tiers: TierSummary[];
  /** The absent-SLI alert; null when the spec switches it off. */
  absent: { alertname: string; severity: string; path: string; forDuration: string } | null;
}

export interface Ask {
  /** What the alert asks of the reader, in a few words: "Act now". */
  headline: string;
  detail: string;
}

export interface TierContext extends TierSummary {
  slo: SloSummary;
  /** The numeric threshold, for comparing live values against. */
  thresholdValue: number;
  thresholdPercent: string;
  /** The threshold as "one request in N fails". */
  oneIn: string;
  ask: Ask;
  queries: FirstLookQuery[];
  otherTiers: TierSummary[];
  /** When the alert resolves, as its rule has it (outputs/rules/incident.ts): one sentence. */
  resolves: string;
}

function tierSummary(slo: Slo, tier: Tier): TierSummary {
  const facts = tierFacts(tier, slo.periodMs, slo.objective);
  return {
    name: tier.name,
    severity: tier.severity,
    alertname: alertTitle(slo, tier),
    path: tierPath(slo, tier),
    factor: formatNumber(facts.factor),
    threshold: formatNumber(facts.threshold),
    budgetShare: `${formatNumber(tier.budgetPercent)}%`,
    longWindow: formatDuration(tier.longMs),
    shortWindow: formatDuration(tier.shortMs),
    ...(tier.forMs ? { forDuration: formatDuration(tier.forMs) } : {}),
    timeToExhaustion: humanDuration(facts.timeToExhaustionMs),
    totalOutageDetect: humanDuration(facts.totalOutageDetectMs),
  };
}

export function sloSummary(slo: Slo): SloSummary {
  const budget = errorBudget(slo.objective);
  const budgetMs = budgetTimeMs(slo.periodMs, slo.objective);
  return {
    service: slo.service,
    slo: slo.name,
    description: slo.description,
    path: sloPath(slo),
    // Every digit the spec author wrote: 99.99999% must not print as 100%.
    objective: `${formatNumber(slo.objective, 12)}%`,
    period: formatDuration(slo.periodMs),
    errorBudget: formatNumber(budget),
    errorBudgetPercent: formatPercent(budget),
    budgetMinutes: formatNumber(budgetMs / 60_000),
    sliKind: slo.sli.kind,
    groupBy: slo.groupBy,
    groupByText: slo.groupBy.join(', '),
    breakdown: slo.breakdown,
    breakdownText: slo.breakdown.join(', '),
    ...(slo.minEvents === undefined ? {} : { minEvents: slo.minEvents }),
    ...(slo.runbook === undefined ? {} : { runbookFile: slo.runbook }),
    source: `${slo.source.file}:${slo.source.line}`,
    tiers: slo.alerting.tiers.map((t) => tierSummary(slo, t)),
    absent: slo.alerting.absent
      ? {
          alertname: alertTitle(slo, slo.alerting.absent),
          severity: slo.alerting.absent.severity,
          path: tierPath(slo, slo.alerting.absent),
          forDuration: formatDuration(slo.alerting.absent.forMs),
        }
      : null,
  };
}

function ask(severity: string, slo: SloSummary, tier: TierSummary): Ask {
  const burn = `At this burn the ${slo.period} error budget is gone in ${tier.timeToExhaustion}.`;
  if (severity === 'page') {
    return {
      headline: 'Act now',
      detail: `This alert pages the on-call. ${burn} Start with the first-look queries below.`,
    };
  }
  if (severity === 'ticket') {
    return {
      headline: 'Next working day',
      detail: `This alert opens a ticket, not a page: the budget is burning slowly but steadily. ${burn}`,
    };
  }
  return {
    headline: `Severity ${severity}`,
    detail: `Follow your team's routing for ${severity} alerts. ${burn}`,
  };
}

/**
 * The queries to run first, in order: is it still burning, where, and which way it is going.
 * Scope queries show each label value's share of the error ratio rather than its own ratio:
 * the shares add up to the confirm value, and a label the SLI's errors already select on
 * (code=~"5..") would otherwise read 1 for every value.
 */
export function firstLookQueries(slo: Slo, tier: Tier): FirstLookQuery[] {
  const { threshold, factor } = tierFacts(tier, slo.periodMs, slo.objective);
  const t = formatNumber(threshold);
  const short = formatDuration(tier.shortMs);
  const long = formatDuration(tier.longMs);
  const per = slo.groupBy.length ? ` per ${slo.groupBy.join(', ')}` : '';
  const confirm: FirstLookQuery = {
    step: 'confirm',
    title: `Confirm: error ratio over ${short}`,
    expr: errorRatio(slo.sli, short, slo.groupBy),
    meaning:
      `The error ratio over the last ${short}${per}. Above ${t} the burn is still going on; ` +
      `below it the burn has eased, and the alert resolves once the ${long} window drops under ${t} too.`,
  };
  const scopes = slo.breakdown.map(
    (label): FirstLookQuery => ({
      step: 'scope',
      title: `Scope: share of errors by ${label}`,
      expr:
        `(${errorRate(slo.sli, short, [...slo.groupBy, label])})\n` +
        `/ ignoring${labelList([label])} group_left\n${totalRate(slo.sli, short, slo.groupBy)}`,
      meaning:
        `Each ${label}'s share of the ${short} error ratio${per}; the shares add up to the confirm value, ` +
        `so the largest is where the budget goes.`,
    }),
  );
  const trend: FirstLookQuery = {
    step: 'trend',
    title: `Trend: error ratio over ${long}`,
    expr: errorRatio(slo.sli, long, slo.groupBy),
    meaning:
      `The ${long} window that tripped the alert${per}. Graph it: rising means the burn is getting worse; ` +
      `at ${t} the budget burns ${formatNumber(factor)}× too fast.`,
  };
  return [confirm, ...scopes, trend];
}

export function tierContext(slo: Slo, tier: Tier): TierContext {
  const summary = sloSummary(slo);
  const self = tierSummary(slo, tier);
  const { threshold } = tierFacts(tier, slo.periodMs, slo.objective);
  return {
    ...self,
    slo: summary,
    thresholdValue: threshold,
    thresholdPercent: formatPercent(threshold),
    oneIn: formatNumber(Math.round(1 / threshold)),
    ask: ask(tier.severity, summary, self),
    queries: firstLookQueries(slo, tier),
    otherTiers: summary.tiers.filter((t) => t.name !== tier.name),
    resolves: resolvesText(slo, tier),
  };
}

/**
 * When a tier's alert resolves: as soon as either window drops under its threshold, but a tier that may hold
 * stays while the burn now (5m) is above the slowest tier's threshold, and a slower tier settles at once once
 * a faster one has paged (see outputs/rules/incident.ts).
 */
function resolvesText(slo: Slo, tier: Tier): string {
  // As the rules do: silent tiers neither hold nor settle, and a silent tier has no alert to resolve.
  const tiers = alertingTiers(slo);
  const at = tiers.findIndex((t) => t.name === tier.name);
  const slowest = tiers[tiers.length - 1];
  const threshold = (t: Tier) => formatNumber(tierFacts(t, slo.periodMs, slo.objective).threshold);
  const parts = [
    `It resolves when either window, ${formatDuration(tier.longMs)} or ${formatDuration(tier.shortMs)}, drops under ${threshold(tier)}`,
  ];
  if (at === -1) return `${parts[0]}.`;
  if (slowest && at < tiers.length - 1) {
    parts.push(
      `and the error ratio over the last 5m is at or under ${threshold(slowest)} (the ${slowest.name} tier's threshold): ` +
        'a burn that eases but goes on keeps this alert, and its page, open',
    );
  }
  const text = `${parts.join(', ')}.`;
  if (at === 0) return text;
  return (
    `${text} After a faster tier of this SLO fired, it also resolves, or never fires, once the 5m ratio is at ` +
    `or under ${threshold(tier)}: its ${formatDuration(tier.shortMs)} window then still reads the incident already paged.`
  );
}

/** What the absent-SLI alert's page says: when it fires, what is missing, and how to find out which. */
export interface AbsentContext {
  alertname: string;
  severity: string;
  /** Site path of the page. */
  path: string;
  forDuration: string;
  slo: SloSummary;
  ask: Ask;
  /** A latency SLI: its bucket boundary, which the histogram must have. */
  threshold?: string;
  queries: FirstLookQuery[];
  /** The SLO's burn tiers, which cannot fire while this alert does. */
  tiers: TierSummary[];
}

function upOf(matchers: readonly LabelMatcher[]): FirstLookQuery[] {
  const job = matchers.filter((m) => m.name === 'job');
  if (!job.length) return [];
  return [
    {
      step: 'series',
      title: 'Is the target scraped?',
      expr: formatSelector({ metric: 'up', matchers: job }),
      meaning:
        '1 for each target Prometheus scrapes, 0 where the scrape fails. No series: no target of this job is ' +
        'configured or discovered any more; 0: it is down or failing (see the Targets page of Prometheus).',
    },
  ];
}

/**
 * The queries that tell why the SLI reads nothing, in order: what burnbook records, whether the series the
 * SLI reads exist (and for a latency SLI, which buckets the histogram really has), and whether the target
 * is scraped at all.
 */
export function absentQueries(slo: Slo): FirstLookQuery[] {
  const id = sloIdentity(slo);
  const names = `${RECORDS.total}|${RECORDS.errors}`;
  const recorded: FirstLookQuery = {
    step: 'series',
    title: 'What burnbook records',
    // Both names in one selector: `or` would match the two recordings by their other labels and keep one.
    expr: `count by (__name__) ({${formatMatchers([
      { name: '__name__', op: '=~', value: names },
      ...Object.entries(id).map(([name, value]) => ({ name, op: '=' as const, value })),
    ])}})`,
    meaning:
      `How many series each of the 5m rates the SLO is computed from has. No ${RECORDS.total}: the total is missing.` +
      (sliSeries(slo.sli)?.some((s) => s.bucket)
        ? ` ${RECORDS.total} without ${RECORDS.errors}: the bucket is missing.`
        : ''),
  };
  const series = sliSeries(slo.sli);
  if (!series) {
    return [
      recorded,
      {
        step: 'series',
        title: 'The total query',
        expr: totalRate(slo.sli, '5m', slo.groupBy),
        meaning:
          "The SLI's total query as burnbook runs it. Nothing: a metric or label it reads is gone or renamed.",
      },
    ];
  }
  const reads = series
    .filter((s) => s.role !== 'errors')
    .map(
      (s): FirstLookQuery =>
        s.bucket
          ? {
              step: 'series',
              title: 'The buckets the histogram has',
              expr: `count by (le) (${formatSelector(s.selector)})`,
              meaning:
                `Each le value is a bucket boundary the histogram really has, with its number of series. The ` +
                `threshold ${s.bucket.threshold} must be one of them: if it is not, set threshold to the nearest ` +
                'one, or add that bucket to the histogram in the service.',
            }
          : {
              step: 'series',
              title: 'Does the total series exist?',
              expr: `count(${formatSelector(s.selector)})`,
              meaning:
                "How many series the SLI's total selector matches now. Nothing: the metric or a label it selects " +
                'on was renamed (an exporter or client upgrade), or nothing scrapes it.',
            },
    );
  const total = series.find((s) => s.role === 'total');
  return [recorded, ...reads, ...upOf(total?.selector.matchers ?? [])];
}

export function absentContext(slo: Slo, absent: AbsentAlert): AbsentContext {
  const summary = sloSummary(slo);
  const bucket = sliSeries(slo.sli)?.find((s) => s.bucket)?.bucket;
  const severity = absent.severity;
  // Silent tiers (alerting disabled) fire in no case, so only the others go blind.
  const alerting = new Set(alertingTiers(slo).map((t) => t.name));
  const tiers = summary.tiers.filter((t) => alerting.has(t.name));
  const blind = tiers.length
    ? `its burn-rate alerts (${tiers.map((t) => t.name).join(', ')}) cannot fire, so an outage would page nobody`
    : 'its error budget and status read no data';
  return {
    alertname: alertTitle(slo, absent),
    severity,
    path: tierPath(slo, absent),
    forDuration: formatDuration(absent.forMs),
    slo: summary,
    ask: {
      headline:
        severity === 'page' ? 'Act now' : severity === 'ticket' ? 'Fix the SLI soon' : `Severity ${severity}`,
      detail: `While this fires the SLO is blind: ${blind}. Find what the SLI lost with the queries below.`,
    },
    ...(bucket ? { threshold: bucket.threshold } : {}),
    queries: absentQueries(slo),
    tiers,
  };
}
