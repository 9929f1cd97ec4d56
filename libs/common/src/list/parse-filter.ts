import { FieldErrors } from '../errors/app-error';
import { Messages } from '../validation/messages';
import { FilterNode, FilterOperator, ListField, ListSpec } from './list-spec';

export const FILTER_OPERATORS: readonly FilterOperator[] = ['$eq', '$ne', '$lt', '$lte', '$gt', '$gte', '$in', '$nin'];
const LOGICAL = ['$and', '$or'] as const;
const EQUALITY: readonly FilterOperator[] = ['$eq', '$ne', '$in', '$nin'];
const MAX_LIST_VALUES = 500;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

// How deep a filter may nest ($and/$or levels, the top object being 1) and how many conditions it
// may hold in all; the environment sets them (FILTER_MAX_DEPTH, FILTER_MAX_CLAUSES).
export interface FilterLimits {
  FILTER_MAX_DEPTH: number;
  FILTER_MAX_CLAUSES: number;
}

export interface ParsedFilter {
  node: FilterNode | null;
  errors: FieldErrors;
  // Every field the filter names, wherever it is nested.
  fields: Set<string>;
}

// The Desk `filter` parameter: Mongo-style JSON, e.g. {"id":{"$in":[1,2]},"$or":[{"state":"deleted"}]}.
// Every error is keyed by the parameter, `filter`, and says where in it the problem is.
// JSON.parse takes any nesting without recursion (V8's parser is iterative); the walk below stops
// at the depth limit, so a JSON bomb of 100,000 '[' is one 400, not a stack overflow.
export function parseFilter(text: string, spec: ListSpec, limits: FilterLimits): ParsedFilter {
  const parser = new FilterParser(spec, limits);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { node: null, errors: { filter: [Messages.json] }, fields: parser.fields };
  }
  const node = parser.parseObject(json, 'filter', 1);
  return { node, errors: parser.errors, fields: parser.fields };
}

class FilterParser {
  readonly errors: FieldErrors = {};
  readonly fields = new Set<string>();
  private conditions = 0;

  constructor(
    private readonly spec: ListSpec,
    private readonly limits: FilterLimits,
  ) {}

  parseObject(json: unknown, path: string, depth: number): FilterNode | null {
    const maxDepth = this.limits.FILTER_MAX_DEPTH;
    if (depth > maxDepth) return this.fail(path, `must not nest deeper than ${maxDepth} levels`);
    if (!isObject(json)) return this.fail(path, Messages.object);
    // Every key is a condition or an error at least: no object longer than the limit is walked.
    const entries = Object.entries(json);
    if (entries.length > this.limits.FILTER_MAX_CLAUSES) return this.tooManyConditions();
    const nodes: FilterNode[] = [];
    for (const [key, value] of entries) {
      const node = (LOGICAL as readonly string[]).includes(key)
        ? this.parseLogical(key as '$and' | '$or', value, `${path}.${key}`, depth)
        : this.parseField(key, value, `${path}.${key}`);
      if (node) nodes.push(node);
    }
    if (nodes.length === 0) return null;
    return nodes.length === 1 ? nodes[0] : { kind: 'and', nodes };
  }

  private parseLogical(key: '$and' | '$or', value: unknown, path: string, depth: number): FilterNode | null {
    if (!Array.isArray(value) || value.length === 0) return this.fail(path, 'must be a non-empty array of filters');
    // Every item counts, empty ones too, so no array longer than the limit is walked.
    if (value.length > this.limits.FILTER_MAX_CLAUSES) return this.tooManyConditions();
    const nodes = value
      .map((item, index) => this.parseObject(item, `${path}[${index}]`, depth + 1))
      .filter((node): node is FilterNode => node !== null);
    return nodes.length === 0 ? null : { kind: key === '$and' ? 'and' : 'or', nodes };
  }

