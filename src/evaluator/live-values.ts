import type { PrometheusClient } from '../prometheus/client.ts';
import type { LiveSample, LiveValues } from '../runbooks/providers.ts';

// First-look queries on a runbook page read the same few expressions on every reload during an
// incident; a short cache spares Prometheus without showing stale numbers for long.
const CACHE_MS = 15_000;

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

/**
 * The runbook pages' `liveValues` hook, served from Prometheus with a brief cache. While the
 * evaluator finds Prometheus down (`down()` returns why), pages are told at once instead of
 * each waiting out a timeout.
 */
export function liveValuesFrom(client: PrometheusClient, down: () => string | undefined): LiveValues {
  const cache = new Map<string, { at: number; samples: Promise<LiveSample[]> }>();
  return (expr, signal) => {
    const reason = down();
    if (reason) return Promise.reject(new Error(reason));
    const now = Date.now();
    for (const [key, entry] of cache) if (now - entry.at > CACHE_MS) cache.delete(key);
    let entry = cache.get(expr);
    if (!entry) {
      const samples = client.query(expr).then((result): LiveSample[] => {
        if (result.resultType === 'vector')
          return result.result.map((s) => ({ labels: s.metric, value: s.value }));
        if (result.resultType === 'scalar') return [{ labels: {}, value: result.result.value }];
        return [];
      });
      entry = { at: now, samples };
      cache.set(expr, entry);
      // A failure is not an answer worth keeping.
      samples.catch(() => cache.delete(expr));
    }
    return Promise.race([entry.samples, aborted(signal)]);
  };
}
