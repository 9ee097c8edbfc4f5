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

function parsed(sli: BoolGaugeSli): Selector {
  const selector = parseSelector(sli.metric);
  if ('offset' in selector) throw new Error(`boolGauge SLI was not checked: ${selector.message}`);
  return selector;
}

function selector(sli: BoolGaugeSli): string {
  return formatSelector(parsed(sli));
}

function perSecond(expr: string, window: string): string {
  return `${expr} / ${(parseDuration(window) as number) / 1000}`;
}

export const boolGauge: SliKind<BoolGaugeSli> = {
  schema,
  // Both sides count the same gauge's samples: errors exist whenever total does.
  lazyErrors: false,
  impossibleRatioHint:
    'a boolGauge metric must read 0 or 1 (probe_success, up); a percentage or a count is none: use a ratio or query SLI',
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
  // Errors and total are the one gauge: the live check asks for it once.
  series: (sli) => [{ role: 'total', selector: parsed(sli) }],
};