  private parseField(name: string, value: unknown, path: string): FilterNode | null {
    // Own fields only: `constructor` or `__proto__` would otherwise find Object's members.
    const field = Object.hasOwn(this.spec.filterable, name) ? this.spec.filterable[name] : undefined;
    if (!field) {
      return this.fail('filter', `unknown field '${name}'; use one of ‘${Object.keys(this.spec.filterable).join(', ')}’`);
    }
    this.fields.add(name);
    // A bare value means $eq.
    if (!isObject(value)) return this.compare(name, field, '$eq', value, path);
    const entries = Object.entries(value);
    if (entries.length === 0) return this.fail(path, 'must name at least one operator');
    if (entries.length > this.limits.FILTER_MAX_CLAUSES) return this.tooManyConditions();
    const nodes: FilterNode[] = [];
    for (const [operator, operand] of entries) {
      if (!(FILTER_OPERATORS as readonly string[]).includes(operator)) {
        this.fail('filter', `unknown operator '${operator}' on '${name}'; use one of ‘${FILTER_OPERATORS.join(', ')}’`);
        continue;
      }
      const node = this.compare(name, field, operator as FilterOperator, operand, `${path}.${operator}`);
      if (node) nodes.push(node);
    }
    if (nodes.length === 0) return null;
    return nodes.length === 1 ? nodes[0] : { kind: 'and', nodes };
  }

  private compare(name: string, field: ListField, operator: FilterOperator, value: unknown, path: string): FilterNode | null {
    if (++this.conditions > this.limits.FILTER_MAX_CLAUSES) return this.tooManyConditions();
    const equality = EQUALITY.includes(operator);
    if (field.array && !equality) return this.fail(path, `does not apply to '${name}'; use one of ‘${EQUALITY.join(', ')}’`);
    if (operator === '$in' || operator === '$nin') {
      if (!Array.isArray(value) || value.length === 0) return this.fail(path, 'must be a non-empty array');
      if (value.length > MAX_LIST_VALUES) return this.fail(path, `must have at most ${MAX_LIST_VALUES} values`);
      const problems = value.map((item) => checkValue(field, item, false, true)).filter((p): p is string => p !== null);
      if (problems.length > 0) return this.fail(path, problems[0]);
      return { kind: 'compare', field: name, operator, value };
    }
    // null is only meaningful as "is null" / "is not null".
    const problem = checkValue(field, value, equality, equality);
    if (problem) return this.fail(path, problem);
    return { kind: 'compare', field: name, operator, value };
  }

  // Said once, however far over the limit the filter goes.
  private tooManyConditions(): null {
    const message = `must have at most ${this.limits.FILTER_MAX_CLAUSES} conditions`;
    if (this.errors.filter?.includes(message)) return null;
    return this.fail('filter', message);
  }

  // `path` is where in the filter the problem is (`filter.id.$in`); the parameter itself is `filter`.
  private fail(path: string, message: string): null {
    const where = path === 'filter' ? '' : `${path.slice('filter.'.length)} `;
    (this.errors.filter ??= []).push(`${where}${message}`);
    return null;
  }
}

function checkValue(field: ListField, value: unknown, allowNull: boolean, allowSymbols: boolean): string | null {
  if (value === null) return allowNull ? null : Messages.required;
  if (allowSymbols && typeof value === 'string' && field.symbols?.includes(value)) return null;
  switch (field.type) {
    case 'integer':
      return checkInteger(field, value);
    case 'date':
      return typeof value === 'string' && isIsoDate(value) ? null : Messages.date;
    case 'boolean':
      return typeof value === 'boolean' ? null : Messages.boolean;
    case 'string':
      return checkString(field, value);
  }
}

function checkInteger(field: ListField, value: unknown): string | null {
  if (Number.isSafeInteger(value)) return null;
  return field.symbols ? `${Messages.integer} or one of ‘${field.symbols.join(', ')}’` : Messages.integer;
}

function checkString(field: ListField, value: unknown): string | null {
  if (typeof value !== 'string') return Messages.string;
  // PostgreSQL text cannot hold NUL.
  if (value.includes('\0')) return 'must not contain NUL characters';
  if (field.values && !field.values.includes(value)) return Messages.oneOf(field.values);
  return value.length > 1000 ? Messages.shorterThan(1001) : null;
}

// An ISO date PostgreSQL accepts too: JavaScript's parser rolls 2026-02-30 over to March.
export function isIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match || Number.isNaN(Date.parse(value))) return false;
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  const [hours, minutes, seconds] = (value.slice(11, 19).match(/\d{2}/g) ?? []).map(Number);
  return (
    year >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    (hours ?? 0) <= 23 &&
    (minutes ?? 0) <= 59 &&
    (seconds ?? 0) <= 59
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
