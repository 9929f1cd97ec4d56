import { applyDecorators } from '@nestjs/common';
import { IsDefined, ValidateIf } from 'class-validator';
import { Messages } from './messages';

// A field that may be left out but, given, has a value: null is a 400 "must be set" (class-validator's
// IsOptional lets null through, which a column that cannot be unset refuses with a 500).
export const OptionalNotNull = (): PropertyDecorator =>
  applyDecorators(
    ValidateIf((_object, value) => value !== undefined),
    IsDefined({ message: Messages.required }),
  );
