import { createHash } from 'node:crypto';
import { FilterNode, ListCursor, OrderMode } from './list-spec';

const VERSION = 1;

// Cursors are opaque to clients: base64url of a small JSON array. Whatever a client makes of one,
// its values only ever reach SQL as bound parameters.
export function encodeCursor(cursor: ListCursor): string {
  const { orderBy, orderMode, value, id, filter } = cursor;
  return Buffer.from(JSON.stringify([VERSION, orderBy, orderMode, value, id, filter])).toString('base64url');
}

export function decodeCursor(text: string): ListCursor | null {
  if (text.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 6) return null;
  const [version, orderBy, orderMode, value, id, filter] = parsed as unknown[];
  if (version !== VERSION || typeof orderBy !== 'string' || typeof filter !== 'string') return null;
  if (!isCursorPosition(orderMode, value, id)) return null;
  return { orderBy, orderMode: orderMode as OrderMode, value: value as string | null, id: id as number, filter };
}

// The order and the last row's key that a cursor carries, as encodeCursor writes them.
function isCursorPosition(orderMode: unknown, value: unknown, id: unknown): boolean {
  if (orderMode !== 'asc' && orderMode !== 'desc') return false;
  if (value !== null && (typeof value !== 'string' || value.length > 1000)) return false;
  return Number.isSafeInteger(id) && (id as number) >= 1;
}

// What a cursor is bound to: the filter, and the scope of the list (e.g. one conversation).
export function filterFingerprint(filter: FilterNode | null, scope = ''): string {
  return createHash('sha256')
    .update(JSON.stringify([filter, scope]))
    .digest('base64url')
    .slice(0, 16);
}
