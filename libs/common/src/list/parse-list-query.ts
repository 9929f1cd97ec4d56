import { FieldErrorsBuilder } from '../errors/app-error';
import { Messages } from '../validation/messages';
import { decodeCursor } from './list-cursor';
import { FilterLimits, parseFilter } from './parse-filter';
import { FilterNode, ListCursor, ListQuery, ListSpec, OrderMode } from './list-spec';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;
const ORDER_MODES: readonly OrderMode[] = ['asc', 'desc'];

type RawQuery = Record<string, unknown>;

// Parses the Desk list parameters against a resource's whitelist. Every problem is reported at
// once, keyed by parameter; nothing the caller sends reaches SQL except as a bound value.
// `limits` is the AppConfig, whose filter limits the controllers pass on.
export function parseListQuery(raw: RawQuery, spec: ListSpec, limits: FilterLimits): ListQuery {
  const errors = new FieldErrorsBuilder();

  const page = parsePositiveInteger(raw.page, 'page', 1, errors);
  // Larger page sizes are clamped rather than refused, as Teamwork does.
  const pageSize = Math.min(parsePositiveInteger(raw.pageSize, 'pageSize', DEFAULT_PAGE_SIZE, errors), MAX_PAGE_SIZE);
  const cursor = parseCursor(raw, spec, errors);
  const { orderBy, orderMode } = parseOrder(raw, spec, cursor, errors);
  const fields = parseList(raw.fields, 'fields', spec.fields, errors);
  const includes = parseList(raw.includes, 'includes', [...spec.includes, 'all'], errors);
  const { filter, filtersState } = parseListFilter(raw, spec, limits, errors);

  errors.throwIfAny();
  return {
    page,
    pageSize,
    orderBy,
    orderMode,
    filter,
    filtersState,
    cursor,
    fields: fields && fields.length > 0 ? fields : null,
    includes: new Set(includes?.includes('all') ? spec.includes : (includes ?? [])),
  };
}

// A cursor carries its order; orderBy and orderMode may repeat it but not change it.
function parseOrder(raw: RawQuery, spec: ListSpec, cursor: ListCursor | null, errors: FieldErrorsBuilder): { orderBy: string; orderMode: OrderMode } {
  const orderBy = single(raw.orderBy, 'orderBy', errors) ?? cursor?.orderBy ?? spec.defaultOrderBy;
  if (!spec.sortable.includes(orderBy)) errors.add('orderBy', Messages.oneOf(spec.sortable));

  const orderMode = single(raw.orderMode, 'orderMode', errors)?.toLowerCase() ?? cursor?.orderMode ?? spec.defaultOrderMode;
  if (!ORDER_MODES.includes(orderMode as OrderMode)) errors.add('orderMode', Messages.oneOf(ORDER_MODES));
  if (cursor && (cursor.orderBy !== orderBy || cursor.orderMode !== orderMode)) {
    errors.add('cursor', 'was issued for another order; drop orderBy and orderMode, or start from the first page');
  }
  return { orderBy, orderMode: orderMode as OrderMode };
}

// `filtersState`: the filter names the state field, so deleted rows are not hidden.
function parseListFilter(
  raw: RawQuery,
  spec: ListSpec,
  limits: FilterLimits,
  errors: FieldErrorsBuilder,
): { filter: FilterNode | null; filtersState: boolean } {
  const text = single(raw.filter, 'filter', errors);
  if (text === undefined || text.trim() === '') return { filter: null, filtersState: false };
  const parsed = parseFilter(text, spec, limits);
  errors.merge(parsed.errors);
  return { filter: parsed.node, filtersState: spec.stateField !== null && parsed.fields.has(spec.stateField) };
}

function parseCursor(raw: RawQuery, spec: ListSpec, errors: FieldErrorsBuilder): ListCursor | null {
  const text = single(raw.cursor, 'cursor', errors);
  if (text === undefined || text === '') return null;
  if (raw.page !== undefined && raw.page !== '') errors.add('page', 'must not be given with cursor');
  const cursor = decodeCursor(text);
  if (!cursor || !spec.sortable.includes(cursor.orderBy)) {
    errors.add('cursor', 'is not a valid cursor; use meta.page.nextCursor of a previous page');
    return null;
  }
  return cursor;
}

// Query parameters given twice arrive as arrays; the API takes each once.
function single(value: unknown, name: string, errors: FieldErrorsBuilder): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    errors.add(name, 'must be given once');
    return undefined;
  }
  return value;
}

function parsePositiveInteger(value: unknown, name: string, fallback: number, errors: FieldErrorsBuilder): number {
  const text = single(value, name, errors);
  if (text === undefined || text === '') return fallback;
  if (!/^-?\d{1,9}$/.test(text.trim())) {
    errors.add(name, Messages.integer);
    return fallback;
  }
  const parsed = Number(text.trim());
  if (parsed < 1) {
    errors.add(name, Messages.positive);
    return fallback;
  }
  return parsed;
}

// `fields=id,state` and `includes=users,customers`: comma lists over a whitelist.
function parseList(
  value: unknown,
  name: string,
  allowed: readonly string[],
  errors: FieldErrorsBuilder,
): string[] | undefined {
  const text = single(value, name, errors);
  if (text === undefined) return undefined;
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const unknown = items.filter((item) => !allowed.includes(item));
  if (unknown.length > 0) errors.add(name, Messages.oneOf(allowed));
  return [...new Set(items.filter((item) => allowed.includes(item)))];
}
