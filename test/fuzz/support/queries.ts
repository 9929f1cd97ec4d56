import fc from 'fast-check';
import { ListSpec } from '@app/common';
import { BROKEN_ENCODING, encodeQuery, hostileNumber, hostileString, hostileValue, NUMBER_TEXT, NUMBER_WORDS, SQL_TEXT, toJson } from './arbitraries';

// Desk list parameters (libs/common/src/list/parse-list-query.ts), each malformed in every way we
// could think of, against one list's whitelist.

const OPERATORS = ['$eq', '$ne', '$lt', '$lte', '$gt', '$gte', '$in', '$nin'];
const BAD_OPERATORS = ['$regex', '$like', '$where', '$exists', '$', '', 'eq', '$EQ', '$in ', '__proto__', '$and', '$or'];

function filterArbitrary(spec: ListSpec): fc.Arbitrary<string> {
  const fields = Object.keys(spec.filterable);
  const field = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...(fields.length > 0 ? fields : ['id'])) },
    { weight: 1, arbitrary: fc.constantFrom('tenant_id', 'secret_hash', 'id; DROP TABLE x', 'c.id', '__proto__', 'constructor', '', 'ID', 'contacts.value') },
    { weight: 1, arbitrary: hostileString.filter((s) => s.length < 100) },
  );
  // The list's own words (a status, a priority, "me"), so that filters get past validation too.
  const words = [...new Set(Object.values(spec.filterable).flatMap((f) => [...(f.values ?? []), ...(f.symbols ?? [])]))];
  const value = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<unknown>(1, '1', 'active', 'deleted', '2026-01-01T00:00:00Z', '2026-01-01', null, true, ...words) },
    { weight: 3, arbitrary: hostileValue },
    { weight: 1, arbitrary: fc.constantFrom(...SQL_TEXT) },
  );
  const comparison = fc.oneof(
    fc.tuple(field, value).map(([name, v]) => ({ [name]: v })),
    fc.tuple(field, fc.oneof(fc.constantFrom(...OPERATORS), fc.constantFrom(...BAD_OPERATORS)), fc.oneof(value, fc.array(value, { maxLength: 5 }))).map(([name, op, v]) => ({ [name]: { [op]: v } })),
  );
  const { node } = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 3, arbitrary: comparison },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('$and', '$or', '$not', '$nor'), fc.oneof(fc.array(tie('node'), { maxLength: 4 }), hostileValue)).map(([op, nodes]) => ({ [op]: nodes })) },
    ),
  }));
  const depth = (n: number, op: string) => `${`{"${op}":[`.repeat(n)}{"id":1}${']}'.repeat(n)}`;
  const bombs = fc.oneof(
    fc.tuple(fc.integer({ min: 5, max: 3000 }), fc.constantFrom('$and', '$or')).map(([n, op]) => depth(n, op)),
    fc.integer({ min: 50, max: 100_000 }).map((n) => `{"id":{"$in":[${Array.from({ length: n }, (_, i) => i).join(',')}]}}`),
    fc.integer({ min: 50, max: 20_000 }).map((n) => `{"$or":[${Array.from({ length: n }, () => '{"id":1}').join(',')}]}`),
    fc.integer({ min: 10, max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  );
  return fc.oneof(
    { weight: 5, arbitrary: node.map(toJson) },
    { weight: 1, arbitrary: bombs },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...SQL_TEXT), hostileString, fc.jsonValue().map((v) => JSON.stringify(v))) },
  );
}

function cursorArbitrary(spec: ListSpec): fc.Arbitrary<string> {
  const forged = fc
    .tuple(
      fc.oneof(fc.constant(1), hostileNumber),
      fc.oneof(fc.constantFrom(...spec.sortable), hostileString),
      fc.constantFrom('asc', 'desc', 'ASC', ''),
      fc.oneof(fc.constant(null), hostileString, hostileNumber, fc.constantFrom('2026-01-01T00:00:00Z', 'not a date', '99999999999999999999', '1e309', 'NaN', '-infinity', '2026-13-45')),
      fc.oneof(fc.integer({ min: 1, max: 2 ** 31 }), hostileNumber, fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 31, 2 ** 63)),
      fc.oneof(fc.constant(''), hostileString),
    )
    .map((parts) => Buffer.from(toJson(parts)).toString('base64url'));
  return fc.oneof(forged, hostileString, fc.base64String({ maxLength: 200 }), fc.constantFrom('x'.repeat(3000), '-_-_', '=='));
}

