export type ListFieldType = 'integer' | 'date' | 'string';

export interface ListField {
  // SQL expression over the list's alias, e.g. `c.created_at`. Comes from code, never from input.
  column: string;
  type: ListFieldType;
  // When set, the only values a filter may compare against.
  values?: readonly string[];
}

// What one resource's list allows: the whitelist the query language is checked against.
export interface ListSpec {
  filterable: Readonly<Record<string, ListField>>;
  sortable: readonly string[];
  defaultOrderBy: string;
  defaultOrderMode: OrderMode;
  includes: readonly string[];
  fields: readonly string[];
  // The field that, when a filter names it, shows deleted rows too.
  stateField: string;
  // The column rows are finally ordered by, so that pages never overlap.
  tieBreaker: string;
}

export type OrderMode = 'asc' | 'desc';

export type FilterOperator = '$eq' | '$ne' | '$lt' | '$lte' | '$gt' | '$gte' | '$in' | '$nin';

export type FilterNode =
  | { kind: 'and' | 'or'; nodes: FilterNode[] }
  | { kind: 'compare'; field: string; operator: FilterOperator; value: unknown };

export interface ListQuery {
  page: number;
  pageSize: number;
  orderBy: string;
  orderMode: OrderMode;
  filter: FilterNode | null;
  // Whether the filter names the state field: then deleted rows are not hidden.
  filtersState: boolean;
  fields: string[] | null;
  includes: Set<string>;
}

export interface PageMeta {
  count: number;
  pageSize: number;
  pageOffset: number;
  pages: number;
  hasMore: boolean;
}

export function pageMeta(query: Pick<ListQuery, 'page' | 'pageSize'>, count: number): PageMeta {
  const pages = Math.ceil(count / query.pageSize);
  return {
    count,
    pageSize: query.pageSize,
    pageOffset: (query.page - 1) * query.pageSize,
    pages,
    hasMore: query.page < pages,
  };
}
