import type { PrometheusClient } from '../prometheus/client.ts';
import { formatSelector } from '../promql/build.ts';
import { type LabelMatcher, matcherMatches, type Selector } from '../promql/parse.ts';
import { closest } from '../text/closest.ts';

/**
 * Why a selector matches no series now, asked of Prometheus's label index (no samples are read): whether
 * it matched some before, and if it never did, which part of it matches nothing.
 */
export type Absence =
  /** Series matched it within what Prometheus keeps, none now. */
  | { kind: 'gone' }
  /** No series of that name, ever; `suggestion` is a metric name a typo away. */
  | { kind: 'no-metric'; suggestion?: string }
  /** The metric never had the label; `labels` are those it has. */
  | { kind: 'no-label'; matcher: LabelMatcher; labels: string[]; suggestion?: string }
  /** The label has values, none of which the matcher takes; `values` are some of them. */
  | { kind: 'no-value'; matcher: LabelMatcher; values: string[]; count: number; suggestion?: string }
  /** Each matcher matches some series of the metric, but never all of them one series. */
  | { kind: 'no-combination' };

/** What the check asks Prometheus; the client, wrapped so one run asks each question once. */
export type LabelIndex = Pick<PrometheusClient, 'labelValues' | 'labelNames'>;

// Enough values to recognise them by in a report; a label with thousands names a few.
const VALUES_SHOWN = 10;

// Names for "did you mean" come from the series of the last hour: what is scraped now, a much shorter
// list than every name ever kept.
const ACTIVE_MS = 3_600_000;

/**
 * Metric names with series in the last hour; none when Prometheus will not list them (an answer over the
 * client's size limit on a very large Prometheus): a suggestion is not worth failing the check for.
 */
async function activeMetricNames(index: LabelIndex): Promise<string[]> {
  try {
    // Whole minutes, so the SLIs of one run ask the same question and it is asked once.
    const since = Math.floor((Date.now() - ACTIVE_MS) / 60_000) * 60_000;
    return await index.labelValues('__name__', [], new Date(since));
  } catch {
    return [];
  }
}

/**
 * Why `selector` matches nothing now: gone since, or never matched, and then the first part of it that
 * matches nothing. Throws what the client throws (PrometheusError).
 */
export async function whyAbsent(index: LabelIndex, selector: Selector): Promise<Absence> {
  if ((await index.labelValues('__name__', [formatSelector(selector)])).length) return { kind: 'gone' };
  const metric = formatSelector({ metric: selector.metric, matchers: [] });
  if (!(await index.labelValues('__name__', [metric])).length) {
    const suggestion = closest(selector.metric, await activeMetricNames(index));
    return { kind: 'no-metric', ...(suggestion ? { suggestion } : {}) };
  }
  for (const matcher of selector.matchers) {
    const values = await index.labelValues(matcher.name, [metric]);
    if (!values.length) {
      // A series without the label has it empty: `code!="200"` or `code=~".*"` still select it.
      if (matcherMatches(matcher, '')) continue;
      const labels = (await index.labelNames([metric])).filter((l) => l !== '__name__');
      const suggestion = closest(matcher.name, labels);
      return { kind: 'no-label', matcher, labels, ...(suggestion ? { suggestion } : {}) };
    }
    if (!values.some((v) => matcherMatches(matcher, v)) && !matcherMatches(matcher, '')) {
      const suggestion = matcher.op === '=' ? closest(matcher.value, values) : undefined;
      return {
        kind: 'no-value',
        matcher,
        values: values.slice(0, VALUES_SHOWN),
        count: values.length,
        ...(suggestion ? { suggestion } : {}),
      };
    }
  }
  return { kind: 'no-combination' };
}

/**
 * The absence in a sentence, after the selector: "…: no series named x; did you mean y?". `lazy`: the
 * series may appear only with the first event it counts (an errors counter), which the hint then says.
 */
export function absenceText(
  absence: Absence,
  selector: Selector,
  lazy: boolean,
): { message: string; hint?: string } {
  const { metric } = selector;
  const matcher = (m: LabelMatcher) => `${m.name}${m.op}${JSON.stringify(m.value)}`;
  switch (absence.kind) {
    case 'gone':
      return {
        message: 'matched series before, but none now',
        hint: 'is the target still scraped, with the same labels? (up, and the Targets page of Prometheus)',
      };
    case 'no-metric':
      return {
        message: `matches nothing, ever: Prometheus has no series named ${metric}`,
        hint: absence.suggestion
          ? `did you mean ${absence.suggestion}?`
          : lazy
            ? 'check the name; a counter the service creates on its first error shows up only then (initialise it at 0)'
            : 'check the name, and that its target is scraped (up, and the Targets page of Prometheus)',
      };
    case 'no-label':
      return {
        message: `matches nothing, ever: no series of ${metric} has a label ${absence.matcher.name} (it has ${absence.labels.join(', ') || 'none'})`,
        ...(absence.suggestion ? { hint: `did you mean ${absence.suggestion}?` } : {}),
      };
    case 'no-value': {
      const more = absence.count > absence.values.length ? `, … (${absence.count} values)` : '';
      return {
        message: `has no series with ${matcher(absence.matcher)}: ${absence.matcher.name} has taken ${absence.values.join(', ')}${more}`,
        ...(absence.suggestion
          ? { hint: `did you mean ${absence.matcher.name}="${absence.suggestion}"?` }
          : {}),
      };
    }
    case 'no-combination':
      return {
        message: `has no series that matches all of its matchers at once (each matches some series of ${metric})`,
      };
  }
}
