import { QueryFailedError } from 'typeorm';
import type { RequestDeadline } from './request-deadline';

// PostgreSQL's deadlock_detected and serialization_failure: the server rolled the transaction back
// as a whole, so running the same work again from its start is safe.
const RETRYABLE_STATES = new Set(['40P01', '40001']);

// Attempts of one transaction in all, and the first pause; each pause doubles, jittered ±50% so
// that transactions that failed together do not meet again.
export const TRANSACTION_ATTEMPTS = 3;
const FIRST_PAUSE_MS = 20;

// The SQLSTATE of a failure worth another attempt, else undefined.
export function retryableState(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const code = (error.driverError as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && RETRYABLE_STATES.has(code) ? code : undefined;
}

// How long to wait before attempt `attempt + 1` of a transaction that failed with `error`, or null
// when it should not run again: not a retryable failure, attempts used up, or a request deadline
// that would pass during the pause (or no longer bounds statements, once the request committed
// something), so the deadline still bounds the request as a whole.
export function retryPauseMs(error: unknown, attempt: number, deadline: RequestDeadline | undefined, random: () => number = Math.random): number | null {
  if (attempt >= TRANSACTION_ATTEMPTS || retryableState(error) === undefined) return null;
  const pause = Math.round(FIRST_PAUSE_MS * 2 ** (attempt - 1) * (0.5 + random()));
  if (deadline && (!deadline.running || deadline.remainingMs <= pause)) return null;
  return pause;
}
