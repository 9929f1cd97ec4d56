import { createHash } from 'node:crypto';
import { PreconditionFailedError } from '../errors/app-error';

// The versions a write expects the row to be at: any ('*'), or one of these. Plain data: the
// controller reads it from If-Match, the service compares it under the row's lock.
export type ExpectedVersions = '*' | readonly string[];

// The version of an entity is a hash of its canonical wire form, not a row counter (a `version`
// column, xmin, updated_at): a conversation's form also shows its contact, participants, online
// members and latest messages, a customer's its contacts, a ticket's its tags, custom fields and
// thread, which change in other tables without touching the row. A hash moves exactly when what a
// client saw moves, whichever code path wrote it, and costs no column, trigger or extra write on
// the hot paths (webhook ingest, message posts); its price is one read of the view on a write
// that sends If-Match.
export function representationVersion(wire: unknown): string {
  return createHash('sha256').update(JSON.stringify(wire)).digest('base64url').slice(0, 27);
}

// Passes when nothing is expected or `*` (the caller has found the row); otherwise reads the
// current version, on the caller's locked row, and fails unless it is one of those expected.
export async function assertExpectedVersion(expected: ExpectedVersions | undefined, current: () => Promise<string>, what: string): Promise<void> {
  if (expected === undefined || expected === '*') return;
  if (expected.includes(await current())) return;
  throw new PreconditionFailedError('PRECONDITION_FAILED', `${what} has changed since the version given: nothing was written; read it again and retry`);
}
