import { applyDecorators } from '@nestjs/common';
import { IsInt, Max, Min } from 'class-validator';
import { Messages } from './messages';

// An id on the wire: a positive whole number that fits a bigint and a JSON number exactly.
export const IsEntityId = (): PropertyDecorator =>
  applyDecorators(
    IsInt({ message: Messages.integer }),
    Min(1, { message: Messages.positive }),
    Max(Number.MAX_SAFE_INTEGER, { message: Messages.integer }),
  );
