import { HttpException } from '@nestjs/common';
import { DeadlineExceededError } from '@app/database';
import { AppError, ErrorKind, FieldErrors } from '../errors/app-error';
import { isDatabaseUnavailable, sqlStateOf } from '../errors/database-errors';

const REQUEST_TIMEOUT = 'REQUEST_TIMEOUT';

// An error reduced to what any dialect needs to render it.
export interface Problem {
  status: number;
  code: string;
  message: string;
  fields?: FieldErrors;
  // Sent as Retry-After: when the same request may succeed.
  retryAfterSeconds?: number;
}

// How long a client is asked to wait while the database is unreachable: about a restart's time.
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export function statusOf(kind: ErrorKind): number {
  switch (kind) {
    case ErrorKind.Validation:
      return 400;
    case ErrorKind.Unauthenticated:
      return 401;
    case ErrorKind.Forbidden:
      return 403;
    case ErrorKind.NotFound:
      return 404;
    case ErrorKind.Conflict:
      return 409;
    case ErrorKind.Unprocessable:
      return 422;
    case ErrorKind.PayloadTooLarge:
      return 413;
    case ErrorKind.UnsupportedMediaType:
      return 415;
    case ErrorKind.RateLimited:
      return 429;
    case ErrorKind.Unavailable:
      return 503;
    case ErrorKind.PreconditionFailed:
      return 412;
  }
}

// Known errors become a problem; anything else is unexpected (null) and becomes a logged 500.
export function toProblem(exception: unknown): Problem | null {
  if (exception instanceof AppError) {
    return { status: statusOf(exception.kind), code: exception.code, message: exception.message, fields: exception.fields };
  }
  if (exception instanceof HttpException) return httpProblem(exception);
  // Out of time (HTTP_REQUEST_TIMEOUT_MS) before anything of it committed.
  if (exception instanceof DeadlineExceededError) {
    return { status: 503, code: REQUEST_TIMEOUT, message: exception.message };
  }
  return databaseProblem(exception) ?? fastifyProblem(exception);
}

function httpProblem(exception: HttpException): Problem | null {
  const status = exception.getStatus();
  // A check that reports something down (the readiness probe) answers 503 as it is.
  if (status === 503) return { status, code: 'SERVICE_UNAVAILABLE', message: exception.message };
  if (status >= 500) return null;
  const response = exception.getResponse();
  const message =
    typeof response === 'string'
      ? response
      : String((response as { message?: unknown }).message ?? exception.message);
  return { status, code: `HTTP_${status}`, message };
}

function databaseProblem(exception: unknown): Problem | null {
  // Two transactions that each waited on the other: PostgreSQL aborted this one, nothing of it was
  // written, and the same request sent again succeeds.
  const sqlState = sqlStateOf(exception);
  if (sqlState === '40P01' || sqlState === '40001') {
    return { status: 409, code: 'CONCURRENT_UPDATE', message: 'a concurrent request changed the same rows; nothing was written, retry' };
  }
  // The database restarting or out of reach: the same request may succeed in a moment (safely
  // with an Idempotency-Key, should the connection have died just as it committed).
  if (isDatabaseUnavailable(exception)) {
    return {
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      message: 'the database is unavailable; retry later',
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
    };
  }
  return null;
}

// Fastify's own client errors (body too large, unsupported media type, …) carry a statusCode.
function fastifyProblem(exception: unknown): Problem | null {
  const fastifyError = exception as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (
    typeof fastifyError?.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500 &&
    typeof fastifyError.code === 'string'
  ) {
    return { status: fastifyError.statusCode, code: fastifyError.code, message: String(fastifyError.message) };
  }
  return null;
}
