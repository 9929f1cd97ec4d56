import type { ListQuery, ListSpec, PageMeta } from '@app/common';
import type { SideloadSpec } from '../includes/sideloads';

// One Desk resource as its responses show it: the envelope's keys, the presenter, the version its
// ETag shows, what a read may pick and side-load. Controllers return the service's views; the
// ResourceInterceptor writes the response from this.
export interface ResourceDefinition<V, P = unknown> {
  // The envelope's key for one (`conversation`) and for a page (`conversations`).
  name: string;
  plural?: string;
  present(view: V, fields: readonly string[] | null): unknown;
  // The representation's version, shown as a strong ETag; none for resources without one. 'wire':
  // the hash of the whole wire form, `present(view, null)`, of which `present(view, fields)` is a
  // pick: the interceptor then presents a view once, for its tag and its body.
  version?: ((view: V) => string) | 'wire';
  // The `fields` (and `includes`) a read of one takes, parsed against this whitelist.
  list?: ListSpec;
  // What `?includes=` side-loads; a resource without it has no `included` and takes no `includes`.
  sideloads?: SideloadSpec<V, P>;
  // Keys beside the resource's on a read or write of one (`me.json`'s tenant).
  beside?(view: V): Record<string, unknown>;
  // The status of a write's answer when not the route's (a repeat of a message answers 200).
  status?(view: V): number | undefined;
}

// A page as the services return it: the items under one of these keys, and the page's meta.
export type Page<V> = { meta: PageMeta } & ({ views: V[] } | { rows: V[] } | { messages: V[] });

export type ResourceRoute =
  | { kind: 'one'; resource: ResourceDefinition<unknown> }
  | { kind: 'read'; resource: ResourceDefinition<unknown>; conditional: boolean }
  | { kind: 'page'; resource: ResourceDefinition<unknown>; list: ListSpec; params?: readonly string[] };

export const RESOURCE_ROUTE = 'helpdesk:resource-route';

// The request's list parameters, parsed by the ResourceInterceptor against the route's list.
const parsedQueries = new WeakMap<object, ListQuery>();

export function rememberPageQuery(request: object, query: ListQuery): void {
  parsedQueries.set(request, query);
}

export function recallPageQuery(request: object): ListQuery | undefined {
  return parsedQueries.get(request);
}
