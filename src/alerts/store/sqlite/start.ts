/**
 * Opening the alert store when the server starts, and what happens when that goes wrong. A damaged file
 * stops the start (serve exits 3 naming the file and what to do): serving on it would answer every webhook
 * with an error while looking healthy. A store that cannot be written (a full or read-only disk, wrong
 * permissions) starts the server read-only: pages work, what history can be read is shown, webhooks are
 * answered 503 so Alertmanager keeps them until the database can write again.
 */
import { alertStoreFile, openSqliteDatabase, type SqliteDatabase } from './database.ts';
import { classifySqliteError, type StoreFault, storeFaultAdvice } from './faults.ts';

export type StartedStore =
  | { mode: 'writable'; database: SqliteDatabase }
  /** `database` reads the history when it can be read at all; `message` says why writes are refused. */
  | { mode: 'read-only'; database: SqliteDatabase | undefined; fault: StoreFault; message: string };

/** The store cannot serve: damaged, locked by another process, or of a schema this burnbook cannot read. */
export class StoreStartError extends Error {
  override name = 'StoreStartError';
}

/**
 * Opens, migrates and checks the database in `dataDir`: every page of the file (`PRAGMA quick_check`, which
 * reads all of it) and one write. Throws StoreStartError when the server must not start on it.
 */
export function openDatabaseAtStart(dataDir: string): StartedStore {
  const file = alertStoreFile(dataDir);
  let database: SqliteDatabase | undefined;
  try {
    database = openSqliteDatabase(dataDir);
    const problems = database.check();
    if (problems.length > 0) {
      throw Object.assign(new Error(problems.slice(0, 3).join('; ')), { code: 'SQLITE_CORRUPT' });
    }
    database.probeWrite();
    return { mode: 'writable', database };
  } catch (error) {
    const fault = classifySqliteError(error);
    if (fault.kind !== 'unwritable') {
      database?.close();
      if (fault.kind === 'damaged') throw new StoreStartError(storeFaultAdvice(fault, file));
      if (fault.kind === 'busy') {
        throw new StoreStartError(
          `${file} is locked by another process: is another burnbook using this --data-dir?`,
        );
      }
      throw new StoreStartError(`cannot open the alert database ${file}: ${(error as Error).message}`);
    }
    return {
      mode: 'read-only',
      database: database ?? openForReading(dataDir),
      fault,
      message: storeFaultAdvice(fault, file),
    };
  }
}

/**
 * The history of a database that cannot be written, if it can be read. SQLite reads a WAL database only where
 * it can create the `-shm` file next to it: in a read-only directory nothing can be read.
 */
function openForReading(dataDir: string): SqliteDatabase | undefined {
  try {
    return openSqliteDatabase(dataDir, { readonly: true });
  } catch {
    return undefined;
  }
}
