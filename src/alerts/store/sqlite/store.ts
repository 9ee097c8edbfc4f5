/**
 * The embedded alert store: SQLite (WAL) in `<dataDir>/burnbook.sqlite`. Reads run on a connection of the
 * main thread, which WAL lets run while the writer thread (writer.ts) commits every write, webhook
 * deliveries group-committed, so no request waits on another's fsync.
 */
import type { AlertStore, StoreHooks } from '../store.ts';
import { openSqliteDatabase } from './database.ts';
import { isTransientSqliteError } from './transient.ts';
import { startAlertWriter } from './writer.ts';

export interface SqliteStoreOptions extends StoreHooks {
  dataDir: string;
}

/**
 * Opens the store, creating and migrating the database first; throws (synchronously) when it cannot, e.g.
 * a data directory that is not writable or a database from a newer burnbook.
 */
export function openSqliteStore(options: SqliteStoreOptions): AlertStore {
  const reader = openSqliteDatabase(options.dataDir);
  const writer = startAlertWriter(options);
  return {
    ready: () => writer.ready,
    ingest: (delivery) => writer.ingest(delivery),
    list: async (query) => reader.list(query),
    get: async (id) => reader.get(id),
    addEvidence: (...evidence) => writer.addEvidence(...evidence),
    prune: (olderThanMs, now, limit) => writer.prune(olderThanMs, now, limit),
    counts: async () => reader.counts(),
    async health() {
      const stopped = writer.stopped();
      if (stopped) return { ok: false, problem: `the writer thread stopped: ${stopped.message}` };
      try {
        reader.counts();
        return { ok: true };
      } catch (error) {
        return { ok: false, problem: `cannot read ${options.dataDir}: ${(error as Error).message}` };
      }
    },
    isTransient: isTransientSqliteError,
    async close() {
      await writer.close();
      reader.close();
    },
  };
}
