import { plainToInstance } from 'class-transformer';
import { ValidationError as ClassValidatorError, validateSync } from 'class-validator';
import { FieldErrors, ValidationError } from '../errors/app-error';
import { Messages } from './messages';

type Constructor<T> = new () => T;

// Validates a plain object against a DTO; every failure becomes a field error in Teamwork wording.
// No implicit conversion: "5" for an integer field is an error, as it is for the Go API.
export function validateDto<T extends object>(dto: Constructor<T>, plain: Record<string, unknown>): T {
  const instance = plainToInstance(dto, plain, { enableImplicitConversion: false, exposeDefaultValues: false });
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) throw new ValidationError(toFieldErrors(errors));
  return instance;
}

export function toFieldErrors(errors: ClassValidatorError[], prefix = '', out: FieldErrors = {}): FieldErrors {
  for (const error of errors) {
    const key = !prefix ? error.property : /^\d+$/.test(error.property) ? `${prefix}[${error.property}]` : `${prefix}.${error.property}`;
    const constraint = mostTelling(Object.keys(error.constraints ?? {}));
    if (constraint) (out[key] ??= []).push(messageFor(constraint, error.constraints![constraint]));
    if (error.children?.length) toFieldErrors(error.children, key, out);
  }
  return out;
}

// One message per field, as the Teamwork validator gives: the most basic problem first (a
// missing or mistyped value says more than a range check on it).
const PRIORITY = ['whitelistValidation', 'isDefined', 'isInt', 'isString', 'isBoolean', 'isObject', 'isArray', 'nestedValidation', 'isIn'];

function mostTelling(constraints: string[]): string | undefined {
  const rank = (name: string) => (PRIORITY.includes(name) ? PRIORITY.indexOf(name) : PRIORITY.length);
  return [...constraints].sort((a, b) => rank(a) - rank(b))[0];
}

function messageFor(constraint: string, message: string): string {
  switch (constraint) {
    case 'whitelistValidation':
      return Messages.unknownField;
    case 'nestedValidation':
      return Messages.object;
    default:
      return message;
  }
}
