import type { LabelMatcher, Selector } from './parse.ts';
import { formatLabelName, isLegacyMetricName, quoteString } from './strings.ts';

/**
 * Small builders so generated PromQL reads the same everywhere. Every name and value goes through
 * them: values are quoted as Prometheus decodes them, UTF-8 names (`http.route`) are quoted.
 */

export function quote(value: string): string {
  return quoteString(value);
}

export function formatMatchers(matchers: readonly LabelMatcher[]): string {
  return matchers.map((m) => `${formatLabelName(m.name)}${m.op}${quote(m.value)}`).join(', ');
}

/**
 * `metric{...}`; a metric name that is not a legacy one becomes `{__name__="http.server.duration", ...}`,
 * which Prometheus 2 and 3 both read (3 also reads `{"http.server.duration"}`).
 */
export function formatSelector({ metric, matchers }: Selector): string {
  if (!isLegacyMetricName(metric)) {
    return `{${formatMatchers([{ name: '__name__', op: '=', value: metric }, ...matchers])}}`;
  }
  return matchers.length ? `${metric}{${formatMatchers(matchers)}}` : metric;
}

/** `(tenant, "http.route")` for `by`, `on` and `without`. */
export function labelList(names: readonly string[]): string {
  return `(${names.map(formatLabelName).join(', ')})`;
}

/** `{slo_service="checkout", slo="availability"}` from a label map. */
export function labelSelector(metric: string, labels: Record<string, string>): string {
  return formatSelector({
    metric,
    matchers: Object.entries(labels).map(([name, value]) => ({ name, op: '=', value })),
  });
}

/** `sum by (a, b) (expr)`, or `sum(expr)` without labels; likewise for other aggregations. */
export function aggregateBy(op: 'sum' | 'max' | 'count', by: readonly string[], expr: string): string {
  return by.length ? `${op} by ${labelList(by)} (${expr})` : `${op}(${expr})`;
}

export function sumBy(by: readonly string[], expr: string): string {
  return aggregateBy('sum', by, expr);
}

export function rate(selector: string, window: string): string {
  return `rate(${selector}[${window}])`;
}

/** Sets labels on every series of `expr`; label_replace with an empty regex always matches. */
export function withLabels(expr: string, labels: Record<string, string>): string {
  return Object.entries(labels).reduce(
    (inner, [name, value]) => `label_replace(${inner}, ${quote(name)}, ${quote(value)}, "", "")`,
    expr,
  );
}

/**
 * Only the series of `expr` whose labels have these values. Works on any expression, an SLI's arbitrary
 * query included, because it filters the result instead of rewriting the selectors inside it.
 */
export function scopedTo(expr: string, labels: Record<string, string>): string {
  const names = Object.keys(labels);
  if (names.length === 0) return expr;
  return `(${expr})\nand on ${labelList(names)}\n${withLabels('vector(1)', labels)}`;
}

/**
 * `errors / total`, but 0 where there was no traffic (0 / 0), and nothing where either side is missing: an
 * SLI that cannot be computed (no total, no latency bucket) reads "no data", never a perfect 0. Dividing by
 * the total clamped to a rate no counter has (1e-300/s) turns 0 / 0 into 0 and reads each side once; the
 * `(total > 0) or 0 * total` it replaces read the total twice and made a missing errors side 0.
 */
export function ratioOrZero(errors: string, total: string): string {
  return `${errors} / clamp_min(${total}, 1e-300)`;
}
