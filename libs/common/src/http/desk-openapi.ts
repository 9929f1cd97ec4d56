import { applyDecorators } from '@nestjs/common';
import type { ListSpec } from '../list/list-spec';
import {
  ApiBadRequestResponse,
  ApiQuery,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiNotModifiedResponse,
  ApiPreconditionFailedResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { HeadersObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ENTITY_STATES } from '../entities/audited.entity';
import { wire, type Wire, type WireSchema } from './wire-schema';

// The Teamwork validator's body: field paths to messages; `_` for errors of no one field.
export const DESK_ERRORS_SCHEMA = wire.object(
  {
    errors: wire.record(wire.array(wire.string()), { example: { 'contact.value': ['must be a valid email address'] } }),
  },
  { required: ['errors'] },
);

// NestJS's default error body, which HighLevel's dialect and the routes of neither dialect write.
export const NEST_ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['statusCode', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    message: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    error: { type: 'string', description: "The status's reason phrase" },
  },
};

export const ENTITY_REF_SCHEMA = wire.object({ id: wire.integer(), type: wire.string({ example: 'users' }) });

// The audit fields every Desk resource shows; deletedAt and deletedBy only once deleted.
export const AUDIT_SCHEMA_PROPERTIES = {
  state: wire.enum(ENTITY_STATES),
  createdAt: wire.dateTime(),
  createdBy: wire.nullable(ENTITY_REF_SCHEMA),
  updatedAt: wire.dateTime({ description: 'Not updated when the object is deleted' }),
  updatedBy: wire.nullable(ENTITY_REF_SCHEMA),
  deletedAt: wire.dateTime({ description: 'Only when deleted' }),
  deletedBy: wire.nullable(ENTITY_REF_SCHEMA, { description: 'Only when deleted' }),
};
export const AUDIT_OPTIONAL = ['deletedAt', 'deletedBy'] as const;
export const AUDIT_SCHEMA = wire.object(AUDIT_SCHEMA_PROPERTIES, { optional: AUDIT_OPTIONAL });
export type AuditFields = Wire<typeof AUDIT_SCHEMA>;

export const PAGE_SCHEMA = wire.object({
  count: wire.integer(),
  pageSize: wire.integer(),
  pages: wire.integer(),
  pageOffset: wire.nullable(wire.integer(), { description: 'Null on a page reached by cursor' }),
  hasMore: wire.boolean(),
  nextCursor: wire.nullable(wire.string(), { description: 'Pass as ?cursor= for the next page in the same order' }),
});
export const PAGE_META_SCHEMA = wire.object({ page: PAGE_SCHEMA });

// `included` of a Desk response: the side-loaded objects by plural type, each present when asked
// for by `includes`.
export const includedSchema = <S extends Record<string, WireSchema<unknown>>>(types: S) =>
  wire.object(
    Object.fromEntries(Object.entries(types).map(([type, schema]) => [type, wire.array(schema)])) as { [K in keyof S]: WireSchema<Wire<S[K]>[]> },
    { optional: Object.keys(types) as (keyof S)[], description: `As asked by includes: ${Object.keys(types).join(', ')}` },
  );

// The error answers every authenticated Desk endpoint may give.
export const ApiDeskErrors = (...extra: ('notFound' | 'conflict')[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiBadRequestResponse({ description: 'Validation failed (the Teamwork validator body)', schema: DESK_ERRORS_SCHEMA }),
    ApiUnauthorizedResponse({ description: 'Missing, malformed, unknown or revoked API key', schema: DESK_ERRORS_SCHEMA }),
    ...(extra.includes('notFound') ? [ApiNotFoundResponse({ description: 'Not found in the caller’s tenant', schema: DESK_ERRORS_SCHEMA })] : []),
    ...(extra.includes('conflict') ? [ApiConflictResponse({ description: 'Conflict', schema: DESK_ERRORS_SCHEMA })] : []),
  );

// The Desk list parameters of one resource's list, as query parameters in the OpenAPI document.
export const ApiListQuery = (spec: ListSpec): MethodDecorator =>
  applyDecorators(
    ApiQuery({ name: 'page', required: false, type: Number, description: '1-based' }),
    ApiQuery({ name: 'pageSize', required: false, type: Number, description: 'Default 50; clamped to 100' }),
    ApiQuery({ name: 'cursor', required: false, description: 'meta.page.nextCursor of the previous page; continues in the same order' }),
    ApiQuery({ name: 'orderBy', required: false, enum: [...spec.sortable] }),
    ApiQuery({ name: 'orderMode', required: false, enum: ['asc', 'desc'] }),
    ApiQuery({
      name: 'filter',
      required: false,
      description: `JSON over ${Object.keys(spec.filterable).join(', ')} with $eq $ne $lt $lte $gt $gte $in $nin $and $or`,
      example: '{"state":"active","createdAt":{"$gte":"2026-01-01T00:00:00Z"}}',
    }),
    ApiQuery({ name: 'fields', required: false, description: `Comma list of ${spec.fields.join(', ')}` }),
    ApiQuery({ name: 'includes', required: false, description: `Comma list of ${[...spec.includes, 'all'].join(', ')}` }),
  );

// The ETag of a response that shows one conversation, customer or ticket.
export const ETAG_RESPONSE_HEADERS: HeadersObject = {
  ETag: {
    description: 'Strong entity tag of this version of the resource; send it as If-Match to write only over this version',
    schema: { type: 'string', example: '"3q2-7wEAAKy9x1kLmNqwLQ"' },
  },
};

// Optimistic concurrency on a write: If-Match, and the 412 when it no longer matches.
export const ApiIfMatch = (): MethodDecorator =>
  applyDecorators(
    ApiHeader({
      name: 'If-Match',
      required: false,
      description: 'An ETag of this resource (or a list of them, or *): the write applies only if the resource is still at one of them. Weak tags never match',
    }),
    ApiPreconditionFailedResponse({
      description: 'If-Match names none of the resource’s current ETag; nothing was written (X-Error-Code: PRECONDITION_FAILED)',
      schema: DESK_ERRORS_SCHEMA,
    }),
  );

// A conditional GET: If-None-Match, and the 304 when the client's copy is current.
export const ApiIfNoneMatch = (): MethodDecorator =>
  applyDecorators(
    ApiHeader({ name: 'If-None-Match', required: false, description: 'ETags the client holds: 304 without a body if one is current (ignored with includes)' }),
    ApiNotModifiedResponse({ description: 'The client’s copy is current', headers: ETAG_RESPONSE_HEADERS }),
  );
