import { z } from 'zod';
import { sumBy } from '../promql/build.ts';
import { dropsLabel } from '../promql/labels.ts';
import { checkPromql, withoutComments } from '../promql/parse.ts';
import { formatLabelName } from '../promql/strings.ts';
import type { SliKind, SliProblem } from './kind.ts';

const WINDOW = '{{window}}';
// Same length as the placeholder, so a syntax error's column maps straight back to the spec.
const PARSE_STAND_IN = '000000005m';

/** Arbitrary PromQL for bad and all events per second, with `{{window}}` where the range goes. */
const schema = z
  .object({
    errors: z.string().min(1),
    total: z.string().min(1),
  })
  .strict();

type QuerySli = z.infer<typeof schema>;

/** The query for `window`, comments dropped: text burnbook wraps must end where the query ends. */
function withWindow(expr: string, window: string): string {
  return withoutComments(expr.replaceAll(WINDOW, PARSE_STAND_IN)).replaceAll(PARSE_STAND_IN, window);
}

export const query: SliKind<QuerySli> = {
  schema,
  // An errors query over a code="500" series that has not appeared yet returns nothing: 0, as for ratio SLIs.
  lazyErrors: true,
  errors: (sli, window, by) => sumBy(by, withWindow(sli.errors, window)),
  total: (sli, window, by) => sumBy(by, withWindow(sli.total, window)),

  check(sli, { groupBy }) {
    const problems: SliProblem[] = [];
    for (const key of ['errors', 'total'] as const) {
      const expr = sli[key];
      if (!expr.includes(WINDOW)) {
        problems.push({
          path: [key],
          message: `expected ${WINDOW} where the range goes, so burnbook can compute every window`,
          hint: `e.g. sum(rate(my_errors_total[${WINDOW}]))`,
        });
        continue;
      }
      const text = expr.replaceAll(WINDOW, PARSE_STAND_IN);
      const error = checkPromql(text);
      if (error) {
        problems.push({
          path: [key],
          message: `PromQL does not parse: ${error.message}`,
          offset: error.offset,
          ...(error.hint ? { hint: error.hint } : {}),
        });
        continue;
      }
      // Each groupBy label must survive the query, or every group's events add up into one series.
      for (const label of groupBy) {
        const lost = dropsLabel(text, label);
        if (!lost) continue;
        const written = (s: string) => s.replaceAll(PARSE_STAND_IN, WINDOW);
        problems.push({
          path: [key],
          message:
            `${written(lost.culprit)} keeps no ${formatLabelName(label)} label, so groupBy [${groupBy.join(', ')}] ` +
            `would see one series for all of them and a failing ${label} would be averaged away`,
          offset: lost.offset,
          hint: lost.fixed
            ? `keep the label: ${written(lost.fixed).trim()}`
            : `keep ${label} in the result, e.g. sum by (${formatLabelName(label)}) (rate(my_errors_total[${WINDOW}]))`,
        });
        break;
      }
    }
    return problems;
  },

  testSeries: () => undefined,
  series: () => undefined,
};
