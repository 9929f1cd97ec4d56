import { QueryFailedError, QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';

// PostgreSQL's SQLSTATE of a failed query (e.g. 23505), or undefined for any other error.
export function sqlStateOf(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const code = (error.driverError as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

// A unique violation, of the named index or constraint when one is given.
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (sqlStateOf(error) !== '23505') return false;
  return constraint === undefined || ((error as QueryFailedError).driverError as { constraint?: string }).constraint === constraint;
}

// SQLSTATEs of a server that is going away or not there yet: class 08 (connection exception),
// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, recovering),
// 53300 too_many_connections.
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
// The socket's own failures, as Node reports them when the server is down or unreachable.
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// node-postgres's messages when a connection dies under a query, or none frees up in time.
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Connection is not open',
];

// True when the database could not be reached or dropped the connection (a restart, a crash, a
// full pool that never freed up): the request did not fail for what it asked, and the same
// request may succeed later. What it began was rolled back, unless the connection died just as it
// committed: its Idempotency-Key makes the retry safe then.
export function isDatabaseUnavailable(error: unknown): boolean {
  // TypeORM releases a transaction's query runner when its connection reports an error, so the
  // transaction's next query fails with one of these rather than with the connection's error.
  if (error instanceof QueryRunnerAlreadyReleasedError || error instanceof QueryRunnerProviderAlreadyReleasedError) return true;
  for (let cause = error, depth = 0; cause && typeof cause === 'object' && depth < 5; depth++) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_STATES.has(code) || code.startsWith('08') || UNAVAILABLE_ERRNOS.has(code))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.startsWith(m))) return true;
    // A connect() to a name with several addresses fails with all of their errors.
    if (cause instanceof AggregateError && cause.errors.some((e) => isDatabaseUnavailable(e))) return true;
    cause = cause instanceof QueryFailedError ? cause.driverError : (cause as { cause?: unknown }).cause;
  }
  return false;
}
