import { z } from 'zod';
import { sumBy } from '../promql/build.ts';
import type { SliKind } from './kind.ts';
import { windowQueryProblems, withWindow } from './window.ts';

/** Arbitrary PromQL for bad and all events per second, with `{{window}}` (or Sloth's `{{.window}}`) where the range goes. */
const schema = z
  .object({
    errors: z.string().min(1),
    total: z.string().min(1),
  })
  .strict();

type QuerySli = z.infer<typeof schema>;

export const query: SliKind<QuerySli> = {
  schema,
  // An errors query over a code="500" series that has not appeared yet returns nothing: 0, as for ratio SLIs.
  lazyErrors: true,
  errors: (sli, window, by) => sumBy(by, withWindow(sli.errors, window)),
  total: (sli, window, by) => sumBy(by, withWindow(sli.total, window)),

  check(sli, { groupBy }) {
    return (['errors', 'total'] as const).flatMap((key) => windowQueryProblems(key, sli[key], groupBy));
  },

  testSeries: () => undefined,
  series: () => undefined,
};
