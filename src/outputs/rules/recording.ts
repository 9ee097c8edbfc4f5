import { errorRatioRecord, RECORDS, sloIdentity, sloLabels, windowsOf } from '../../conventions/names.ts';
import { errorBudget } from '../../policy/burn.ts';
import { formatDuration } from '../../policy/duration.ts';
import { formatNumber } from '../../policy/number.ts';
import { BASE_WINDOW_MS } from '../../policy/windows.ts';
import { labelList, labelSelector, ratioOrZero } from '../../promql/build.ts';
import { errorRateOr, totalRate } from '../../sli/index.ts';
import type { Slo } from '../../spec/model.ts';

export interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

/**
 * One small function per rule kind, as in Pyrra's slo/rules.go. Only the 5m rates read the raw series;
 * every longer window W is built from them, its errors and its events each:
 *
 * - The last 5 minutes are the 5m rate now; the rest, (t − W, t − 5m], is the mean of the 5m rates taken
 *   between t − W + 2m30s and t − 2m30s, times W − 5m. Each sample stands for the 5 minutes before it, so
 *   this centred range takes in as much of the slices that straddle an edge as it leaves out: a burn counts
 *   from the minute it starts, and a one-minute spike counts whole while the short window still holds it.
 *   (A sum over (t − W, t] lagged the raw data by 2–3 minutes and missed one-minute spikes.) A mean times a
 *   duration does not depend on the evaluation interval or on a missed evaluation. The price: a burn that
 *   began 2.5 to 7.5 minutes ago has up to 37.5 s of its events counted twice (`CENTRED_OVERCOUNT_MS`: the
 *   samples between t − 5m and t − 2m30s see events the 5m rate counts too, and nothing before t − 5m makes
 *   up for them yet), so a tier can fire up to 37.5 s before the raw math; never later.
 * - While the recordings are younger than a window, the part of it before them is unseen: its errors are
 *   not known, so they count as none, and its traffic as what the rest of the window saw. The window says
 *   "healthy before burnbook" rather than taking the minutes since for the whole window, so a blip right
 *   after the rules are loaded is a blip. An SLI (or group) whose events began after the rules were loaded
 *   had no traffic before; its windows count only what exists. Reading the raw series for the unseen part
 *   instead would cost that raw read on every evaluation for good: Prometheus evaluates both sides of `or`
 *   whichever it keeps, so a fallback is paid for whether it is used or not.
 *
 * Each rule costs Prometheus a commit per evaluation whatever it computes, so a window is one rule.
 */

/**
 * The most a window over-counts a burn, in ms of its events: (2m30s)² ÷ (2 × 5m), for a burn that began 5m
 * ago; none once it is 7m30s old or younger than 2m30s.
 */
export const CENTRED_OVERCOUNT_MS = BASE_WINDOW_MS / 8;

function rule(slo: Slo, record: string, expr: string): RecordingRule {
  return { record, expr, labels: sloLabels(slo) };
}

function own(slo: Slo, record: string): string {
  return labelSelector(record, sloIdentity(slo));
}

const seconds = (ms: number) => String(ms / 1000);
/** Half the base window, in the PromQL it is written in. */
const HALF_BASE_MS = BASE_WINDOW_MS / 2;
// Carried forward from the latest sample so a restart of Prometheus keeps them; a gap longer than this
// starts them again from what the recordings show.
const LATCH = '1d';
// How far back "before this evaluation" looks: longer than any rule group's interval (burnbook's own promtool
// tests evaluate every 10m), so an instant `offset 1m` (5m lookback) never misses the evaluation before.
const PREVIOUS = '15m';

/** The only rules that read the raw, high-cardinality series. */
export function totalRate5m(slo: Slo): RecordingRule {
  return rule(slo, RECORDS.total, totalRate(slo.sli, '5m', slo.groupBy));
}

/** Recorded after the total, so a group without error series reads 0 from it instead of the raw series again. */
export function errorsRate5m(slo: Slo): RecordingRule {
  const zero = `on ${labelList(slo.groupBy)} 0 * ${own(slo, RECORDS.total)}`;
  return rule(slo, RECORDS.errors, errorRateOr(slo.sli, '5m', slo.groupBy, zero));
}

/**
 * When burnbook's recordings of each group began. Kept from its own last sample; the first time, the
 * recordings already there are probed a period and the longest tier window back, so rules upgraded in place
 * keep the history they have (recordings younger than the longest tier window count from now).
 */
export function recordingsStart(slo: Slo): RecordingRule {
  const total = own(slo, RECORDS.total);
  const longest = Math.max(...slo.alerting.tiers.map((t) => t.longMs), BASE_WINDOW_MS);
  const probes = [...new Set([slo.periodMs, longest])].filter((ms) => ms > BASE_WINDOW_MS);
  const found = probes.map((ms) => `${total} offset ${formatDuration(ms)} * 0 + time() - ${seconds(ms)}`);
  return rule(
    slo,
    RECORDS.recordingsStart,
    [`last_over_time(${own(slo, RECORDS.recordingsStart)}[${LATCH}])`, ...found, `timestamp(${total})`].join(
      '\nor\n',
    ),
  );
}

/**
 * From when the windows count traffic: for a group whose events began while the rules were already
 * running (no 5m rate in the evaluations before, the objective recorded in them), the moment they began; for one that
 * had events when the recordings began, a whole period before, so the unseen part of every window counts
 * as traffic like the rest.
 */
