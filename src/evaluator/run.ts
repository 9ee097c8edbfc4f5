import { windowsOf } from '../conventions/names.ts';
import type { PrometheusClient } from '../prometheus/client.ts';
import type { Slo } from '../spec/model.ts';
import { evaluateSlos, type QueryOutcome } from './evaluate.ts';
import { coverageFrom, coverageProbe, type PlannedQuery, planFallback, planQueries } from './plan.ts';
import type { SloStatus } from './report.ts';

/** One evaluation of every SLO against Prometheus, with what it cost. */
export interface Evaluation {
  /** The instant every query was evaluated at. */
  at: Date;
  durationMs: number;
  /** Queries sent, the coverage probe included. */
  queries: number;
  slos: SloStatus[];
  /** Failed queries; their SLOs' numbers are unknown (null), the rest stand. */
  errors: string[];
}

type Outcome = QueryOutcome & { omitted?: string };

async function run(client: PrometheusClient, query: PlannedQuery, at: Date): Promise<Outcome> {
  try {
    const result = await client.query(query.expr, at);
    const samples = result.resultType === 'vector' ? result.result : [];
    if (!result.omittedSeries) return { query, samples };
    // The groups left out have no numbers this time; the evaluation reads partial and says why.
    const omitted = `${result.omittedSeries} series left out of the answer to ${query.expr}: burnbook keeps the ${samples.length} with the highest values`;
    return { query, samples, omitted };
  } catch (error) {
    return { query, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/**
 * Probes which recordings exist, then runs one query per window per source, all at the same
 * instant. Rejects (with the client's PrometheusError) only when the probe fails, which means
 * Prometheus is not answering at all; a failing window query leaves its numbers unknown.
 */
export async function evaluateNow(
  client: PrometheusClient,
  slos: Slo[],
  at = new Date(),
): Promise<Evaluation> {
  const started = performance.now();
  // Whole seconds: what Prometheus's rule evaluation uses, and what reads well in a query log.
  const time = new Date(Math.floor(at.getTime() / 1000) * 1000);
  const probe = await client.query(coverageProbe(slos, slos.flatMap(windowsOf)), time);
  const covered = coverageFrom(probe.resultType === 'vector' ? probe.result : []);
  const first = await Promise.all(planQueries(slos, covered).map((q) => run(client, q, time)));
  const answered = first.flatMap((o) => ('samples' in o ? [o] : []));
  const second = await Promise.all(planFallback(answered).map((q) => run(client, q, time)));
  const outcomes = [...first, ...second];
  return {
    at: time,
    durationMs: performance.now() - started,
    queries: 1 + outcomes.length,
    slos: evaluateSlos(slos, outcomes),
    errors: [
      ...new Set(outcomes.flatMap((o) => ('error' in o ? [o.error.message] : o.omitted ? [o.omitted] : []))),
    ],
  };
}
