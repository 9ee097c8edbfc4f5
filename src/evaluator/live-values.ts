import type { PrometheusClient } from '../prometheus/client.ts';
import type { LiveSample, LiveValues } from '../runbooks/providers.ts';
import { aborted, briefCache } from './brief-cache.ts';

// First-look queries on a runbook page read the same few expressions on every reload during an
// incident; a short cache spares Prometheus without showing stale numbers for long.
const CACHE_MS = 15_000;

/**
 * The runbook pages' `liveValues` hook, served from Prometheus with a brief cache. While the
 * evaluator finds Prometheus down (`down()` returns why), pages are told at once instead of
 * each waiting out a timeout.
 */
export function liveValuesFrom(client: PrometheusClient, down: () => string | undefined): LiveValues {
  const cached = briefCache<LiveSample[]>(CACHE_MS);
  return (expr, signal) => {
    const reason = down();
    if (reason) return Promise.reject(new Error(reason));
    const samples = cached(expr, () =>
      client.query(expr).then((result): LiveSample[] => {
        if (result.resultType === 'vector')
          return result.result.map((s) => ({ labels: s.metric, value: s.value }));
        if (result.resultType === 'scalar') return [{ labels: {}, value: result.result.value }];
        return [];
      }),
    );
    return Promise.race([samples, aborted(signal)]);
  };
}
