import { QueueClosedError } from '../group-commit.ts';

// SQLite's result codes for what another moment may not see: a lock, the disk, memory, a file it cannot open.
const TRANSIENT_SQLITE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|NOMEM|READONLY|CANTOPEN|PROTOCOL)/;

/**
 * Whether a failure of the SQLite store may pass on a retry: the database locked by another process, a full
 * or failing disk, the store closed while shutting down. Anything else is a bug in what was written, not in
 * when. Pure, so it is tested as a table; the receiver answers 503 for these and 500 for the rest.
 */
export function isTransientSqliteError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TRANSIENT_SQLITE.test(code)) return true;
  return error instanceof QueueClosedError || /database connection is not open/.test(error.message);
}
