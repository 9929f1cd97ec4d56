import { applyDecorators } from '@nestjs/common';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';
import { Messages } from './messages';

// An id on the wire: a positive whole number that fits a bigint and a JSON number exactly.
// `{ each: true }` checks every item of an array.
export const IsEntityId = (options: { each?: boolean } = {}): PropertyDecorator =>
  applyDecorators(
    IsInt({ message: Messages.integer, each: options.each }),
    Min(1, { message: Messages.positive, each: options.each }),
    Max(Number.MAX_SAFE_INTEGER, { message: Messages.integer, each: options.each }),
  );

// An id that may be left out; given, even as null, it must be an id (null is a 400 "must be a whole
// number", never a null that reaches a query as a where-value).
export const OptionalEntityId = (): PropertyDecorator =>
  applyDecorators(
    ValidateIf((_object, value) => value !== undefined),
    IsEntityId(),
  );
