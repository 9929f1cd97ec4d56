import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { entityTag, IdParamPipe, isNotModified, ListQuery, parseListQuery, pickFields, representationVersion } from '@app/common';
import { AppConfig } from '@app/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, mergeMap, Observable } from 'rxjs';
import { Sideloads } from '../includes/sideloads';
import { Page, rememberPageQuery, RESOURCE_ROUTE, ResourceDefinition, ResourceRoute } from './resource';

type Resource = ResourceDefinition<unknown>;

interface Exchange {
  request: FastifyRequest;
  reply: FastifyReply;
}

// Writes every Desk resource's response from what its handler returns (see resource.decorators.ts):
// the envelope, the ETag of the representation's version, If-None-Match's 304, `fields`, and the
// side-loads of `includes`. The list parameters are parsed before the route's handler, right after
// the path's id (which the route's pipe checks again): a bad id is the 400 it always was, then a
// bad list parameter is a 400 whatever the handler would have answered.
@Injectable()
export class ResourceInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly sideloads: Sideloads,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = this.reflector.get<ResourceRoute | undefined>(RESOURCE_ROUTE, context.getHandler());
    if (!route) return next.handle();
    const http = context.switchToHttp();
    const exchange = { request: http.getRequest<FastifyRequest>(), reply: http.getResponse<FastifyReply>() };
    switch (route.kind) {
      case 'one':
        return next.handle().pipe(map((view: unknown) => this.one(route.resource, view, exchange)));
      case 'read': {
        checkPathId(exchange.request);
        const query = this.viewQuery(route.resource, exchange.request);
        return next.handle().pipe(mergeMap(async (view: unknown) => this.read(route.resource, view, query, route.conditional, exchange)));
      }
      case 'page': {
        checkPathId(exchange.request);
        const query = this.pageQuery(route, exchange.request);
        return next.handle().pipe(mergeMap(async (page: Page<unknown>) => this.page(route.resource, page, query, exchange)));
      }
    }
  }

  private one(resource: Resource, view: unknown, { reply }: Exchange) {
    const status = resource.status?.(view);
    if (status !== undefined) void reply.status(status);
    const { body } = this.tagged(resource, view, null, reply);
    return { [resource.name]: body, ...resource.beside?.(view) };
  }

  private async read(resource: Resource, view: unknown, query: ViewQuery, conditional: boolean, { request, reply }: Exchange) {
    const { body, version } = this.tagged(resource, view, query.fields, reply);
    // Side-loads change on their own, so only a response without them can be not modified.
    if (conditional && version !== undefined && query.includes.size === 0 && isNotModified(request.headers['if-none-match'], version)) {
      return void reply.status(304);
    }
    const envelope = { [resource.name]: body, ...resource.beside?.(view) };
    if (query.includes.size === 0) return envelope;
    return { ...envelope, included: await this.included(resource, [view], view, query, request) };
  }

  private async page(resource: Resource, page: Page<unknown>, query: ViewQuery, { request }: Exchange) {
    const views = itemsOf(page);
    const items = views.map((view) => resource.present(view, query.fields));
    const meta = { page: page.meta };
    if (!resource.sideloads) return { [resource.plural ?? resource.name]: items, meta };
    return { [resource.plural ?? resource.name]: items, included: await this.included(resource, views, page, query, request), meta };
  }

  // The view presented (`fields` picked) and its version, shown as the response's ETag; the version
  // is for If-None-Match. A resource tagged by its wire form is presented once.
  private tagged(resource: Resource, view: unknown, fields: readonly string[] | null, reply: FastifyReply): { body: unknown; version?: string } {
    const { body, version } = presentedWithVersion(resource, view, fields);
    if (version !== undefined) void reply.header('ETag', entityTag(version));
    return { body, version };
  }


  private async included(resource: Resource, views: readonly unknown[], page: unknown, query: ViewQuery, request: FastifyRequest) {
    const spec = resource.sideloads;
    if (!spec || query.includes.size === 0) return {};
    const tenantId = spec.tenantOf?.(views, page) ?? request.principal?.tenantId;
    // Only a token's routes have no principal, and they name the tenant themselves.
    if (tenantId === undefined) throw new Error(`side-loads of ${resource.name} without a tenant`);
    return this.sideloads.load(tenantId, query.includes, spec, views, page);
  }

  // A read of one takes only `fields`, and `includes` when the resource side-loads.
  private viewQuery(resource: Resource, request: FastifyRequest): ViewQuery {
    const raw = (request.query ?? {}) as Record<string, unknown>;
    if (!resource.list) return WHOLE_VIEW;
    const picked = resource.sideloads ? { fields: raw.fields, includes: raw.includes } : { fields: raw.fields };
    return parseListQuery(picked, resource.list, this.config);
  }

  private pageQuery({ list, params }: Extract<ResourceRoute, { kind: 'page' }>, request: FastifyRequest): ListQuery {
    const raw = (request.query ?? {}) as Record<string, unknown>;
    const query = parseListQuery(params ? Object.fromEntries(params.map((name) => [name, raw[name]])) : raw, list, this.config);
    rememberPageQuery(request, query);
    return query;
  }
}

function presentedWithVersion(resource: Resource, view: unknown, fields: readonly string[] | null): { body: unknown; version?: string } {
  if (resource.version === 'wire') {
    const whole = resource.present(view, null) as object;
    return { body: pickFields(whole, fields), version: representationVersion(whole) };
  }
  return { body: resource.present(view, fields), version: resource.version?.(view) };
}

// The `:id` of the path, as IdParam checks it: interceptors run before pipes, and a bad id is the
// first thing a request hears of.
function checkPathId(request: FastifyRequest): void {
  const id = (request.params as Record<string, string> | undefined)?.id;
  if (id !== undefined) new IdParamPipe('id').transform(id);
}

// What a response picks and side-loads: of the list parameters, only these two.
type ViewQuery = Pick<ListQuery, 'fields' | 'includes'>;

const WHOLE_VIEW: ViewQuery = { fields: null, includes: new Set() };

function itemsOf<V>(page: Page<V>): V[] {
  if ('views' in page) return page.views;
  if ('rows' in page) return page.rows;
  return page.messages;
}