function commaList(allowed: readonly string[]): fc.Arbitrary<string> {
  const item = fc.oneof(fc.constantFrom(...(allowed.length > 0 ? allowed : ['id'])), fc.constantFrom('all', '', ' ', 'secret', 'tenant_id', '__proto__', 'id id'), hostileString.filter((s) => s.length < 50));
  return fc.oneof(fc.array(item, { maxLength: 6 }).map((items) => items.join(',')), fc.integer({ min: 100, max: 20_000 }).map((n) => Array(n).fill(allowed[0] ?? 'id').join(',')));
}

export function listQueryArbitrary(spec: ListSpec | undefined): fc.Arbitrary<string> {
  const listParams: fc.Arbitrary<[string, string]>[] = spec
    ? [
        fc.tuple(fc.constantFrom('page', 'pageSize'), fc.oneof(fc.constantFrom(...NUMBER_WORDS, ...NUMBER_TEXT), fc.integer().map(String), hostileString)),
        fc.tuple(fc.constant('orderBy'), fc.oneof(fc.constantFrom(...spec.sortable), fc.constantFrom(...SQL_TEXT, 'id desc', 'random()', 'tenant_id'), hostileString)),
        fc.tuple(fc.constant('orderMode'), fc.oneof(fc.constantFrom('asc', 'desc', 'DESC', 'Asc', '', 'sideways', 'asc nulls first'), hostileString)),
        fc.tuple(fc.constant('fields'), commaList(spec.fields)),
        fc.tuple(fc.constant('includes'), commaList(spec.includes)),
        fc.tuple(fc.constant('filter'), filterArbitrary(spec)),
        fc.tuple(fc.constant('cursor'), cursorArbitrary(spec)),
      ]
    : [fc.tuple(fc.constantFrom('fields', 'includes', 'filter', 'page'), hostileString)];
  const param = fc.oneof(
    { weight: 8, arbitrary: fc.oneof(...listParams).map(([name, value]) => `${name}=${encodeQuery(value)}`) },
    { weight: 1, arbitrary: fc.tuple(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'page[]', 'filter[id]', 'a[b][c]'), hostileString.filter((s) => s.length < 50)), hostileString.filter((s) => s.length < 200)).map(([name, value]) => `${encodeQuery(name)}=${encodeQuery(value)}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('page', 'pageSize', 'filter', 'orderBy', 'fields', 'cursor'), fc.constantFrom(...BROKEN_ENCODING)).map(([name, raw]) => `${name}=${raw}`) },
  );
  return fc.array(param, { minLength: 1, maxLength: 5 }).map((params) => params.join('&'));
}

// HighLevel's search and message-list parameters.
export function highLevelQueryArbitrary(locationId: string): fc.Arbitrary<string> {
  const value = fc.oneof(hostileString.filter((s) => s.length < 5000), fc.constantFrom(...NUMBER_WORDS, ...NUMBER_TEXT), fc.integer().map(String));
  const param = fc.oneof(
    fc.tuple(fc.constantFrom('locationId'), fc.oneof(fc.constant(locationId), value)),
    fc.tuple(
      fc.constantFrom('contactId', 'assignedTo', 'id', 'query', 'sort', 'sortBy', 'startAfterDate', 'limit', 'status', 'lastMessageId', 'type', 'lastMessageType', 'lastMessageDirection', 'lastMessageAction', 'startDate', 'endDate'),
      fc.oneof(value, fc.constantFrom('asc', 'desc', 'last_message_date', 'all', 'unread', 'unassigned', 'TYPE_LIVE_CHAT', 'TYPE_INTERNAL_COMMENT', 'inbound', 'outbound', 'manual', '1,2', '1700000000000,1', ',')),
    ),
  );
  return fc
    .tuple(fc.boolean(), fc.array(param, { maxLength: 5 }))
    .map(([withLocation, params]) => [...(withLocation ? [['locationId', locationId]] : []), ...params].map(([k, v]) => `${k}=${encodeQuery(v)}`).join('&'));
}
