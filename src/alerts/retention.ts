/**
 * Retention: resolved alerts that ended longer ago than `--retention` are deleted, at start and then
 * hourly. In batches with a turn of the event loop between them: the first prune after an upgrade or a
 * lowered retention may delete months of alerts, and one long transaction would hold up every webhook
 * commit (and its 2xx) for as long as it ran.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

export const DEFAULT_RETENTION_MS = 90 * 24 * 3_600_000;
const INTERVAL_MS = 3_600_000;
const BATCH = 500;

export interface RetentionOptions {
  store: { prune: (olderThanMs: number, now: number, limit: number) => Promise<number> | number };
  retentionMs: number;
  intervalMs?: number;
  batch?: number;
}

export function startRetention(options: RetentionOptions): { stop(): void } {
  const batch = options.batch ?? BATCH;
  let stopped = false;
  let pruning = false;

  async function prune(): Promise<void> {
    if (pruning) return;
    pruning = true;
    try {
      while (!stopped && (await options.store.prune(options.retentionMs, Date.now(), batch)) === batch) {
        await nextTurn();
      }
    } catch (error) {
      // A locked or full database now is no reason to stop pruning later.
      console.error('burnbook: pruning the alert store failed; will try again at the next run:', error);
    } finally {
      pruning = false;
    }
  }

  void prune();
  const timer = setInterval(() => void prune(), options.intervalMs ?? INTERVAL_MS);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
