import { errorRatioRecord, RECORDS, sloIdentity, sloLabels, windowsOf } from '../../conventions/names.ts';
import { errorBudget } from '../../policy/burn.ts';
import { formatDuration } from '../../policy/duration.ts';
import { formatNumber } from '../../policy/number.ts';
import { labelSelector, ratioOrZero } from '../../promql/build.ts';
import { errorRate, totalRate } from '../../sli/index.ts';
import { BASE_WINDOW_MS, type Slo } from '../../spec/model.ts';

export interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

/** One small function per rule kind, as in Pyrra's slo/rules.go. */

function rule(slo: Slo, record: string, expr: string): RecordingRule {
  return { record, expr, labels: sloLabels(slo) };
}

function own(slo: Slo, record: string): string {
  return labelSelector(record, sloIdentity(slo));
}

/** The only rules that read the raw, high-cardinality series. */
export function errorsRate5m(slo: Slo): RecordingRule {
  return rule(slo, RECORDS.errors, errorRate(slo.sli, '5m', slo.groupBy));
}

export function totalRate5m(slo: Slo): RecordingRule {
  return rule(slo, RECORDS.total, totalRate(slo.sli, '5m', slo.groupBy));
}

/**
 * Errors over total for one window. Longer windows sum the 5m rates, so every 5m slice
 * counts by its traffic (not an average of ratios) and raw data is never read again.
 * No traffic means no errors (`ratioOrZero`).
 */
export function errorRatio(slo: Slo, windowMs: number): RecordingRule {
  const [errors, total] = [own(slo, RECORDS.errors), own(slo, RECORDS.total)];
  const w = formatDuration(windowMs);
  const [e, t] =
    windowMs === BASE_WINDOW_MS
      ? [errors, total]
      : [`sum_over_time(${errors}[${w}])`, `sum_over_time(${total}[${w}])`];
  return rule(slo, errorRatioRecord(windowMs), ratioOrZero(e, t));
}

export function objective(slo: Slo): RecordingRule {
  return rule(slo, RECORDS.objective, `vector(${formatNumber(slo.objective / 100, 12)})`);
}

export function budget(slo: Slo): RecordingRule {
  return rule(slo, RECORDS.errorBudget, `vector(${formatNumber(errorBudget(slo.objective), 12)})`);
}

export function budgetRemaining(slo: Slo): RecordingRule {
  const period = own(slo, errorRatioRecord(slo.periodMs));
  return rule(slo, RECORDS.budgetRemaining, `1 - ${period} / ${formatNumber(errorBudget(slo.objective))}`);
}

export function currentBurnRate(slo: Slo): RecordingRule {
  const now = own(slo, errorRatioRecord(BASE_WINDOW_MS));
  return rule(slo, RECORDS.currentBurnRate, `${now} / ${formatNumber(errorBudget(slo.objective))}`);
}

export function periodBurnRate(slo: Slo): RecordingRule {
  const period = own(slo, errorRatioRecord(slo.periodMs));
  return rule(slo, RECORDS.periodBurnRate, `${period} / ${formatNumber(errorBudget(slo.objective))}`);
}

export function recordingRules(slo: Slo): RecordingRule[] {
  return [
    errorsRate5m(slo),
    totalRate5m(slo),
    ...windowsOf(slo).map((w) => errorRatio(slo, w)),
    objective(slo),
    budget(slo),
    budgetRemaining(slo),
    currentBurnRate(slo),
    periodBurnRate(slo),
  ];
}
