import { z } from 'zod';

/**
 * What an evaluation says about each SLO: the JSON of `status --json`, `GET /api/v1/slos` and the history
 * API, which the pages read too. Declared once, as schemas; the types are derived from them and the tests
 * validate every answer against them. Ratios are ratios (0.005), burn rates are multiples of the error
 * budget, windows are keyed as Prometheus writes them (`5m`, `1h`, `30d`). `null` means "not known": no
 * data, or the query that would have told failed. JSON has no Infinity, so a time to exhaustion of "never
 * at this rate" is `null` as well; `burnRates` tells the two apart.
 */

const known = z.number().nullable();
/** ISO 8601. */
const instant = z.string();
const labelSet = z.record(z.string(), z.string());

/** Where a window's numbers came from: burnbook's recording rules, or the raw SLI series. */
export const sourceSchema = z.enum(['rules', 'raw']);

/** Alert state with `for`, as Prometheus keeps it; `resolved` lasts a while so the end is re-sent. */
export const alertStateSchema = z.enum(['inactive', 'pending', 'firing', 'resolved']);

export const tierStatusSchema = z.strictObject({
  tier: z.string(),
  severity: z.string(),
  alertname: z.string(),
  factor: z.number(),
  /** The error ratio both windows must exceed, as the generated rule writes it. */
  threshold: z.number(),
  longWindow: z.string(),
  shortWindow: z.string(),
  for: z.string(),
  longErrorRatio: known,
  shortErrorRatio: known,
  /** Events in the long window; only for SLOs with `minEvents`. */
  longWindowEvents: known.optional(),
  /** The rule's condition holds right now; null when a value it needs is unknown. */
  burning: z.boolean().nullable(),
  /**
   * `status` has no memory, so there it is `burning === true`; the server's evaluator applies the tier's
   * `for` and sets it once the condition has held that long.
   */
  firing: z.boolean(),
  /** Only from the server's evaluator. */
  state: alertStateSchema.optional(),
  /** When the condition started holding; only from the server's evaluator. */
  activeAt: instant.optional(),
});

/**
 * Why an SLI's numbers are not to be trusted although Prometheus answered. `no-data`: the 5m window reads
 * nothing (its total series, or a latency SLI's bucket, matches nothing), so nothing current is known and
 * no tier can fire; longer windows keep what they held. `ratio-above-1`: errors counted more events than
 * total (errors and total swapped?), so every number of the group is null; `ratio-below-0` likewise, when a
 * boolGauge's gauge reads other than 0 or 1 (a percentage), which would read as better than perfect.
 */
export const brokenSliSchema = z.strictObject({
  reason: z.enum(['no-data', 'ratio-above-1', 'ratio-below-0']),
  message: z.string(),
});

export const groupStatusSchema = z.strictObject({
  /** The groupBy labels' values; `{}` for an SLO without groupBy. */
  labels: labelSet,
  /** Set when the SLI is broken (see brokenSliSchema); null when it reads, or when a query failed (`errors`). */
  broken: brokenSliSchema.nullable(),
  /**
   * 1 − the errors so far ÷ the errors the period's budget allows: 1 is untouched, 0 spent, below 0
   * overspent. While `periodDataSeconds` is under the period, the period's traffic is taken from them.
   */
  budgetRemaining: known,
  /**
   * Seconds of data the period's numbers rest on, at most the period: for an SLO younger than its period,
   * or rules younger than it (their unseen time counts as healthy traffic). Null when not known.
   */
  periodDataSeconds: known,
  burnRates: z.record(z.string(), known),
  errorRatios: z.record(z.string(), known),
  /** At the burn rate of the fastest tier's long window, how long the remaining budget lasts. */
  timeToExhaustionMs: known,
  tiers: z.array(tierStatusSchema),
});

/**
 * One SLO. The top-level numbers are those of the group that needs attention most (a firing or burning
 * fast tier first, then the least budget left); the tiers' `burning`, `firing` and `state` say whether
 * any group burns. Without groupBy there is one group and they coincide. `status --json` prints a list.
 */
export const sloStatusSchema = groupStatusSchema.extend({
  service: z.string(),
  slo: z.string(),
  /** Percent, as in the spec. */
  objective: z.number(),
  period: z.string(),
  errorBudget: z.number(),
  /** `mixed` when some windows came from the rules and others from the raw SLI. */
  source: z.enum(['rules', 'raw', 'mixed']),
  sources: z.record(z.string(), sourceSchema),
  groups: z.array(groupStatusSchema),
  /** Failed queries that left some of this SLO's numbers unknown. */
  errors: z.array(z.string()),
  /**
   * Where the tiers' `state` comes from, only from the server's evaluator: `prometheus` when Prometheus runs
   * the SLO's generated alerting rules (their state is shown; burnbook pushes none), else `burnbook`.
   */
  alertEngine: z.enum(['prometheus', 'burnbook']).optional(),
});

export const problemSchema = z.strictObject({ at: instant, message: z.string() });

/** `GET /api/v1/slos` from a server that evaluates (the evaluator's latest report). */
export const evaluatorReportSchema = z.strictObject({
  /**
   * How the latest attempt went: `starting` before the first ends, `partial` when some queries failed
   * (their numbers are null), `failed` when Prometheus did not answer at all.
   */
  state: z.enum(['starting', 'ok', 'partial', 'failed']),
  prometheusUrl: z.string(),
  intervalMs: z.number(),
  /** The instant of the last evaluation Prometheus answered; null before the first. */
  evaluatedAt: instant.nullable(),
  durationMs: known,
  /** Queries the last evaluation sent. */
  queries: known,
  lastSuccessAt: instant.nullable(),
  /**
   * Set while the latest attempt failed (Prometheus down or slow): the numbers in `slos` are then those of
   * `evaluatedAt`, and alert states are held, neither fired nor resolved.
   */
  error: problemSchema.nullable(),
  alertmanager: z
    .strictObject({ url: z.string(), lastSentAt: instant.nullable(), error: problemSchema.nullable() })
    .nullable(),
  slos: z.array(sloStatusSchema),
});

