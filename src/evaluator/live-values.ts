import type { PrometheusClient } from '../prometheus/client.ts';
import type { LiveAnswer, LiveValues } from '../runbooks/providers.ts';
import { aborted, briefCache } from './brief-cache.ts';

// First-look queries on a runbook page read the same few expressions on every reload during an
// incident; a short cache spares Prometheus without showing stale numbers for long.
const CACHE_MS = 15_000;
// Series a runbook page shows per query, those with the highest values; the rest are counted.
const LIVE_SERIES = 50;

/**
 * The runbook pages' `liveValues` hook, served from Prometheus with a brief cache. While the
 * evaluator finds Prometheus down (`down()` returns why), pages are told at once instead of
 * each waiting out a timeout.
 */
export function liveValuesFrom(client: PrometheusClient, down: () => string | undefined): LiveValues {
  const cached = briefCache<LiveAnswer>(CACHE_MS);
  return (expr, signal) => {
    const reason = down();
    if (reason) return Promise.reject(new Error(reason));
    const samples = cached(expr, () =>
      client.query(expr, undefined, { maxSeries: LIVE_SERIES }).then((result): LiveAnswer => {
        const omitted = result.omittedSeries;
        if (result.resultType === 'vector')
          return { samples: result.result.map((s) => ({ labels: s.metric, value: s.value })), omitted };
        if (result.resultType === 'scalar')
          return { samples: [{ labels: {}, value: result.result.value }], omitted };
        return { samples: [], omitted };
      }),
    );
    return Promise.race([samples, aborted(signal)]);
  };
}
