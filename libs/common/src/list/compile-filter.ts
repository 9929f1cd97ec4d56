import { FilterNode, FilterOperator, ListSpec } from './list-spec';

export interface CompiledFilter {
  sql: string;
  params: Record<string, unknown>;
}

const COMPARISON_SQL = { $lt: '<', $lte: '<=', $gt: '>', $gte: '>=' } as const;

// Turns a parsed filter into a parameterised WHERE fragment (TypeORM `:name` parameters). Column
// expressions come from the spec; every value is a bound parameter.
export function compileFilter(node: FilterNode, spec: ListSpec, paramPrefix = 'f'): CompiledFilter {
  const params: Record<string, unknown> = {};
  let counter = 0;
  const bind = (value: unknown): string => {
    const name = `${paramPrefix}${counter++}`;
    params[name] = value;
    return `:${name}`;
  };

  const compile = (current: FilterNode): string => {
    if (current.kind !== 'compare') {
      const joiner = current.kind === 'and' ? ' AND ' : ' OR ';
      return `(${current.nodes.map(compile).join(joiner)})`;
    }
    const field = spec.filterable[current.field];
    const value = normalized(field.caseInsensitive ? lowered(current.value) : current.value, field.normalize);
    if (field.array) return arrayCondition(field.column, SQL_ARRAY_TYPES[field.type], current.operator, value);
    if (!field.exists) return condition(field.column, current.operator, value);
    // Over related rows: "none equals" is NOT EXISTS of "one equals", as Mongo reads arrays.
    switch (current.operator) {
      case '$ne':
        return `NOT ${field.exists(condition(field.column, '$eq', value))}`;
      case '$nin':
        return `NOT ${field.exists(condition(field.column, '$in', value))}`;
      default:
        return field.exists(condition(field.column, current.operator, value));
    }
  };

  const condition = (column: string, operator: FilterOperator, value: unknown): string => {
    switch (operator) {
      case '$eq':
        return value === null ? `${column} IS NULL` : `${column} = ${bind(value)}`;
      // Like Mongo, "not equal" and "not in" also match rows where the field is empty.
      case '$ne':
        return value === null ? `${column} IS NOT NULL` : `${column} IS DISTINCT FROM ${bind(value)}`;
      case '$in':
        return `${column} = ANY(${bind(value)})`;
      case '$nin':
        return `(${column} IS NULL OR ${column} <> ALL(${bind(value)}))`;
      default:
        return `${column} ${COMPARISON_SQL[operator]} ${bind(value)}`;
    }
  };

  // An array column (GIN-indexed: `@>` and `&&`): a value is carried, or any of several; null is
  // the empty array. The negations are NOT of the positive forms.
  const arrayCondition = (column: string, sqlType: string, operator: FilterOperator, value: unknown): string => {
    if (value === null) return operator === '$eq' ? `cardinality(${column}) = 0` : `cardinality(${column}) > 0`;
    const values = Array.isArray(value) ? value : [value];
    const positive = `${column} ${operator === '$eq' || operator === '$ne' ? '@>' : '&&'} CAST(${bind(values)} AS ${sqlType})`;
    return operator === '$ne' || operator === '$nin' ? `NOT (${positive})` : positive;
  };

  return { sql: compile(node), params };
}

const SQL_ARRAY_TYPES = { integer: 'bigint[]', date: 'timestamptz[]', string: 'text[]', boolean: 'boolean[]' } as const;

function lowered(value: unknown): unknown {
  if (typeof value === 'string') return value.toLowerCase();
  return Array.isArray(value) ? value.map(lowered) : value;
}

function normalized(value: unknown, normalize: ((value: string) => string) | undefined): unknown {
  if (!normalize) return value;
  if (typeof value === 'string') return normalize(value);
  return Array.isArray(value) ? value.map((item) => normalized(item, normalize)) : value;
}
