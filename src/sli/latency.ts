import { z } from 'zod';
import { formatNumber } from '../policy/number.ts';
import { formatSelector, rate, sumBy } from '../promql/build.ts';
import { type LabelMatcher, parseSelector, type Selector } from '../promql/parse.ts';
import { labelsMatching } from '../promql/synthesize.ts';
import type { SliKind, SliProblem } from './kind.ts';

/** A classic histogram and a bucket boundary: events slower than `threshold` seconds are bad. */
const schema = z
  .object({
    histogram: z.string().min(1),
    threshold: z.number().positive(),
  })
  .strict();

type LatencySli = z.infer<typeof schema>;

function histogram(sli: LatencySli): Selector {
  const parsed = parseSelector(sli.histogram);
  if ('offset' in parsed) throw new Error(`latency SLI was not checked: ${parsed.message}`);
  return parsed;
}

// Client libraries write integer bounds as `le="1"`, Prometheus 3 normalises them to `le="1.0"`.
function leMatcher(threshold: number): LabelMatcher {
  const le = formatNumber(threshold);
  return Number.isInteger(threshold)
    ? { name: 'le', op: '=~', value: `${le}(\\.0)?` }
    : { name: 'le', op: '=', value: le };
}

function series(sli: LatencySli, suffix: string, extra: LabelMatcher[] = []): string {
  const h = histogram(sli);
  return formatSelector({ metric: `${h.metric}${suffix}`, matchers: [...h.matchers, ...extra] });
}

export const latency: SliKind<LatencySli> = {
  schema,
  total: (sli, window, by) => sumBy(by, rate(series(sli, '_count'), window)),
  errors: (sli, window, by) =>
    `${latency.total(sli, window, by)} - ${sumBy(by, rate(series(sli, '_bucket', [leMatcher(sli.threshold)]), window))}`,

  check(sli) {
    const problems: SliProblem[] = [];
    const parsed = parseSelector(sli.histogram);
    if ('offset' in parsed) {
      problems.push({ path: ['histogram'], message: parsed.message, offset: parsed.offset });
    } else if (/_(bucket|count|sum)$/.test(parsed.metric)) {
      problems.push({
        path: ['histogram'],
        message: `expected the histogram's base name, not its ${parsed.metric.replace(/.*_/, '_')} series`,
        hint: `write ${parsed.metric.replace(/_(bucket|count|sum)$/, '')}`,
      });
    } else if (parsed.matchers.some((m) => m.name === 'le')) {
      problems.push({
        path: ['histogram'],
        message: 'burnbook picks the le bucket from threshold; remove le',
      });
    }
    return problems;
  },

  testSeries(sli) {
    const h = histogram(sli);
    const labels = labelsMatching(h.matchers);
    if (!labels) return undefined;
    const eq = (name: string, value: string): LabelMatcher => ({ name, op: '=', value });
    return [
      {
        selector: formatSelector({
          metric: `${h.metric}_bucket`,
          matchers: [...labels, eq('le', formatNumber(sli.threshold))],
        }),
        counts: 'good',
      },
      {
        selector: formatSelector({ metric: `${h.metric}_bucket`, matchers: [...labels, eq('le', '+Inf')] }),
        counts: 'all',
      },
      { selector: formatSelector({ metric: `${h.metric}_count`, matchers: labels }), counts: 'all' },
    ];
  },
};
