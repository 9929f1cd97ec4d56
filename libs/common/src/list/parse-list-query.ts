import { FieldErrorsBuilder } from '../errors/app-error';
import { Messages } from '../validation/messages';
import { parseFilter } from './parse-filter';
import { FilterNode, ListQuery, ListSpec, OrderMode } from './list-spec';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;
const ORDER_MODES: readonly OrderMode[] = ['asc', 'desc'];

type RawQuery = Record<string, unknown>;

// Parses the Desk list parameters against a resource's whitelist. Every problem is reported at
// once, keyed by parameter; nothing the caller sends reaches SQL except as a bound value.
export function parseListQuery(raw: RawQuery, spec: ListSpec): ListQuery {
  const errors = new FieldErrorsBuilder();

  const page = parsePositiveInteger(raw.page, 'page', 1, errors);
  // Larger page sizes are clamped rather than refused, as Teamwork does.
  const pageSize = Math.min(parsePositiveInteger(raw.pageSize, 'pageSize', DEFAULT_PAGE_SIZE, errors), MAX_PAGE_SIZE);

  const orderBy = single(raw.orderBy, 'orderBy', errors) ?? spec.defaultOrderBy;
  if (!spec.sortable.includes(orderBy)) errors.add('orderBy', Messages.oneOf(spec.sortable));

  const orderModeRaw = single(raw.orderMode, 'orderMode', errors)?.toLowerCase() ?? spec.defaultOrderMode;
  if (!ORDER_MODES.includes(orderModeRaw as OrderMode)) errors.add('orderMode', Messages.oneOf(ORDER_MODES));

  const fields = parseList(raw.fields, 'fields', spec.fields, errors);
  const includes = parseList(raw.includes, 'includes', [...spec.includes, 'all'], errors);

  let filter: FilterNode | null = null;
  let filtersState = false;
  const filterRaw = single(raw.filter, 'filter', errors);
  if (filterRaw !== undefined && filterRaw.trim() !== '') {
    const parsed = parseFilter(filterRaw, spec);
    errors.merge(parsed.errors);
    filter = parsed.node;
    filtersState = parsed.fields.has(spec.stateField);
  }

  errors.throwIfAny();
  return {
    page,
    pageSize,
    orderBy,
    orderMode: orderModeRaw as OrderMode,
    filter,
    filtersState,
    fields: fields && fields.length > 0 ? fields : null,
    includes: new Set(includes?.includes('all') ? spec.includes : (includes ?? [])),
  };
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
