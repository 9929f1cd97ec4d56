import { plainToInstance } from 'class-transformer';
import { ValidationError as ClassValidatorError, validateSync } from 'class-validator';
import { FieldErrors, ValidationError } from '../errors/app-error';
import { Messages } from './messages';

type Constructor<T> = new () => T;

// Validates a plain object against a DTO; every failure becomes a field error in Teamwork wording.
// No implicit conversion: "5" for an integer field is an error, as it is for the Go API.
export function validateDto<T extends object>(dto: Constructor<T>, plain: Record<string, unknown>): T {
  const shadowing = keysNamedLikeObjectMembers(plain);
  if (Object.keys(shadowing).length > 0) throw new ValidationError(shadowing);
  const { instance, errors } = checkAgainst(dto, plain);
  if (errors.length > 0) throw new ValidationError(toFieldErrors(errors));
  return instance;
}

// The DTO's instance and class-validator's failures: no implicit conversion, unknown fields refused.
export function checkAgainst<T extends object>(dto: Constructor<T>, plain: object): { instance: T; errors: ClassValidatorError[] } {
  const instance = plainToInstance(dto, plain, { enableImplicitConversion: false, exposeDefaultValues: false });
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  return { instance, errors };
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

// class-validator's whitelist looks fields up in a plain object, where `toString`, `valueOf` and
// the like are always found: such keys would pass as known. No field of the API is named so.
export function keysNamedLikeObjectMembers(value: unknown, prefix = '', out: FieldErrors = {}): FieldErrors {
  if (Array.isArray(value)) {
    value.forEach((item, index) => keysNamedLikeObjectMembers(item, `${prefix}[${index}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (key in Object.prototype) out[path] = [Messages.unknownField];
      else keysNamedLikeObjectMembers(item, path, out);
    }
  }
  return out;
}