export function trafficStart(slo: Slo): RecordingRule {
  const total = own(slo, RECORDS.total);
  const before = (record: string) => `last_over_time(${record}[${PREVIOUS}] offset 1s)`;
  const began = `(timestamp(${total}) unless ${before(total)}) and on (slo_service, slo) ${before(own(slo, RECORDS.objective))}`;
  return rule(
    slo,
    RECORDS.trafficStart,
    [
      `last_over_time(${own(slo, RECORDS.trafficStart)}[${LATCH}])`,
      `(${began})`,
      `${own(slo, RECORDS.recordingsStart)} - ${seconds(slo.periodMs)}`,
    ].join('\nor\n'),
  );
}

/** Names a record for the SLOs a query is about: the rule's own SLO, or the evaluator's many at once. */
export type RecordSelector = (record: string) => string;

/**
 * Bad or all events in a window longer than 5m: the 5m rate now for the last 5 minutes, the 5m recordings
 * for the rest, counted from `start` (a `slo:*_start:timestamp` record) and no earlier.
 */
export function windowEvents(events: 'errors' | 'total', windowMs: number, select: RecordSelector): string {
  const rest = windowMs - BASE_WINDOW_MS;
  const base = select(events === 'errors' ? RECORDS.errors : RECORDS.total);
  const mean = `avg_over_time(${base}[${formatDuration(rest)}] offset ${formatDuration(HALF_BASE_MS)})`;
  // Where there are no recordings in the window yet: no errors, and the traffic of the last 5 minutes.
  const [start, missing] =
    events === 'errors' ? [RECORDS.recordingsStart, `0 * ${base}`] : [RECORDS.trafficStart, base];
  // Samples from `start` on stand for the events from 2m30s before it.
  const span = `clamp(time() - ${seconds(HALF_BASE_MS)} - ${select(start)}, 0, ${seconds(rest)})`;
  return `(${base} * ${seconds(BASE_WINDOW_MS)} + (${mean} or ${missing}) * ${span})`;
}

/**
 * Errors over total for one window (`ratioOrZero`): no traffic reads 0, a side that cannot be computed (no
 * total, no latency bucket) reads no data, never a perfect 0.
 */
export function errorRatio(slo: Slo, windowMs: number): RecordingRule {
  const select = (record: string) => own(slo, record);
  const expr =
    windowMs === BASE_WINDOW_MS
      ? ratioOrZero(select(RECORDS.errors), select(RECORDS.total))
      : ratioOrZero(windowEvents('errors', windowMs, select), windowEvents('total', windowMs, select));
  return rule(slo, errorRatioRecord(windowMs), expr);
}

/** All events in a window, for `minEvents`: as the window's ratio counts them. */
export function windowTotal(windowMs: number, select: RecordSelector): string {
  return windowMs === BASE_WINDOW_MS
    ? `${select(RECORDS.total)} * ${seconds(BASE_WINDOW_MS)}`
    : windowEvents('total', windowMs, select);
}

export function objective(slo: Slo): RecordingRule {
  return rule(slo, RECORDS.objective, `vector(${formatNumber(slo.objective / 100, 12)})`);
}

export function budget(slo: Slo): RecordingRule {
  return rule(slo, RECORDS.errorBudget, `vector(${formatNumber(errorBudget(slo.objective), 12)})`);
}

/** The share of the period with traffic so far: below 1 only for SLIs (or groups) younger than the period. */
function trafficShare(slo: Slo): string {
  return `clamp_max((time() - ${own(slo, RECORDS.trafficStart)}) / ${seconds(slo.periodMs)}, 1)`;
}

/**
 * 1 − spent ÷ allowed: the errors so far over the errors the period's budget allows, its traffic taken
 * from what has been seen while the SLI is younger than the period (the period's error ratio then covers
 * only that time, and times the share of the period it covers, it is the share of the budget spent).
 * 20 minutes at 1.6% errors on a 99.9%/30d SLO have spent 0.74% of the budget, not 1510%.
 */
export function budgetRemaining(slo: Slo): RecordingRule {
  const period = own(slo, errorRatioRecord(slo.periodMs));
  return rule(
    slo,
    RECORDS.budgetRemaining,
    `1 - ${period} / ${formatNumber(errorBudget(slo.objective))} * ${trafficShare(slo)}`,
  );
}

/**
 * How much data the period's numbers rest on, in seconds: the recordings' age, and the 5 minutes their first
 * rate looked back over (less for events younger than that), at most the period. Pages and dashboards say
 * "based on N minutes of data" while it is under the period.
 */
export function periodData(periodMs: number, select: RecordSelector): string {
  const recorded = `time() - ${select(RECORDS.recordingsStart)} + ${seconds(BASE_WINDOW_MS)}`;
  const existing = `time() - ${select(RECORDS.trafficStart)}`;
  return `clamp_max((${existing} <= ${recorded}) or ${recorded}, ${seconds(periodMs)})`;
}

export function currentBurnRate(slo: Slo): RecordingRule {
  const now = own(slo, errorRatioRecord(BASE_WINDOW_MS));
  return rule(slo, RECORDS.currentBurnRate, `${now} / ${formatNumber(errorBudget(slo.objective))}`);
}

export function periodBurnRate(slo: Slo): RecordingRule {
  const period = own(slo, errorRatioRecord(slo.periodMs));
  return rule(slo, RECORDS.periodBurnRate, `${period} / ${formatNumber(errorBudget(slo.objective))}`);
}

/** In evaluation order: each rule reads only what the rules before it recorded (or its own past). */
export function recordingRules(slo: Slo): RecordingRule[] {
  return [
    totalRate5m(slo),
    errorsRate5m(slo),
    recordingsStart(slo),
    trafficStart(slo),
    ...windowsOf(slo).map((w) => errorRatio(slo, w)),
    objective(slo),
    budget(slo),
    budgetRemaining(slo),
    currentBurnRate(slo),
    periodBurnRate(slo),
  ];
}
