import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata, UseInterceptors } from '@nestjs/common';
import type { ListQuery, ListSpec } from '@app/common';
import { recallPageQuery, RESOURCE_ROUTE, ResourceDefinition, ResourceRoute } from './resource';
import { ResourceInterceptor } from './resource.interceptor';

const route = (value: ResourceRoute): MethodDecorator => applyDecorators(SetMetadata(RESOURCE_ROUTE, value), UseInterceptors(ResourceInterceptor));

// The handler returns the one view a write made: `{ <name>: … }`, with its ETag.
export const RespondOne = <V>(resource: ResourceDefinition<V>): MethodDecorator =>
  route({ kind: 'one', resource: resource as ResourceDefinition<unknown> });

// The handler returns the one view read: `fields` and `includes` applied, its ETag, and 304 for an
// If-None-Match naming it (unless `conditional` is false) when nothing is side-loaded.
export const RespondRead = <V, P>(resource: ResourceDefinition<V, P>, { conditional = true } = {}): MethodDecorator =>
  route({ kind: 'read', resource: resource as ResourceDefinition<unknown>, conditional });

// The handler returns a page: `{ <plural>: […], included, meta: { page } }`. Its list parameters
// (only `params` of them when given) reach the handler through @PageQuery().
export const RespondPage = <V, P>(resource: ResourceDefinition<V, P>, list: ListSpec, params?: readonly string[]): MethodDecorator =>
  route({ kind: 'page', resource: resource as ResourceDefinition<unknown>, list, params });

export const PageQuery = createParamDecorator((_: unknown, context: ExecutionContext): ListQuery => {
  const query = recallPageQuery(context.switchToHttp().getRequest<object>());
  // Only @RespondPage routes have one; anywhere else it is a wiring bug.
  if (!query) throw new Error('PageQuery used on a route without @RespondPage');
  return query;
});
