import { applyDecorators } from '@nestjs/common';
import { IsInt, Max, Min } from 'class-validator';
import { Messages } from './messages';

// An id on the wire: a positive whole number that fits a bigint and a JSON number exactly.
// `{ each: true }` checks every item of an array.
export const IsEntityId = (options: { each?: boolean } = {}): PropertyDecorator =>
  applyDecorators(
    IsInt({ message: Messages.integer, each: options.each }),
    Min(1, { message: Messages.positive, each: options.each }),
    Max(Number.MAX_SAFE_INTEGER, { message: Messages.integer, each: options.each }),
  );
