/**
 * The one place that decides what a failure of the SQLite store means: for the webhook's answer
 * (Alertmanager retries a 5xx and drops a 4xx, so every fault of the store is a 503 with Retry-After, see
 * AlertStore.isTransient), for /healthz (a store that cannot write fails it, health.ts) and for what the
 * operator is told to do. Pure, so it is tested as a table.
 */
import { QueueClosedError } from '../group-commit.ts';

/**
 * - `busy`: another process holds SQLite's write lock; passes by itself, the store is healthy.
 * - `unwritable`: the disk is full, read-only, failing or out of permissions; passes once that is fixed.
 * - `damaged`: the file is corrupt; it stays so until someone moves it aside or recovers it.
 * - `closed`: the store is shutting down.
 * - `bug`: anything else, a fault in what was written rather than in the store: one body's, so a batch
 *   that failed this way is retried body by body.
 */
export type StoreFaultKind = 'busy' | 'unwritable' | 'damaged' | 'closed' | 'bug';

export interface StoreFault {
  kind: StoreFaultKind;
  /** What happened, in the operator's terms. */
  reason: string;
}

/**
 * A fault of the store, told as the operator should read it (storeFaultAdvice): what a read or write of a
 * damaged store, or any write of a store that started read-only, fails with.
 */
export class StoreFaultError extends Error {
  override name = 'StoreFaultError';
  constructor(
    readonly fault: StoreFault,
    message: string,
  ) {
    super(message);
  }
}

const BY_CODE: Array<[RegExp, StoreFaultKind, string]> = [
  [/^SQLITE_(BUSY|LOCKED)/, 'busy', 'the database is locked by another process'],
  [/^SQLITE_FULL|^ENOSPC$|^EDQUOT$/, 'unwritable', 'the disk is full'],
  [/^SQLITE_READONLY|^EROFS$/, 'unwritable', 'the file or its directory is read-only'],
  [/^SQLITE_(CANTOPEN|PERM|AUTH)|^EACCES$|^EPERM$/, 'unwritable', 'the file cannot be opened for writing'],
  [/^SQLITE_IOERR|^EIO$/, 'unwritable', 'the disk failed to read or write'],
  [/^SQLITE_NOMEM|^ENOMEM$/, 'unwritable', 'SQLite ran out of memory'],
  [/^SQLITE_PROTOCOL/, 'busy', 'the database lock protocol failed'],
  [/^SQLITE_(CORRUPT|NOTADB)/, 'damaged', 'the file is damaged'],
];

/** What a store error means, from the error's class and SQLite's (or the OS's) code. */
export function classifySqliteError(error: unknown): StoreFault {
  if (error instanceof StoreFaultError) return error.fault;
  if (error instanceof QueueClosedError) return { kind: 'closed', reason: error.message };
  if (!(error instanceof Error)) return { kind: 'bug', reason: String(error) };
  if (/database connection is not open/.test(error.message)) {
    return { kind: 'closed', reason: 'the alert store is closed' };
  }
  const code = (error as { code?: unknown }).code;
  const found = typeof code === 'string' ? BY_CODE.find(([pattern]) => pattern.test(code)) : undefined;
  if (!found) return { kind: 'bug', reason: error.message };
  return { kind: found[1], reason: `${found[2]} (${code}: ${error.message})` };
}

/** Whether a retry may get past it: anything but a fault in what was written. */
export function isTransientSqliteError(error: unknown): boolean {
  return classifySqliteError(error).kind !== 'bug';
}

/** What the operator should do about a fault of the store in `file`. */
export function storeFaultAdvice(fault: StoreFault, file: string): string {
  switch (fault.kind) {
    case 'damaged':
      return (
        `${file}: ${fault.reason}. Stop burnbook and move it aside (mv ${file} ${file}.damaged, and its -wal ` +
        `and -shm files if any), then start again with an empty history; to keep what can be saved, first ` +
        `run: sqlite3 ${file}.damaged .recover | sqlite3 ${file}`
      );
    case 'unwritable':
      return (
        `${file} cannot be written: ${fault.reason}. Alerts are answered 503, so Alertmanager keeps them ` +
        'until it can; free space or fix the permissions (a server that started read-only needs a restart).'
      );
    case 'busy':
      return `${file} is locked by another process; the write is retried.`;
    case 'closed':
      return 'burnbook is shutting down.';
    case 'bug':
      return fault.reason;
  }
}
