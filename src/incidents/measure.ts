/**
 * What Prometheus says about an incident of an SLO: the short-window error ratio across it (for the burn's
 * start and end, the peak and the chart), and event counts over the burn (failed, total, the period's). Read
 * from the raw SLI, as the first-look queries are, so it works without burnbook's recording rules and for as
 * far back as Prometheus keeps the raw series. Every call goes through the bounded client (timeout, answer
 * size, series count); a failed one is a Fact with the reason, never a thrown error.
 */
import { formatDuration } from '../policy/duration.ts';
import type { PrometheusClient } from '../prometheus/client.ts';
import { ratioOrZero, scopedTo } from '../promql/build.ts';
import { errorRate, totalRate } from '../sli/index.ts';
import type { Slo } from '../spec/model.ts';

/** A number burnbook could get, or why not (Prometheus's own words). */
export type Fact<T> = { ok: true; value: T } | { ok: false; problem: string };

export async function fact<T>(read: () => Promise<T>): Promise<Fact<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
}

/** The error ratio over a window, one point per step; null where Prometheus had no value. */
export interface RatioSeries {
  /** ms since the epoch. */
  timestamps: number[];
  ratios: Array<number | null>;
  stepMs: number;
  /** The window each point measures, e.g. `5m`. */
  window: string;
}

/** At most this many points per chart: a second each for a short incident, coarser for a long one. */
export const MAX_POINTS = 1_500;
/** Groups of a groupBy SLO listed as hit, those with the highest error ratio. */
export const GROUPS_SHOWN = 10;

/** The step of an incident's range: the SLO's scrape interval, or coarser to stay within MAX_POINTS. */
export function stepFor(slo: Slo, startMs: number, endMs: number): number {
  const needed = Math.ceil((endMs - startMs) / MAX_POINTS / 1000) * 1000;
  return Math.max(slo.scrapeIntervalMs, needed, 1000);
}

/** A PromQL range selector's duration for a span: whole seconds, at least one. */
export function windowOf(ms: number): string {
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

/** One group's series of `expr`, summed into one. */
function scoped(group: Record<string, string>, expr: string): string {
  return `sum(${scopedTo(expr, group)})`;
}

/**
 * errors / total over `window` by the SLO's groupBy labels, 0 without traffic. The errors side is
 * parenthesised: it may be `errors or 0 * total` (SliKind.lazyErrors), and `or` binds looser than `/`.
 */
function errorRatioOf(slo: Slo, window: string): string {
  return ratioOrZero(`(${errorRate(slo.sli, window, slo.groupBy)})`, totalRate(slo.sli, window, slo.groupBy));
}

/** The SLI's error and total rates over `window`, narrowed to one group (all of the SLO when empty). */
function groupRates(slo: Slo, group: Record<string, string>, window: string) {
  return {
    errors: scoped(group, errorRate(slo.sli, window, slo.groupBy)),
    total: scoped(group, totalRate(slo.sli, window, slo.groupBy)),
  };
}

/** The short-window error ratio of the SLO's fastest tier (or 5m), for one group, from `start` to `end`. */
export async function ratioSeries(
  prometheus: Pick<PrometheusClient, 'queryRange'>,
  slo: Slo,
  group: Record<string, string>,
  startMs: number,
  endMs: number,
): Promise<RatioSeries> {
  const window = formatDuration(slo.alerting.tiers[0]?.shortMs ?? 5 * 60_000);
  const stepMs = stepFor(slo, startMs, endMs);
  const start = Math.floor(startMs / stepMs) * stepMs;
  // The ratio of the group's sums, not a sum of ratios: one group's ratio, or the whole SLO's.
  const rates = groupRates(slo, group, window);
  const expr = ratioOrZero(`(${rates.errors})`, rates.total);
  const answer = await prometheus.queryRange(expr, new Date(start), new Date(endMs), stepMs / 1000, {
    maxSeries: 1,
  });
  const timestamps: number[] = [];
  for (let t = start; t <= endMs; t += stepMs) timestamps.push(t);
  const ratios = new Array<number | null>(timestamps.length).fill(null);
  for (const { timestampMs, value } of answer.result[0]?.values ?? []) {
    const i = Math.round((timestampMs - start) / stepMs);
    if (i >= 0 && i < ratios.length && Number.isFinite(value)) ratios[i] = value;
  }
  return { timestamps, ratios, stepMs, window };
}

/** Events of one group over [start, end]: the SLI's rate over that window times its length (= increase). */
export async function eventsBetween(
  prometheus: Pick<PrometheusClient, 'query'>,
  slo: Slo,
  group: Record<string, string>,
  startMs: number,
  endMs: number,
): Promise<{ failed: number; total: number }> {
  const window = windowOf(endMs - startMs);
  const seconds = Number.parseInt(window, 10);
  const at = new Date(endMs);
  const rates = groupRates(slo, group, window);
  const [failed, total] = await Promise.all([
    scalarOf(prometheus, `${rates.errors} * ${seconds}`, at),
    scalarOf(prometheus, `${rates.total} * ${seconds}`, at),
  ]);
  return { failed: failed ?? 0, total: total ?? 0 };
}

/** The group's events over the SLO's period ending at `end`: the budget is a share of them. */
export async function periodEvents(
  prometheus: Pick<PrometheusClient, 'query'>,
  slo: Slo,
  group: Record<string, string>,
  endMs: number,
): Promise<{ failed: number; total: number }> {
  return eventsBetween(prometheus, slo, group, endMs - slo.periodMs, endMs);
}

/**
 * The groups of a groupBy SLO that saw failed events over [start, end], highest error ratio first. Not only
 * those above the budget rate: recovery traffic after a burn can pull a hard-hit group's ratio over the
 * whole incident under it.
 */
export async function groupsHit(
  prometheus: Pick<PrometheusClient, 'query'>,
  slo: Slo,
  startMs: number,
  endMs: number,
): Promise<Array<{ labels: Record<string, string>; ratio: number }>> {
  const window = windowOf(endMs - startMs);
  const answer = await prometheus.query(`${errorRatioOf(slo, window)} > 0`, new Date(endMs), {
    maxSeries: GROUPS_SHOWN,
  });
  if (answer.resultType !== 'vector') return [];
  return answer.result
    .map((sample) => ({
      labels: Object.fromEntries(slo.groupBy.map((name) => [name, sample.metric[name] ?? ''])),
      ratio: sample.value,
    }))
    .sort((a, b) => b.ratio - a.ratio);
}

async function scalarOf(
  prometheus: Pick<PrometheusClient, 'query'>,
  expr: string,
  at: Date,
): Promise<number | undefined> {
  const answer = await prometheus.query(expr, at, { maxSeries: 1 });
  if (answer.resultType === 'vector') return answer.result[0]?.value;
  if (answer.resultType === 'scalar') return answer.result.value;
  return undefined;
}
