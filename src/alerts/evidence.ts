/**
 * Evidence: when an alert starts firing, the first-look queries of its runbook page run once against
 * Prometheus and their answers are stored with the alert: what the numbers were at that moment, for the
 * postmortem, even after the history has rolled out of Prometheus. This runs after the webhook has
 * answered and never holds it up; a slow or absent Prometheus costs an error row, nothing more.
 */
import { z } from 'zod';
import type { Tier } from '../policy/tiers.ts';
import type { PrometheusClient, QueryResult } from '../prometheus/client.ts';
import { labelSetSchema } from '../prometheus/label-set.ts';
import { scopedTo } from '../promql/build.ts';
import { type FirstLookQuery, firstLookQueries } from '../runbooks/context.ts';
import type { Slo } from '../spec/model.ts';
import type { EvidenceInput, FiringAlert } from './store/store.ts';

/**
 * What an evidence row's `result` holds: each series' labels and value (a string: NaN and ±Inf are not
 * JSON), and how many series of the answer were left out (EVIDENCE_SERIES).
 */
export const evidenceResultSchema = z.object({
  samples: z.array(z.object({ labels: labelSetSchema, value: z.string() })),
  warnings: z.array(z.string()).optional(),
  omitted: z.number().optional(),
});

/** Series kept per first-look query, those with the highest values: evidence is read by people. */
export const EVIDENCE_SERIES = 50;

/**
 * The tier's first-look queries narrowed to the alert's own group (`tenant="acme"`): an alert of one
 * tenant wants that tenant's numbers. A groupBy label the alert lacks is left open rather than guessed.
 */
export function evidenceQueries(slo: Slo, tier: Tier, labels: Record<string, string>): FirstLookQuery[] {
  const group: Record<string, string> = {};
  for (const name of slo.groupBy) {
    const value = labels[name];
    if (value !== undefined) group[name] = value;
  }
  return firstLookQueries(slo, tier).map((query) => ({ ...query, expr: scopedTo(query.expr, group) }));
}

function evidenceResult(result: QueryResult): z.input<typeof evidenceResultSchema> {
  const samples =
    result.resultType === 'vector'
      ? result.result.map((s) => ({ labels: s.metric, value: String(s.value) }))
      : result.resultType === 'scalar'
        ? [{ labels: {}, value: String(result.result.value) }]
        : [];
  return {
    samples,
    ...(result.warnings.length ? { warnings: result.warnings } : {}),
    ...(result.omittedSeries ? { omitted: result.omittedSeries } : {}),
  };
}

export interface EvidenceOptions {
  prometheus: Pick<PrometheusClient, 'query'>;
  store: { addEvidence: (...evidence: readonly EvidenceInput[]) => Promise<unknown> | unknown };
  /** The first-look queries of the alert's runbook page, when it is a burnbook alert. */
  queriesOf: (alert: FiringAlert) => FirstLookQuery[] | undefined;
  /** Alerts whose queries run at once; each alert's queries run together. Default 4. */
  concurrency?: number;
  /** Alerts that may wait; past this an alert gets an error row instead. Default 1000. */
  maxWaiting?: number;
}

type Job = { alert: FiringAlert; queries: FirstLookQuery[] };

export function createEvidenceCollector(options: EvidenceOptions) {
  const concurrency = options.concurrency ?? 4;
  const maxWaiting = options.maxWaiting ?? 1000;
  const waiting: Job[] = [];
  let running = 0;
  let stopped = false;

  async function run(job: Job): Promise<void> {
    const answers = await Promise.allSettled(
      job.queries.map((q) => options.prometheus.query(q.expr, undefined, { maxSeries: EVIDENCE_SERIES })),
    );
    // The store closes on shutdown; an answer that arrives after that is dropped.
    if (stopped) return;
    const capturedAt = Date.now();
    await options.store.addEvidence(
      ...job.queries.map((query, i): EvidenceInput => {
        const answer = answers[i] as PromiseSettledResult<QueryResult>;
        return {
          alertId: job.alert.id,
          queryName: query.title,
          expr: query.expr,
          result: answer.status === 'fulfilled' ? evidenceResult(answer.value) : null,
          error:
            answer.status === 'rejected' ? String((answer.reason as Error)?.message ?? answer.reason) : null,
          capturedAt,
        };
      }),
    );
  }

  function pump(): void {
    while (!stopped && running < concurrency && waiting.length > 0) {
      const job = waiting.shift() as Job;
      running++;
      run(job)
        .catch((error: unknown) => {
          if (!stopped) console.error(`burnbook: could not store evidence of alert ${job.alert.id}:`, error);
        })
        .finally(() => {
          running--;
          pump();
        });
    }
  }

  return {
    /** Queues the first-look queries of every burnbook alert among `alerts`. */
    capture(alerts: readonly FiringAlert[]): void {
      if (stopped) return;
      const overflow: EvidenceInput[] = [];
      for (const alert of alerts) {
        const queries = options.queriesOf(alert);
        if (!queries) continue;
        if (waiting.length < maxWaiting) waiting.push({ alert, queries });
        else {
          overflow.push({
            alertId: alert.id,
            queryName: 'not captured',
            expr: '',
            result: null,
            error: `not captured: more than ${maxWaiting} alerts started firing at once`,
            capturedAt: Date.now(),
          });
        }
      }
      if (overflow.length) {
        Promise.resolve(options.store.addEvidence(...overflow)).catch((error: unknown) => {
          if (!stopped) console.error('burnbook: could not record evidence that was not captured:', error);
        });
      }
      pump();
    },

    /** Drops what waits; queries already sent finish within their timeout and are not stored. */
    stop(): void {
      stopped = true;
      waiting.length = 0;
    },
  };
}