/** `GET /api/v1/slos` from a server without a Prometheus: every SLO, every number null, and why. */
export const unevaluatedReportSchema = z.strictObject({
  error: problemSchema,
  slos: z.array(sloStatusSchema),
});

export const tierLineSchema = z.strictObject({
  tier: z.string(),
  severity: z.string(),
  /** The burn rate both windows must exceed: the threshold line of the tier's chart. */
  factor: z.number(),
  longWindow: z.string(),
  shortWindow: z.string(),
});

/** A period a tier's alert spent pending or firing (Unix seconds), shaded on its burn chart. */
export const alertPeriodSchema = z.strictObject({
  tier: z.string(),
  state: z.enum(['pending', 'firing']),
  start: z.number(),
  end: z.number(),
});

/** One value of the breakdown label and its rate (per second) at each step. */
export const breakdownSeriesSchema = z.strictObject({ value: z.string(), points: z.array(known) });

/** Requests and errors per second by the SLO's first `breakdown` label, over `window` at each step. */
export const breakdownSchema = z.strictObject({
  label: z.string(),
  window: z.string(),
  requests: z.array(breakdownSeriesSchema),
  errors: z.array(breakdownSeriesSchema),
  /** Values left out of the larger answer (the ones with the highest last rates are kept). */
  omitted: z.number(),
});

/** The ranges an SLO page's charts offer. */
export const historyRangeSchema = z.enum(['1h', '3h', '6h', '24h', '7d']);

/** `GET /api/v1/slos/<service>/<slo>/history`: one SLO's burn rates and budget over a range. */
export const sloHistorySchema = z.strictObject({
  service: z.string(),
  slo: z.string(),
  range: historyRangeSchema,
  stepSeconds: z.number(),
  budgetStepSeconds: z.number(),
  /** The first and last points. */
  start: instant,
  end: instant,
  /** The group charted; `{}` without groupBy, null when no group had data. */
  group: labelSet.nullable(),
  /** How many groups had data (1 without groupBy); only the one in `group` is charted. */
  groupsSeen: z.number(),
  /** Series left out of the largest answer (the 500 with the highest last values are kept): groups not seen. */
  groupsOmitted: z.number(),
  /** Unix seconds, one per step from `start` to `end`. */
  timestamps: z.array(z.number()),
  /** Multiples of the error budget by window (`5m`, `1h`, ...); null where nothing was known. */
  burnRates: z.record(z.string(), z.array(known)),
  /**
   * 1 − period error ratio ÷ budget, every `budgetStepSeconds` and null between: the period window (in
   * `burnRates` too) is sampled more sparsely than the others.
   */
  budgetRemaining: z.array(known),
  sources: z.record(z.string(), sourceSchema),
  tiers: z.array(tierLineSchema),
  /**
   * When the charted group's tiers were pending or firing, from each of `alertPeriodsFrom`: Prometheus's
   * `ALERTS` (`prometheus`), and, where burnbook's evaluator is the alert engine, the period its state holds
   * now (`burnbook`; it keeps no past periods).
   */
  alertPeriods: z.array(alertPeriodSchema),
  alertPeriodsFrom: z.array(z.enum(['prometheus', 'burnbook'])),
  /** Null when the SLO names no `breakdown` label, or its queries failed (see `errors`). */
  breakdown: breakdownSchema.nullable(),
  /** Failed queries; their windows read null throughout. */
  errors: z.array(z.string()),
});

export type Source = z.infer<typeof sourceSchema>;
export type AlertState = z.infer<typeof alertStateSchema>;
export type TierStatus = z.infer<typeof tierStatusSchema>;
export type BrokenSli = z.infer<typeof brokenSliSchema>;
export type GroupStatus = z.infer<typeof groupStatusSchema>;
export type SloStatus = z.infer<typeof sloStatusSchema>;
export type Problem = z.infer<typeof problemSchema>;
export type EvaluatorReport = z.infer<typeof evaluatorReportSchema>;
export type UnevaluatedReport = z.infer<typeof unevaluatedReportSchema>;
export type TierLine = z.infer<typeof tierLineSchema>;
export type HistoryRange = z.infer<typeof historyRangeSchema>;
/** Whether two label sets are the same labels with the same values. */
export function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  return Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
}

/** One SLO's status in a report. */
export function statusOf(
  report: Pick<EvaluatorReport, 'slos'>,
  slo: { service: string; name: string },
): SloStatus | undefined {
  return statusIndex(report.slos).get(`${slo.service}/${slo.name}`);
}

// Built once per report's list (a new one every evaluation): `/` looks up every SLO, which was a scan of
// the list per SLO, 10,000² comparisons at 10,000 SLOs.
const indexes = new WeakMap<readonly SloStatus[], Map<string, SloStatus>>();

function statusIndex(slos: readonly SloStatus[]): Map<string, SloStatus> {
  let index = indexes.get(slos);
  if (!index) {
    index = new Map();
    for (const s of slos) if (!index.has(`${s.service}/${s.slo}`)) index.set(`${s.service}/${s.slo}`, s);
    indexes.set(slos, index);
  }
  return index;
}

export type AlertPeriod = z.infer<typeof alertPeriodSchema>;
export type Breakdown = z.infer<typeof breakdownSchema>;
export type BreakdownSeries = z.infer<typeof breakdownSeriesSchema>;
export type SloHistory = z.infer<typeof sloHistorySchema>;
