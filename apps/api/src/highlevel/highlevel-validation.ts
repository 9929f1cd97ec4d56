import { Body } from '@nestjs/common';
import { checkAgainst, keysNamedLikeObjectMembers, UnprocessableError } from '@app/common';
import { ValidationError as ClassValidatorError } from 'class-validator';
import { HighLevelErrorCode } from './highlevel.errors';

type Constructor<T> = new () => T;

// A HighLevel body, validated as its API does (NestJS's ValidationPipe with whitelisting): every
// failure in class-validator's own words ("contactId must be a string", "property x should not
// exist"), answered as a 422 listing them all.
export function validateHighLevel<T extends object>(dto: Constructor<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid(['body must be a JSON object']);
  const shadowing = Object.keys(keysNamedLikeObjectMembers(body));
  if (shadowing.length > 0) throw invalid(shadowing.map((key) => `property ${key} should not exist`));
  const { instance, errors } = checkAgainst(dto, body);
  if (errors.length > 0) throw invalid(flatten(errors));
  return instance;
}

// A 422 with these messages, in the dialect's list form.
export function invalid(messages: string[]): UnprocessableError {
  return new UnprocessableError(HighLevelErrorCode.ValidationFailed, 'validation failed', { _: messages });
}

function flatten(errors: ClassValidatorError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const own = Object.values(error.constraints ?? {}).map((message) => (prefix ? `${prefix}.${message}` : message));
    const nested = flatten(error.children ?? [], prefix ? `${prefix}.${error.property}` : error.property);
    return [...own, ...nested];
  });
}

// `@HighLevelBody(SendMessageDto)`: the body, validated as above.
export const HighLevelBody = <T extends object>(dto: Constructor<T>): ParameterDecorator =>
  Body({ transform: (body: unknown) => validateHighLevel(dto, body ?? {}) });
