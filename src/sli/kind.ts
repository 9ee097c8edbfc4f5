import type { z } from 'zod';
import type { Selector } from '../promql/parse.ts';

/** A problem in an SLI's spec, relative to the SLI object: `offset` is a column within the string at `path`. */
export interface SliProblem {
  path: (string | number)[];
  message: string;
  hint?: string;
  offset?: number;
}

/** What of the SLO around it an SLI's checks need. */
export interface SliContext {
  groupBy: readonly string[];
  /** Whether the Prometheus burnbook checks against reads UTF-8 label names (Prometheus 3). */
  utf8Names: boolean;
}

/** What a synthetic series counts in a promtool test: good events, bad events, or all of them. */
export type Counts = 'good' | 'bad' | 'all';

export interface TestSeries {
  selector: string;
  counts: Counts;
}

/**
 * A raw series selector an SLI reads, for the live check (`validate --prometheus-url`) and the absent-SLI
 * alert's texts. `total` and `good` must exist for the SLI to have a ratio; `errors` may not exist yet.
 */
export interface SliSeries {
  role: 'total' | 'errors' | 'good';
  selector: Selector;
  /** A latency SLI's bucket: `selector` without `le`, and the boundary it needs (the spec's digits). */
  bucket?: { threshold: string };
}

/**
 * One kind of SLI. Everything burnbook does with an SLI goes through these functions, so a
 * new kind is one new file plus one line in `index.ts`.
 */
export interface SliKind<Spec> {
  schema: z.ZodType<Spec>;
  /**
   * Keys of the spec whose numbers keep the digits the author wrote (`0.2684354560`): the loader
   * passes the YAML's own text for them instead of the parsed float.
   */
  digitKeys?: readonly string[];
  /**
   * False when `total` is not a count of events (a ratio computed elsewhere): `minEvents` then means nothing
   * and is refused.
   */
  countsEvents?: false;
  /**
   * Whether the errors series may not exist yet while total does, so that 0 stands in for it: client
   * libraries create a `code="500"` series on the first 500. False where a missing errors series means the
   * SLI cannot be computed (a histogram has every bucket from its first observation): "no data", never 0.
   */
  lazyErrors: boolean;
  /**
   * What makes this kind's error ratio fall outside 0 to 1, for the live check; by default errors and total
   * swapped.
   */
  impossibleRatioHint?: string;
  /** PromQL for the rate of bad events over `window`, summed by `by`. */
  errors(spec: Spec, window: string, by: readonly string[]): string;
  /** PromQL for the rate of all events over `window`, summed by `by`. */
  total(spec: Spec, window: string, by: readonly string[]): string;
  /**
   * Problems zod cannot see: PromQL that does not parse (as Prometheus parses it), selectors that
   * cannot work, a result that drops a `groupBy` label.
   */
  check(spec: Spec, context: SliContext): SliProblem[];
  /**
   * Raw series that make this SLI see good and bad events, for generated promtool tests,
   * or undefined when burnbook cannot know what the SLI reads (arbitrary queries).
   */
  testSeries(spec: Spec): TestSeries[] | undefined;
  /** The raw series the SLI reads, or undefined when it is arbitrary PromQL. */
  series(spec: Spec): SliSeries[] | undefined;
}
