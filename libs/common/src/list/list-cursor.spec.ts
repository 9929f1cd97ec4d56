import { decodeCursor, encodeCursor, filterFingerprint } from './list-cursor';

describe('list cursors', () => {
  const cursor = { orderBy: 'createdAt', orderMode: 'desc' as const, value: '2026-01-01 00:00:00.123456+00', id: 42, filter: filterFingerprint(null) };

  it('should round-trip, NULL order values included', () => {
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor(encodeCursor({ ...cursor, value: null }))).toEqual({ ...cursor, value: null });
  });

  it.each([
    ['not base64url', 'a b'],
    ['not JSON', Buffer.from('{nope').toString('base64url')],
    ['another version', Buffer.from(JSON.stringify([2, 'id', 'asc', '1', 1, 'x'])).toString('base64url')],
    ['a bad order mode', Buffer.from(JSON.stringify([1, 'id', 'up', '1', 1, 'x'])).toString('base64url')],
    ['a fractional id', Buffer.from(JSON.stringify([1, 'id', 'asc', '1', 1.5, 'x'])).toString('base64url')],
    ['an object value', Buffer.from(JSON.stringify([1, 'id', 'asc', { $gt: 1 }, 1, 'x'])).toString('base64url')],
    ['a huge text', 'A'.repeat(3000)],
  ])('should refuse %s', (_case, text) => {
    expect(decodeCursor(text)).toBeNull();
  });

  it('should tell filters and scopes apart', () => {
    const node = { kind: 'compare' as const, field: 'id', operator: '$gt' as const, value: 1 };
    expect(filterFingerprint(node)).toBe(filterFingerprint({ ...node }));
    expect(filterFingerprint(node)).not.toBe(filterFingerprint(null));
    expect(filterFingerprint(null, 'conversation:1')).not.toBe(filterFingerprint(null, 'conversation:2'));
  });
});
