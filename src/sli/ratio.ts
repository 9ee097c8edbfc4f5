import { z } from 'zod';
import { formatSelector, rate, sumBy } from '../promql/build.ts';
import { parseSelector, type Selector } from '../promql/parse.ts';
import { labelsMatching, labelsMissing } from '../promql/synthesize.ts';
import type { SliKind, SliProblem } from './kind.ts';

/** Bad events and all events, each a counter selector: `errors / total`. */
const schema = z
  .object({
    errors: z.string().min(1),
    total: z.string().min(1),
  })
  .strict();

type RatioSli = z.infer<typeof schema>;

function normalized(s: Selector): string {
  return formatSelector({
    metric: s.metric,
    matchers: [...s.matchers].sort((a, b) => (a.name < b.name ? -1 : 1)),
  });
}

/** The selector as parsed, printed again: the spec's text is never spliced into a rule. */
function selector(text: string): string {
  return formatSelector(parsed(text));
}

function parsed(text: string): Selector {
  const result = parseSelector(text);
  if ('offset' in result) throw new Error(`ratio SLI was not checked: ${result.message}`);
  return result;
}

export const ratio: SliKind<RatioSli> = {
  schema,
  lazyErrors: true,
  errors: (sli, window, by) => sumBy(by, rate(selector(sli.errors), window)),
  total: (sli, window, by) => sumBy(by, rate(selector(sli.total), window)),

  check(sli) {
    const problems: SliProblem[] = [];
    const parsed: Record<'errors' | 'total', Selector | undefined> = { errors: undefined, total: undefined };
    for (const key of ['errors', 'total'] as const) {
      const result = parseSelector(sli[key]);
      if ('offset' in result) {
        problems.push({
          path: [key],
          message: result.message,
          offset: result.offset,
          hint: result.hint ?? 'a ratio SLI takes counter selectors; use a query SLI for arbitrary PromQL',
        });
      } else parsed[key] = result;
    }
    if (parsed.errors && parsed.total && normalized(parsed.errors) === normalized(parsed.total)) {
      problems.push({
        path: ['errors'],
        message: 'the errors selector is the same as the total selector, so the error ratio is always 1',
        hint: 'narrow errors to the bad events, e.g. add code=~"5.."',
      });
    }
    return problems;
  },

  testSeries(sli) {
    const errors = parseSelector(sli.errors);
    const total = parseSelector(sli.total);
    if ('offset' in errors || 'offset' in total) return undefined;
    const bad = labelsMatching([
      ...errors.matchers,
      ...(errors.metric === total.metric ? total.matchers : []),
    ]);
    if (!bad) return undefined;
    if (errors.metric !== total.metric) {
      // Separate counters: the errors counter counts bad events, the total counter all of them.
      const all = labelsMatching(total.matchers);
      if (!all) return undefined;
      return [
        { selector: formatSelector({ metric: errors.metric, matchers: bad }), counts: 'bad' },
        { selector: formatSelector({ metric: total.metric, matchers: all }), counts: 'all' },
      ];
    }
    // One counter split by a label (code="500" vs code="200"): good events are a series the
    // total selector matches and the errors selector does not.
    const good = labelsMissing(total.matchers, errors.matchers);
    if (!good) return undefined;
    return [
      { selector: formatSelector({ metric: total.metric, matchers: good }), counts: 'good' },
      { selector: formatSelector({ metric: total.metric, matchers: bad }), counts: 'bad' },
    ];
  },
  series: (sli) => [
    { role: 'total', selector: parsed(sli.total) },
    { role: 'errors', selector: parsed(sli.errors) },
  ],
};
