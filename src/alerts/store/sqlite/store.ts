/**
 * The embedded alert store: SQLite (WAL) in `<dataDir>/burnbook.sqlite`. Reads run on a connection of the
 * main thread, which WAL lets run while the writer thread (writer.ts) commits every write, webhook
 * deliveries group-committed, so no request waits on another's fsync. Checked at start (start.ts): a
 * damaged file stops the server, one that cannot be written starts it read-only. Every fault reads as
 * what the operator should do (faults.ts), and health() says whether it can write (health.ts).
 */
import type { AlertStore, StoreHooks } from '../store.ts';
import { alertStoreFile, type SqliteDatabase } from './database.ts';
import { classifySqliteError, isTransientSqliteError, StoreFaultError, storeFaultAdvice } from './faults.ts';
import { createWriteHealth } from './health.ts';
import { openDatabaseAtStart } from './start.ts';
import { type AlertWriter, startAlertWriter } from './writer.ts';

export interface SqliteStoreOptions extends StoreHooks {
  dataDir: string;
}

/**
 * Opens the store, creating, migrating and checking the database first; throws StoreStartError
 * (synchronously) when the server must not start on it: a damaged file, another burnbook holding it, a
 * database from a newer burnbook.
 */
export function openSqliteStore(options: SqliteStoreOptions): AlertStore {
  const file = alertStoreFile(options.dataDir);
  const started = openDatabaseAtStart(options.dataDir);
  const reader = started.database;
  const writer = started.mode === 'writable' ? startAlertWriter(options) : undefined;
  const readOnly =
    started.mode === 'read-only' ? new StoreFaultError(started.fault, started.message) : undefined;
  const writes = createWriteHealth({
    file,
    ...(readOnly ? { startFault: { fault: readOnly.fault, message: readOnly.message } } : {}),
    ...(writer ? { probe: () => writer.probe() } : {}),
  });

  // A fault of the store reaches the caller as what to do about it; a bug in burnbook as it is.
  const explained = (error: unknown): unknown => {
    const fault = classifySqliteError(error);
    if (fault.kind === 'bug' || error instanceof StoreFaultError) return error;
    return new StoreFaultError(fault, storeFaultAdvice(fault, file));
  };
  const write = <T>(run: (writer: AlertWriter) => Promise<T>): Promise<T> =>
    writes.track(writer ? run(writer) : Promise.reject(readOnly)).catch((error: unknown) => {
      throw explained(error);
    });
  const read = async <T>(run: (reader: SqliteDatabase) => T): Promise<T> => {
    if (!reader) throw readOnly;
    try {
      return run(reader);
    } catch (error) {
      throw explained(error);
    }
  };

  return {
    ready: () => writer?.ready ?? Promise.resolve(),
    ingest: (delivery) => write((w) => w.ingest(delivery)),
    list: (query) => read((r) => r.list(query)),
    get: (id) => read((r) => r.get(id)),
    addEvidence: (...evidence) => write((w) => w.addEvidence(...evidence)),
    prune: (olderThanMs, now, limit) => write((w) => w.prune(olderThanMs, now, limit)),
    counts: () => read((r) => r.counts()),
    truncatedDeliveries: (limit) => read((r) => r.truncatedDeliveries(limit)),
    async health() {
      const stopped = writer?.stopped();
      if (stopped) return { ok: false, problem: `the writer thread stopped: ${stopped.message}` };
      const status = await writes.check();
      if (!status.writable) return { ok: false, problem: status.message };
      try {
        await read((r) => r.counts());
        return { ok: true };
      } catch (error) {
        return { ok: false, problem: (error as Error).message };
      }
    },
    isTransient: isTransientSqliteError,
    async close() {
      await writer?.close();
      reader?.close();
    },
  };
}
