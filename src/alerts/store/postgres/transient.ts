import { QueueClosedError } from '../group-commit.ts';

/**
 * SQLSTATEs (PostgreSQL docs, appendix A "Error Codes") that another moment may not see: the connection
 * (class 08), a transaction rolled back for a concurrent one (40001 serialization failure, 40P01 deadlock),
 * resources (class 53: disk full, out of memory, too many connections), the server shutting down or
 * starting (57P01-57P03), a statement or lock timeout (57014, 55P03), a standby that refuses writes until
 * it is promoted (25006), and the operating system failing (class 58).
 */
const TRANSIENT_SQLSTATE = /^(08...|40001|40P01|53...|57P0[123]|57014|55P03|25006|58...)$/;

// What Node says when the server cannot be reached or the connection drops.
const TRANSIENT_SOCKET = new Set([
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

// What node-postgres says when a connection ended or could not be had, in words rather than codes.
const TRANSIENT_CLIENT =
  /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed|Cannot use a pool after calling end)/;

/**
 * Whether a failure of the PostgreSQL store may pass on a retry: the connection lost, a failover under way,
 * a serialization failure or deadlock, a timeout, a full disk, the store closed while shutting down.
 * Anything else (a constraint a body violates, a missing table, a wrong password) is about what was asked,
 * not when. Pure, so it is tested as a table; the receiver answers 503 for these and 500 for the rest.
 */
export function isTransientPostgresError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof QueueClosedError) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_SOCKET.has(code))) return true;
  // A pool that could not connect reports the socket's error as the cause, or all of them at once.
  if (error instanceof AggregateError) return error.errors.some(isTransientPostgresError);
  if (error.cause !== undefined && isTransientPostgresError(error.cause)) return true;
  return TRANSIENT_CLIENT.test(error.message);
}
