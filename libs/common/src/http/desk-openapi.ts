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

// The Teamwork validator's body: field paths to messages; `_` for errors of no one field.
export const DESK_ERRORS_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['errors'],
  properties: {
    errors: {
      type: 'object',
      additionalProperties: { type: 'array', items: { type: 'string' } },
      example: { 'contact.value': ['must be a valid email address'] },
    },
  },
};

export const ENTITY_REF_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { id: { type: 'integer' }, type: { type: 'string', example: 'users' } },
};

// The audit fields every Desk resource shows.
export const AUDIT_SCHEMA_PROPERTIES: Record<string, SchemaObject> = {
  state: { type: 'string', enum: ['active', 'deleted'] },
  createdAt: { type: 'string', format: 'date-time' },
  createdBy: { ...ENTITY_REF_SCHEMA, nullable: true },
  updatedAt: { type: 'string', format: 'date-time', description: 'Not updated when the object is deleted' },
  updatedBy: { ...ENTITY_REF_SCHEMA, nullable: true },
  deletedAt: { type: 'string', format: 'date-time', description: 'Only when deleted' },
  deletedBy: { ...ENTITY_REF_SCHEMA, description: 'Only when deleted' },
};

export const PAGE_META_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    page: {
      type: 'object',
      properties: {
        count: { type: 'integer' },
        pageSize: { type: 'integer' },
        pages: { type: 'integer' },
        pageOffset: { type: 'integer', nullable: true, description: 'Null on a page reached by cursor' },
        hasMore: { type: 'boolean' },
        nextCursor: { type: 'string', nullable: true, description: 'Pass as ?cursor= for the next page in the same order' },
      },
    },
  },
};

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
