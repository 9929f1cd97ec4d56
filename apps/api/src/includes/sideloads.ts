import { Injectable } from '@nestjs/common';

// Who a side-load is for: an agent (API key) or a customer (a conversation token), each seeing an
// included object through its own presenter.
export type Audience = 'agent' | 'customer';

// One type `?includes=` may side-load, registered by the module that owns it: its rows by id (one
// query whatever the number of ids) and how each audience sees one.
export interface IncludedType<Row = never> {
  fetch(tenantId: number, ids: readonly number[]): Promise<Row[]>;
  present: Partial<Record<Audience, (row: Row) => unknown>>;
}

// What a page refers to of one type: ids to read, or rows it already holds.
export type Refs = { ids: Iterable<number | null> } | { rows: readonly unknown[] };

export interface RefsContext<P> {
  // The handler's result: the page (or the one view) the views come from.
  page: P;
  // Rows of another type, read once per side-load whoever asks (customers through contacts).
  related<Row>(type: string, ids: Iterable<number | null>): Promise<Row[]>;
}

export type RefsOf<V, P = unknown> = (views: readonly V[], context: RefsContext<P>) => Refs | Promise<Refs>;

// What one resource lets `?includes=` side-load: for each type it allows, what its views refer to.
export interface SideloadSpec<V, P = unknown> {
  audience: Audience;
  refs: Partial<Record<string, RefsOf<V, P>>>;
  // The tenant of the rows; the caller's by default (a token's routes have no principal).
  tenantOf?: (views: readonly V[], page: P) => number;
}

// The registry of side-loadable types: every resource's `included`, presented and keyed by plural
// type, one query per type whatever the number of rows.
@Injectable()
export class Sideloads {
  private readonly types = new Map<string, IncludedType<unknown>>();

  register<Row>(name: string, type: IncludedType<Row>): void {
    if (this.types.has(name)) throw new Error(`included type ${name} registered twice`);
    this.types.set(name, type as IncludedType<unknown>);
  }

  // Keyed in the order the types were asked for; the types are read at once.
  async load<V, P>(tenantId: number, wanted: ReadonlySet<string>, spec: SideloadSpec<V, P>, views: readonly V[], page: P): Promise<Record<string, unknown[]>> {
    const context: RefsContext<P> = { page, related: this.memoizedFetch(tenantId) };
    const names = [...wanted];
    const loaded = await Promise.all(names.map((name) => this.loadType(name, spec, views, context)));
    return Object.fromEntries(names.map((name, index) => [name, loaded[index]]));
  }

  private async loadType<V, P>(name: string, spec: SideloadSpec<V, P>, views: readonly V[], context: RefsContext<P>): Promise<unknown[]> {
    const refsOf = spec.refs[name];
    const present = this.types.get(name)?.present[spec.audience];
    // The list definitions whitelist `includes`; a type allowed there and not here is a wiring bug.
    if (!refsOf || !present) throw new Error(`no side-load of ${name} for ${spec.audience}s`);
    const refs = await refsOf(views, context);
    const rows = 'rows' in refs ? refs.rows : await context.related(name, refs.ids);
    return rows.map((row) => present(row));
  }

  // Each type's rows read once per side-load: `contacts` and the `customers` of those contacts
  // share one read of the contacts.
  private memoizedFetch(tenantId: number): RefsContext<unknown>['related'] {
    const reads = new Map<string, Promise<unknown[]>>();
    return <Row>(name: string, ids: Iterable<number | null>) => {
      const wanted = distinct(ids);
      const key = `${name}:${wanted.join(',')}`;
      if (!reads.has(key)) reads.set(key, this.fetch(name, tenantId, wanted));
      return reads.get(key) as Promise<Row[]>;
    };
  }

  private async fetch(name: string, tenantId: number, ids: number[]): Promise<unknown[]> {
    const type = this.types.get(name);
    if (!type) throw new Error(`included type ${name} is not registered`);
    return ids.length === 0 ? [] : type.fetch(tenantId, ids);
  }
}

// Each id once, nulls left out, in the order first seen.
function distinct(ids: Iterable<number | null>): number[] {
  return [...new Set([...ids].filter((id): id is number => id !== null))];
}

// Rows a page already holds, each once and ordered by id, as a read by ids returns them.
export function byId<Row extends { id: number }>(rows: readonly Row[]): Row[] {
  return [...new Map(rows.map((row) => [row.id, row])).values()].sort((a, b) => a.id - b.id);
}
