import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiConflictResponse, ApiHeader } from '@nestjs/swagger';
import { DESK_ERRORS_SCHEMA, NEST_ERROR_SCHEMA } from '../http/desk-openapi';

export const IDEMPOTENT = 'helpdesk:idempotent';

export interface IdempotentOptions {
  // How a key reused with another body is refused: 409 (Desk) or 422 (HighLevel).
  mismatch?: 'conflict' | 'unprocessable';
}

// Marks an endpoint that creates something: an `Idempotency-Key` header makes it execute once per
// API key and Idempotency-Key (see IdempotencyInterceptor).
export const Idempotent = (options: IdempotentOptions = {}): MethodDecorator =>
  applyDecorators(
    SetMetadata(IDEMPOTENT, options),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Up to 255 characters. The first request with a key is executed; a repeat with the same body within 24 hours ' +
        'replays its answer (with Idempotent-Replayed: true), a repeat with another body is refused.',
    }),
    ApiConflictResponse({
      description:
        'IDEMPOTENCY_KEY_REUSED: the key came with another request; IDEMPOTENCY_KEY_IN_USE: a request with the key is still running',
      // In the dialect of the route: HighLevel's refuses a mismatch with a 422.
      schema: options.mismatch === 'unprocessable' ? NEST_ERROR_SCHEMA : DESK_ERRORS_SCHEMA,
    }),
  );
