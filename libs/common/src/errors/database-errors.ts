import { QueryFailedError } from 'typeorm';

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
