import { type PrometheusClient, PrometheusError } from '../prometheus/client.ts';
import type { Slo } from '../spec/model.ts';
import { evaluateSlos, type QueryOutcome } from './evaluate.ts';
import { type PlannedQuery, planFallback, planQueries } from './plan.ts';
import type { SloStatus } from './report.ts';

/** One evaluation of every SLO against Prometheus, with what it cost. */
export interface Evaluation {
  /** The instant every query was evaluated at. */
  at: Date;
  durationMs: number;
  /** Queries sent. */
  queries: number;
  slos: SloStatus[];
  /** Failed queries; their SLOs' numbers are unknown (null), the rest stand. */
  errors: string[];
}

/** Not the query's fault: Prometheus unreachable, too slow, or answering with something else. */
function unreachable(error: Error): boolean {
  return !(error instanceof PrometheusError) || error.kind !== 'bad_data';
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
 * Asks every window of every SLO from the rules' records, then the raw SLI for what had no record, all at
 * the same instant. Rejects (with the client's PrometheusError) only when every first query failed in a
 * way that says Prometheus is not answering at all; a failing window query leaves its numbers unknown.
 */
export async function evaluateNow(
  client: PrometheusClient,
  slos: Slo[],
  at = new Date(),
): Promise<Evaluation> {
  const started = performance.now();
  // Whole seconds: what Prometheus's rule evaluation uses, and what reads well in a query log.
  const time = new Date(Math.floor(at.getTime() / 1000) * 1000);
  const first = await Promise.all(planQueries(slos).map((q) => run(client, q, time)));
  const down = first.length > 0 && first.every((o) => 'error' in o && unreachable(o.error));
  if (down) throw (first[0] as { error: Error }).error;
  const answered = first.flatMap((o) => ('samples' in o ? [o] : []));
  const second = await Promise.all(planFallback(answered).map((q) => run(client, q, time)));
  const outcomes = [...first, ...second];
  return {
    at: time,
    durationMs: performance.now() - started,
    queries: outcomes.length,
    slos: evaluateSlos(slos, outcomes),
    errors: [
      ...new Set(outcomes.flatMap((o) => ('error' in o ? [o.error.message] : o.omitted ? [o.omitted] : []))),
    ],
  };
}
