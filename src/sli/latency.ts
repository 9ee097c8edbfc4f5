import { z } from 'zod';
import { formatSelector, rate, sumBy } from '../promql/build.ts';
import { leMatcher } from '../promql/le.ts';
import { type LabelMatcher, parseSelector, type Selector } from '../promql/parse.ts';
import { labelsMatching } from '../promql/synthesize.ts';
import type { SliKind, SliProblem } from './kind.ts';

const DECIMAL = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A classic histogram and a bucket boundary: events slower than `threshold` seconds are bad. The
 * threshold keeps the digits the spec's author wrote (the loader hands over the YAML's own text),
 * since the bucket is matched by its spelling; a quoted string works too.
 */
const schema = z
  .object({
    histogram: z.string().min(1),
    threshold: z
      .union([z.number(), z.string()])
      .transform((t) => String(t).trim())
      .refine(
        (t) => DECIMAL.test(t) && Number(t) > 0 && Number.isFinite(Number(t)),
        'expected a bucket boundary in seconds, a positive decimal such as 0.3 or 0.268435456',
      ),
  })
  .strict();

type LatencySli = z.infer<typeof schema>;

function histogram(sli: LatencySli): Selector {
  const parsed = parseSelector(sli.histogram);
  if ('offset' in parsed) throw new Error(`latency SLI was not checked: ${parsed.message}`);
  return parsed;
}

function series(sli: LatencySli, suffix: string, extra: LabelMatcher[] = []): string {
  const h = histogram(sli);
  return formatSelector({ metric: `${h.metric}${suffix}`, matchers: [...h.matchers, ...extra] });
}

export const latency: SliKind<LatencySli> = {
  schema,
  digitKeys: ['threshold'],
  // Client libraries create every bucket with the histogram: a missing one is a threshold that is no bucket.
  lazyErrors: false,
  total: (sli, window, by) => sumBy(by, rate(series(sli, '_count'), window)),
  errors: (sli, window, by) =>
    `${latency.total(sli, window, by)} - ${sumBy(by, rate(series(sli, '_bucket', [leMatcher(sli.threshold)]), window))}`,

  check(sli) {
    const problems: SliProblem[] = [];
    const parsed = parseSelector(sli.histogram);
    if ('offset' in parsed) {
      problems.push({
        path: ['histogram'],
        message: parsed.message,
        offset: parsed.offset,
        hint: parsed.hint,
      });
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
          matchers: [...labels, eq('le', sli.threshold)],
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
  series(sli) {
    const h = histogram(sli);
    return [
      { role: 'total', selector: { metric: `${h.metric}_count`, matchers: h.matchers } },
      {
        role: 'good',
        selector: { metric: `${h.metric}_bucket`, matchers: h.matchers },
        bucket: { threshold: sli.threshold },
      },
    ];
  },
};
