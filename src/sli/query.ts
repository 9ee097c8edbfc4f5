import { z } from 'zod';
import { sumBy } from '../promql/build.ts';
import { checkPromql } from '../promql/parse.ts';
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

function withWindow(expr: string, window: string): string {
  return expr.trim().replaceAll(WINDOW, window);
}

export const query: SliKind<QuerySli> = {
  schema,
  errors: (sli, window, by) => sumBy(by, withWindow(sli.errors, window)),
  total: (sli, window, by) => sumBy(by, withWindow(sli.total, window)),

  check(sli) {
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
      const error = checkPromql(expr.replaceAll(WINDOW, PARSE_STAND_IN));
      if (error)
        problems.push({
          path: [key],
          message: `PromQL does not parse: ${error.message}`,
          offset: error.offset,
        });
    }
    return problems;
  },

  testSeries: () => undefined,
};
