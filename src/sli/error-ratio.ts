import { z } from 'zod';
import { aggregateBy } from '../promql/build.ts';
import type { SliKind } from './kind.ts';
import { windowQueryProblems, withWindow } from './window.ts';

/**
 * An error ratio computed elsewhere (Sloth's `raw` SLI, OpenSLO's `raw` ratio metric): PromQL giving bad ÷ all
 * events, 0 to 1, over `{{window}}`. There are no event counts to weigh by, so burnbook records the 5m ratio
 * as the errors and 1 as the total of each 5m slice: a longer window is the average of its 5m ratios (as
 * the query itself would give with steady traffic), and a slice whose ratio is NaN (0/0, no traffic) reads 0.
 */
const schema = z
  .object({
    query: z.string().min(1),
  })
  .strict();

type ErrorRatioSli = z.infer<typeof schema>;

export const errorRatioKind: SliKind<ErrorRatioSli> = {
  schema,
  countsEvents: false,
  // A NaN (0/0) ratio is dropped from the errors side, which then reads 0 like errors not seen yet.
  lazyErrors: true,
  impossibleRatioHint:
    'the query must give bad ÷ all events, from 0 to 1: a percentage is 100 times too large',
  // `>= 0` drops NaN (a 0/0 ratio): the errors then fall back to 0 (sli/index.ts errorRate). Each group's
  // worst series, if the query returns several.
  errors: (sli, window, by) => aggregateBy('max', by, `(${withWindow(sli.query, window)}) >= 0`),
  // One per group that has the series at all, NaN included, so a quiet group reads 0 and not "no data".
  total: (sli, window, by) => `clamp_max(${aggregateBy('count', by, withWindow(sli.query, window))}, 1)`,
  check: (sli, { groupBy }) => windowQueryProblems('query', sli.query, groupBy),
  testSeries: () => undefined,
  series: () => undefined,
};
