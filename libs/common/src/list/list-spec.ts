export type ListFieldType = 'integer' | 'date' | 'string' | 'boolean';

export interface ListField {
  // SQL expression over the list's alias, e.g. `c.created_at`. Comes from code, never from input.
  column: string;
  type: ListFieldType;
  // When set, the only values a filter may compare against.
  values?: readonly string[];
  // The column may hold NULL: cursor paging then places NULLs as PostgreSQL orders them.
  nullable?: boolean;
  // Compared without regard to case: `column` is then `lower(…)` and values are lowered too.
  caseInsensitive?: boolean;
  // Applied to every string a filter compares the field with (after lower-casing), so that a value
  // is looked for in the form it is stored in (contacts: see the contacts module's normalisation).
  normalize?: (value: string) => string;
  // A field of related rows (`contacts.value`): the condition is wrapped in EXISTS (`exists(condition)`);
  // the negative operators become NOT EXISTS of their positive form, as Mongo matches arrays.
  exists?: (condition: string) => string;
  // The column is a SQL array of `type` (a conversation's label ids): a value means "carries it"
  // (`@>`), `$in` "carries any of them" (`&&`), null "carries none"; only the equality operators.
  array?: boolean;
  // Words that stand for a value only the request knows (`"me"`: the caller's id), accepted where a
  // value is compared for equality; runList replaces them from its `symbols` before anything else.
  symbols?: readonly string[];
  // What the list is ordered by when it is not `column` (a priority by its rank, not its name).
  order?: { column: string; type: ListFieldType };
}

// What one resource's list allows: the whitelist the query language is checked against.
export interface ListSpec {
  filterable: Readonly<Record<string, ListField>>;
  sortable: readonly string[];
  defaultOrderBy: string;
  defaultOrderMode: OrderMode;
  includes: readonly string[];
  fields: readonly string[];
  // The field that, when a filter names it, shows deleted rows too; none for rows never deleted.
  stateField: string | null;
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
  // Where a `?cursor=` continues from; then `page` is not used.
  cursor: ListCursor | null;
  fields: string[] | null;
  includes: Set<string>;
}

// A position in one ordering of one list: the order key's value (as PostgreSQL's text) and the id
// of the last row seen. `filter` fingerprints the filter and scope it was issued for.
export interface ListCursor {
  orderBy: string;
  orderMode: OrderMode;
  value: string | null;
  id: number;
  filter: string;
}

export interface PageMeta {
  count: number;
  pageSize: number;
  // Rows before this page; null on a page reached by cursor, where counting them would cost what
  // the cursor saves.
  pageOffset: number | null;
  pages: number;
  hasMore: boolean;
  // Opaque; `?cursor=` continues after this page in the same order. Null on the last page.
  nextCursor: string | null;
}
