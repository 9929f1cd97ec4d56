import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

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

export const PAGE_META_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    page: {
      type: 'object',
      properties: {
        count: { type: 'integer' },
        pageSize: { type: 'integer' },
        pageOffset: { type: 'integer' },
        pages: { type: 'integer' },
        hasMore: { type: 'boolean' },
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
