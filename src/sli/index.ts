import { z } from 'zod';
import { utf8Names } from '../promql/parse.ts';
import { boolGauge } from './bool-gauge.ts';
import { errorRatioKind } from './error-ratio.ts';
import type { SliContext, SliKind, SliProblem, SliSeries, TestSeries } from './kind.ts';
import { latency } from './latency.ts';
import { query } from './query.ts';
import { ratio } from './ratio.ts';

/** Every SLI kind burnbook knows. A spec's `sli:` holds exactly one of these keys. */
export const SLI_KINDS = { ratio, latency, query, errorRatio: errorRatioKind, boolGauge } as const;

type Kinds = typeof SLI_KINDS;
export type SliKindName = keyof Kinds;
type SpecOf<K extends SliKindName> = Kinds[K] extends SliKind<infer S> ? S : never;

/** The SLI of the model: which kind, and that kind's spec. */
export type Sli = { [K in SliKindName]: { kind: K; spec: SpecOf<K> } }[SliKindName];

const names = Object.keys(SLI_KINDS) as SliKindName[];

export const sliSchema = z
  .object({
    ratio: ratio.schema.optional(),
    latency: latency.schema.optional(),
    query: query.schema.optional(),
    errorRatio: errorRatioKind.schema.optional(),
    boolGauge: boolGauge.schema.optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const given = names.filter((k) => value[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: given.length
          ? `expected exactly one of ${names.join(' | ')}, got ${given.join(' and ')}`
          : `expected one of ${names.join(' | ')}`,
      });
    }
  })
  .transform((value): Sli => {
    const kind = names.find((k) => value[k] !== undefined) as SliKindName;
    return { kind, spec: value[kind] } as Sli;
  });

function kindOf(sli: Sli): SliKind<unknown> {
  return SLI_KINDS[sli.kind] as SliKind<unknown>;
}

/**
 * Rate of bad events. An errors selector that matches nothing yet (client libraries create
 * the `code="500"` series on the first 500) still yields 0 for every group that has traffic; where a
 * missing series means the SLI cannot be computed (a latency bucket), it yields nothing (SliKind.lazyErrors).
 */
export function errorRate(sli: Sli, window: string, by: readonly string[]): string {
  return errorRateOr(sli, window, by, `0 * ${totalRate(sli, window, by)}`);
}

/**
 * The rate of bad events, or `zero` (an expression worth 0 for every group with traffic) where an errors
 * series that may lag (SliKind.lazyErrors) matches nothing yet. The rules pass their own total rate
 * recording, so the raw total is read once.
 */
export function errorRateOr(sli: Sli, window: string, by: readonly string[], zero: string): string {
  const kind = kindOf(sli);
  const errors = kind.errors(sli.spec, window, by);
  return kind.lazyErrors ? `${errors} or ${zero}` : errors;
}

/** The rate of bad events as the SLI defines it, without the 0 that stands in for errors not seen yet. */
export function errorsOnly(sli: Sli, window: string, by: readonly string[]): string {
  return kindOf(sli).errors(sli.spec, window, by);
}

/** Whether the SLI's errors series may appear only with the first error (SliKind.lazyErrors). */
export function errorsLag(sli: Sli): boolean {
  return kindOf(sli).lazyErrors;
}

export function totalRate(sli: Sli, window: string, by: readonly string[]): string {
  return kindOf(sli).total(sli.spec, window, by);
}

/** Error ratio straight from the raw SLI: for first-look queries and Prometheus without burnbook's rules. */
export function errorRatio(sli: Sli, window: string, by: readonly string[]): string {
  return `(${errorRate(sli, window, by)}) / ${totalRate(sli, window, by)}`;
}

// Kinds whose PromQL is used as written; the others' metric names are rebuilt as __name__="...".
const AS_WRITTEN = new Set<SliKindName>(['query', 'errorRatio']);

/** What to fix when the SLI's error ratio falls outside 0 to 1 (SliKind.impossibleRatioHint). */
export function impossibleRatioHint(sli: Sli): string {
  return (
    kindOf(sli).impossibleRatioHint ??
    'are errors and total swapped? errors must select the failed events among those total counts'
  );
}

/** Whether the SLI's total counts events, which `minEvents` needs. */
export function countsEvents(sli: Sli): boolean {
  return kindOf(sli).countsEvents !== false;
}

export function checkSli(sli: Sli, context: SliContext): SliProblem[] {
  const problems = kindOf(sli).check(sli.spec, context);
  if (!problems.length && !context.utf8Names) {
    for (const [key, text] of Object.entries(sli.spec as Record<string, unknown>)) {
      if (typeof text !== 'string') continue;
      for (const { name, offset } of utf8Names(text, AS_WRITTEN.has(sli.kind))) {
        problems.push({ path: [key], offset, ...UTF8_NAME_PROBLEM(name) });
      }
    }
  }
  return problems.map((p) => ({ ...p, path: [sli.kind, ...p.path] }));
}

/** What to say about a UTF-8 name when the Prometheus checked against predates them. */
export function UTF8_NAME_PROBLEM(name: string): { message: string; hint: string } {
  return {
    message: `"${name}" is a UTF-8 label name, which only Prometheus 3 reads; the promtool burnbook checks with is older`,
    hint: 'install promtool 3.x to check rules for Prometheus 3, or use the legacy name your exporter also offers (http_route)',
  };
}

/** For each SLI kind, the keys whose numbers keep the spec's own digits (see SliKind.digitKeys). */
export function digitKeys(kind: string): readonly string[] {
  return (SLI_KINDS as Record<string, SliKind<unknown>>)[kind]?.digitKeys ?? [];
}

export function sliTestSeries(sli: Sli): TestSeries[] | undefined {
  return kindOf(sli).testSeries(sli.spec);
}

/** The raw series an SLI reads (SliKind.series); undefined for arbitrary queries. */
export function sliSeries(sli: Sli): SliSeries[] | undefined {
  return kindOf(sli).series(sli.spec);
}
