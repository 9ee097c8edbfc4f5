import { QueueClosedError } from '../group-commit.ts';

/**
 * What a failure of the PostgreSQL store means, as SQLite's faults.ts decides it for SQLite: every fault of
 * the store is a 503 that Alertmanager retries, a fault in what was written (one body's) is not.
 * - `unreachable`: no connection, or it dropped (a failover, a restart, the server starting up);
 * - `busy`: a lock or statement timeout, a serialization failure or deadlock, too many connections;
 * - `failing`: the database cannot take the write: a full disk, a standby, permissions or a password
 *   changed, the database or its tables gone, damaged pages; it passes once someone fixes it;
 * - `closed`: the store is shutting down;
 * - `bug`: anything else: what a body holds (SQLSTATE classes 22, 23) or an error burnbook raised.
 */
export type PostgresFault = 'unreachable' | 'busy' | 'failing' | 'closed' | 'bug';

// SQLSTATEs (PostgreSQL docs, appendix A "Error Codes").
const UNREACHABLE = /^(08...|57P0[123])$/;
const BUSY = /^(40001|40P01|55P03|57014|53300)$/;
// A data exception or an integrity constraint: what one body holds; a syntax or undefined object: burnbook's
// SQL, except a table or schema that is missing (someone dropped it) and permissions (someone revoked them).
const WRITTEN = /^(22...|23...|42(?!501|P01)...)$/;

// What Node says when the server cannot be reached or the connection drops.
const SOCKET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// What node-postgres says, in words rather than codes, when a connection ended or could not be had.
const CONNECTION =
  /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed)/;

/** The store's own word for a call after close(). */
export class StoreClosedError extends Error {
  override name = 'StoreClosedError';
  constructor() {
    super('the alert store is closed');
  }
}

/** What a failure of the PostgreSQL store means. Pure, so it is tested as a table. */
export function classifyPostgresError(error: unknown): PostgresFault {
  if (!(error instanceof Error)) return 'bug';
  if (error instanceof QueueClosedError || error instanceof StoreClosedError) return 'closed';
  if (/^Cannot use a pool after calling end/.test(error.message)) return 'closed';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SOCKET.has(code) || UNREACHABLE.test(code)) return 'unreachable';
    if (BUSY.test(code)) return 'busy';
    if (/^[0-9A-Z]{5}$/.test(code)) return WRITTEN.test(code) ? 'bug' : 'failing';
  }
  // A pool that could not connect reports the socket's error as the cause, or all of them at once.
  if (error instanceof AggregateError && error.errors.length > 0)
    return classifyPostgresError(error.errors[0]);
  if (error.cause !== undefined) {
    const cause = classifyPostgresError(error.cause);
    if (cause !== 'bug') return cause;
  }
  return CONNECTION.test(error.message) ? 'unreachable' : 'bug';
}

/** Whether a retry may get past it (the receiver answers 503): anything but a fault in what was written. */
export function isTransientPostgresError(error: unknown): boolean {
  return classifyPostgresError(error) !== 'bug';
}
