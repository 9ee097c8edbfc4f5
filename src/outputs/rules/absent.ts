import { alertLabels, alertName, errorRatioRecord, RECORDS, sloIdentity } from '../../conventions/names.ts';
import { IMPOSSIBLE_ERROR_RATIO, NEGATIVE_ERROR_RATIO } from '../../policy/burn.ts';
import { formatDuration } from '../../policy/duration.ts';
import { BASE_WINDOW_MS } from '../../policy/windows.ts';
import { formatSelector, labelSelector } from '../../promql/build.ts';
import { errorsLag, sliSeries } from '../../sli/index.ts';
import { type AbsentAlert, alertingTiers, type Slo } from '../../spec/model.ts';
import { type AlertingRule, type AlertOptions, type AnnotationValues, TEMPLATE_VALUES } from './alerting.ts';

/**
 * The absent-SLI alert (Pyrra's SLOMetricAbsent): the SLI cannot be computed, so the SLO reads "no data"
 * and none of its burn-rate alerts can fire. It reads burnbook's own 5m recordings, not the raw series (the
 * 5m rules stay the only ones that do), so it also fires when those rules fail to evaluate.
 */

/**
 * No 5m total recorded at all (every group gone: the target is not scraped, the metric renamed, the rules
 * failing), or, for SLIs whose errors side cannot lag (a latency bucket), a group with a total and no
 * errors: the bucket does not exist; or an error ratio above 1 (errors and total swapped?), which the burn
 * tiers refuse, or below 0 (a boolGauge over a gauge that is no 0/1): the evaluator's broken SLI reasons.
 * Every side is 1, so `$value` means nothing here.
 */
export function absentExpr(slo: Slo): string {
  const id = sloIdentity(slo);
  const total = labelSelector(RECORDS.total, id);
  const fastest = slo.alerting.tiers[0];
  // A ratio outside 0..1 over the fastest tier's long window: the SLI reads, but nothing of it means anything.
  const ratio = fastest ? labelSelector(errorRatioRecord(fastest.longMs), id) : '';
  const impossible = fastest
    ? `\nor\n(${ratio} > ${IMPOSSIBLE_ERROR_RATIO} or ${ratio} < ${NEGATIVE_ERROR_RATIO}) * 0 + 1`
    : '';
  const absent = `absent(${total})`;
  // A group seen within the lookback that reads nothing now, while others still do (with none left, the
  // SLO-wide `absent` says it once): its target stopped being scraped, and it must not drop silently.
  const vanished = slo.groupBy.length
    ? `\nor\n(max_over_time(${total}[${formatDuration(vanishedGroupLookbackMs(slo))}]) unless ${total}) * 0 + 1 unless on() ${absent}`
    : '';
  const bucketless = errorsLag(slo.sli)
    ? ''
    : `\nor\n(${total} unless ${labelSelector(RECORDS.errors, id)}) * 0 + 1`;
  return `${absent}${bucketless}${vanished}${impossible}`;
}

/**
 * How long a vanished group of a groupBy SLO stays reported ("no data since …" on the pages, the absent-SLI
 * alert for its labels), in ms: the fastest tier's long window, after which the group has left every window
 * the page tier reads (a group removed on purpose, a tenant offboarded, stops alerting by itself); at least
 * the absent alert's `for` plus the 5m base window, so the alert can fire at all.
 */
export function vanishedGroupLookbackMs(slo: Slo): number {
  const fastest = slo.alerting.tiers[0];
  return Math.max(fastest?.longMs ?? BASE_WINDOW_MS, (slo.alerting.absent?.forMs ?? 0) + 2 * BASE_WINDOW_MS);
}

/**
 * What the SLI needs to exist, as the description names it: its total series, and a latency SLI's bucket.
 * Free of `: ` and `'`, like all of the description, so the YAML writer's fast path keeps it plain.
 */
function needed(slo: Slo): string {
  const series = sliSeries(slo.sli);
  if (!series) return 'the total query returns nothing';
  const named = series
    .filter((s) => s.role !== 'errors')
    .map((s) =>
      s.bucket ? `its bucket le="${s.bucket.threshold}"` : `${formatSelector(s.selector)} (the total)`,
    );
  return `${named.join(' or ')} matches no series`;
}

/** For a groupBy SLO, the group that vanished alone, as the description names it. */
function vanishedText(slo: Slo): string {
  if (!slo.groupBy.length) return '';
  const lookback = formatDuration(vanishedGroupLookbackMs(slo));
  return `, or a group (${slo.groupBy.join(', ')}) seen within the last ${lookback} reads nothing now (its target no longer scraped?)`;
}

export function absentAnnotations(
  slo: Slo,
  absent: AbsentAlert,
  opts: AlertOptions,
  values: AnnotationValues = TEMPLATE_VALUES,
): Record<string, string> {
  // Silent tiers (alerting disabled) would not fire anyway.
  const tiers = alertingTiers(slo).length;
  const consequence = tiers
    ? `its ${tiers} burn-rate alert${tiers === 1 ? '' : 's'} cannot fire`
    : 'its error budget is not measured';
  return {
    summary: `${slo.service}/${slo.name} reads no usable SLI data, so ${tiers ? 'its burn-rate alerts cannot fire' : consequence}`,
    description:
      `For ${formatDuration(absent.forMs)} there has been no SLI to compute for ${slo.service}/${slo.name}. ` +
      `Either ${needed(slo)}${vanishedText(slo)}, or its error ratio reads above 1 or below 0 (errors and total swapped?), or the ` +
      'recording rules burnbook generated for it fail (see its rule group on the /rules page of Prometheus). ' +
      `Until it is back the SLO reads no data and ${consequence}. ` +
      'Run burnbook validate --prometheus-url to see what is missing.',
    runbook_url: opts.urls.runbook(slo, absent),
    ...(opts.grafana ? { dashboard_url: opts.grafana.sloDashboard(slo, values.label) } : {}),
    ...slo.alerting.annotations,
    ...slo.alerting.severities[absent.severity]?.annotations,
  };
}

export function absentAlertingRule(slo: Slo, absent: AbsentAlert, opts: AlertOptions): AlertingRule {
  return {
    alert: alertName(slo, absent),
    expr: absentExpr(slo),
    for: formatDuration(absent.forMs),
    labels: alertLabels(slo, absent),
    annotations: absentAnnotations(slo, absent, opts),
  };
}
