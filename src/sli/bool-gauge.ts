import { z } from 'zod';
import { parseDuration } from '../policy/duration.ts';
import { formatSelector, sumBy } from '../promql/build.ts';
import { parseSelector, type Selector } from '../promql/parse.ts';
import type { SliKind, SliProblem } from './kind.ts';

/**
 * A gauge that is 1 when things are good and 0 when not (`probe_success`, `up`), as Pyrra's `bool_gauge`:
 * every sample is an event, a 0 a bad one. Rates are samples per second, so `minEvents` counts samples.
 */
const schema = z
  .object({
    metric: z.string().min(1),
  })
  .strict();

type BoolGaugeSli = z.infer<typeof schema>;

function selector(sli: BoolGaugeSli): string {
  const parsed = parseSelector(sli.metric);
  if ('offset' in parsed) throw new Error(`boolGauge SLI was not checked: ${parsed.message}`);
  return formatSelector(parsed);
}

function perSecond(expr: string, window: string): string {
  return `${expr} / ${(parseDuration(window) as number) / 1000}`;
}

export const boolGauge: SliKind<BoolGaugeSli> = {
  schema,
  total: (sli, window, by) => perSecond(sumBy(by, `count_over_time(${selector(sli)}[${window}])`), window),
  errors: (sli, window, by) => {
    const s = selector(sli);
    return perSecond(sumBy(by, `count_over_time(${s}[${window}]) - sum_over_time(${s}[${window}])`), window);
  },

  check(sli) {
    const parsed: Selector | { offset: number; message: string; hint?: string } = parseSelector(sli.metric);
    if (!('offset' in parsed)) return [];
    const problem: SliProblem = { path: ['metric'], message: parsed.message, offset: parsed.offset };
    return [
      {
        ...problem,
        hint: parsed.hint ?? 'a boolGauge SLI takes one gauge selector, e.g. probe_success{job="blackbox"}',
      },
    ];
  },

  // A 0/1 gauge is not a counter the generated tests could grow: like a query SLI, no generated test.
  testSeries: () => undefined,
};
