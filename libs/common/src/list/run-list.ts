import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { ValidationError } from '../errors/app-error';
import { compileFilter } from './compile-filter';
import { encodeCursor, filterFingerprint } from './list-cursor';
import { isIsoDate } from './parse-filter';
import { FilterNode, ListField, ListFieldType, ListQuery, ListSpec, PageMeta } from './list-spec';

export interface ListPage<T> {
  rows: T[];
  count: number;
  meta: PageMeta;
}

export interface RunListOptions {
  // What else the list is scoped to (e.g. `conversation:12`): a cursor works only where it was issued.
  scope?: string;
  // The request's values of the spec's symbols (`{me: 7}`): a filter's `"me"` is compared as 7, and
  // a cursor issued for one caller's `"me"` does not continue another's.
  symbols?: Readonly<Record<string, string | number>>;
}

const SQL_TYPES: Record<ListFieldType, string> = { integer: 'bigint', date: 'timestamptz', string: 'text', boolean: 'boolean' };

// The one executor of the Desk list language. `qb` selects the resource's rows already scoped to
// the caller's tenant (and whatever else the endpoint scopes by); this adds the state default,
// the filter, the order, and the page: by number with OFFSET, or by cursor with a keyset
// condition the (tenant_id, …, order key, id) indexes serve, so a deep page costs a first page.
export async function runList<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  spec: ListSpec,
  query: ListQuery,
  options: RunListOptions = {},
): Promise<ListPage<T>> {
  const filter = resolveSymbols(query.filter, spec, options.symbols ?? {});
  const fingerprint = filterFingerprint(filter, options.scope);
  if (query.cursor && query.cursor.filter !== fingerprint) {
    throw ValidationError.of('cursor', 'was issued for another filter or list; drop it to start from the first page');
  }
  const order = orderKey(spec.filterable[query.orderBy]);
  if (query.cursor && !cursorValueFits(order, query.cursor.value)) {
    throw ValidationError.of('cursor', 'is not a valid cursor; use meta.page.nextCursor of a previous page');
  }
  if (spec.stateField !== null && !query.filtersState) qb.andWhere(`${spec.filterable[spec.stateField].column} = 'active'`);
  if (filter) {
    const { sql, params } = compileFilter(filter, spec);
    qb.andWhere(sql, params);
  }
  const counting = qb.clone();

  const direction = query.orderMode === 'asc' ? 'ASC' : 'DESC';
  qb.addSelect(`(${order.column})::text`, 'list_cursor_value')
    .orderBy(order.column, direction)
    .addOrderBy(spec.tieBreaker, direction)
    .limit(query.pageSize + 1);
  if (query.cursor) {
    const { sql, params } = keysetCondition(order, spec.tieBreaker, query.orderMode === 'asc', query.cursor.value, query.cursor.id);
    qb.andWhere(sql, params);
  } else {
    qb.offset((query.page - 1) * query.pageSize);
  }

  const [{ entities, raw }, count] = await Promise.all([qb.getRawAndEntities(), counting.getCount()]);
  const hasMore = entities.length > query.pageSize;
  const rows = entities.slice(0, query.pageSize);
  const last = rows.at(-1);
  const nextCursor =
    hasMore && last
      ? encodeCursor({
          orderBy: query.orderBy,
          orderMode: query.orderMode,
          value: (raw[rows.length - 1] as { list_cursor_value: string | null }).list_cursor_value,
          id: (last as unknown as { id: number }).id,
          filter: fingerprint,
        })
      : null;
  return {
    rows,
    count,
    meta: {
      count,
      pageSize: query.pageSize,
      pageOffset: query.cursor ? null : (query.page - 1) * query.pageSize,
      pages: Math.ceil(count / query.pageSize),
      hasMore,
      nextCursor,
    },
  };
}

// What a field orders by: its own column, or the key it names for ordering.
function orderKey(field: ListField): ListField {
  return field.order ? { ...field, column: field.order.column, type: field.order.type } : field;
}

// The filter with every symbol of a field replaced by the request's value for it.
function resolveSymbols(node: FilterNode | null, spec: ListSpec, symbols: Readonly<Record<string, string | number>>): FilterNode | null {
  if (!node) return null;
  if (node.kind !== 'compare') return { kind: node.kind, nodes: node.nodes.map((child) => resolveSymbols(child, spec, symbols)!) };
  const words = spec.filterable[node.field].symbols;
  if (!words) return node;
  const resolve = (value: unknown): unknown => {
    if (typeof value !== 'string' || !words.includes(value)) return value;
    // The parser accepted the word, so the endpoint must say what it stands for.
    if (!Object.hasOwn(symbols, value)) throw new Error(`list symbol '${value}' of '${node.field}' has no value for this request`);
    return symbols[value];
  };
  return { ...node, value: Array.isArray(node.value) ? node.value.map(resolve) : resolve(node.value) };
}

// Rows after (value, id) in the list's order. PostgreSQL puts NULLs last going up and first going
// down; a row comparison alone would drop them, so nullable keys spell the NULL side out.
function keysetCondition(
  field: ListField,
  tieBreaker: string,
  ascending: boolean,
  value: string | null,
  id: number,
): { sql: string; params: Record<string, unknown> } {
  const column = field.column;
  const op = ascending ? '>' : '<';
  const params = { cursorValue: value, cursorId: id };
  const after = `(${column}, ${tieBreaker}) ${op} (CAST(:cursorValue AS ${SQL_TYPES[field.type]}), :cursorId)`;
  if (value === null) {
    const sameNull = `(${column} IS NULL AND ${tieBreaker} ${op} :cursorId)`;
    return { sql: ascending ? sameNull : `(${sameNull} OR ${column} IS NOT NULL)`, params };
  }
  if (field.nullable && ascending) return { sql: `(${after} OR ${column} IS NULL)`, params };
  return { sql: after, params };
}

// A cursor's value came from PostgreSQL's own text for the column; anything else was made up, and
// is refused here rather than failing the cast in SQL.
const PG_TIMESTAMPTZ = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

function cursorValueFits(field: ListField, value: string | null): boolean {
  if (value === null) return field.nullable === true;
  switch (field.type) {
    case 'integer':
      return /^-?\d{1,18}$/.test(value);
    case 'date':
      return PG_TIMESTAMPTZ.test(value) && isIsoDate(value.slice(0, 10));
    case 'string':
      return !value.includes('\0');
    case 'boolean':
      return value === 'true' || value === 'false';
  }
}
