import type { LabelMatcher, Selector } from './parse.ts';

/** Small builders so generated PromQL reads the same everywhere. */

export function quote(value: string): string {
  return JSON.stringify(value);
}

export function formatMatchers(matchers: readonly LabelMatcher[]): string {
  return matchers.map((m) => `${m.name}${m.op}${quote(m.value)}`).join(', ');
}

export function formatSelector({ metric, matchers }: Selector): string {
  return matchers.length ? `${metric}{${formatMatchers(matchers)}}` : metric;
}

/** `{slo_service="checkout", slo="availability"}` from a label map. */
export function labelSelector(metric: string, labels: Record<string, string>): string {
  return formatSelector({
    metric,
    matchers: Object.entries(labels).map(([name, value]) => ({ name, op: '=', value })),
  });
}

export function sumBy(by: readonly string[], expr: string): string {
  return by.length ? `sum by (${by.join(', ')}) (${expr})` : `sum(${expr})`;
}

export function rate(selector: string, window: string): string {
  return `rate(${selector}[${window}])`;
}
