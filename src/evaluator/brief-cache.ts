/**
 * Answers from Prometheus kept for a few seconds, shared by every request that asks the same
 * while one is in flight: during an incident several people reload the same pages.
 */

export type Load<T> = (key: string, load: () => Promise<T>) => Promise<T>;

/**
 * A cache of promises by key. A failure is dropped at once (not an answer worth keeping), and at
 * most `maxEntries` are kept, oldest out first, so keys made up by clients cannot grow it.
 */
export function briefCache<T>(ttlMs: number, maxEntries = 200): Load<T> {
  const cache = new Map<string, { at: number; value: Promise<T> }>();
  return (key, load) => {
    const now = Date.now();
    for (const [k, entry] of cache) if (now - entry.at > ttlMs) cache.delete(k);
    const cached = cache.get(key);
    if (cached) return cached.value;
    const value = load();
    cache.set(key, { at: now, value });
    value.catch(() => cache.delete(key));
    for (const k of cache.keys()) {
      if (cache.size <= maxEntries) break;
      cache.delete(k);
    }
    return value;
  };
}

/** Rejects when `signal` aborts, for racing a promise that does not take a signal itself. */
export function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
