// Errors services throw. They know nothing of HTTP: the dialect filters map `kind` to a status.
export enum ErrorKind {
  Validation = 'validation',
  Unauthenticated = 'unauthenticated',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  Conflict = 'conflict',
  Unprocessable = 'unprocessable',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  RateLimited = 'rate_limited',
  Unavailable = 'unavailable',
  PreconditionFailed = 'precondition_failed',
}

// Keys are wire field paths (`contact.value`, `users[0].id`); `_` holds errors of no one field.
export type FieldErrors = Record<string, string[]>;

export abstract class AppError extends Error {
  abstract readonly kind: ErrorKind;

  constructor(
    // Stable and machine-readable, e.g. CONVERSATION_NOT_FOUND; sent as the X-Error-Code header.
    readonly code: string,
    message: string,
    readonly fields?: FieldErrors,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  readonly kind = ErrorKind.Validation;

  constructor(fields: FieldErrors, code = 'VALIDATION_FAILED') {
    super(code, 'validation failed', fields);
  }

  static of(field: string, message: string, code?: string): ValidationError {
    return new ValidationError({ [field]: [message] }, code);
  }
}

// A request refused as a whole, with no one field to blame (an unknown id in a path, a missing header).
export class BadRequestError extends AppError {
  readonly kind = ErrorKind.Validation;
}

export class UnauthenticatedError extends AppError {
  readonly kind = ErrorKind.Unauthenticated;
}

export class ForbiddenError extends AppError {
  readonly kind = ErrorKind.Forbidden;
}

export class NotFoundError extends AppError {
  readonly kind = ErrorKind.NotFound;
}

export class ConflictError extends AppError {
  readonly kind = ErrorKind.Conflict;
}

export class UnprocessableError extends AppError {
  readonly kind = ErrorKind.Unprocessable;
}

export class PayloadTooLargeError extends AppError {
  readonly kind = ErrorKind.PayloadTooLarge;
}

export class UnsupportedMediaTypeError extends AppError {
  readonly kind = ErrorKind.UnsupportedMediaType;
}

export class RateLimitedError extends AppError {
  readonly kind = ErrorKind.RateLimited;
}

export class UnavailableError extends AppError {
  readonly kind = ErrorKind.Unavailable;
}

// A write that expected a version of the row other than the current one; nothing was changed.
export class PreconditionFailedError extends AppError {
  readonly kind = ErrorKind.PreconditionFailed;
}

// Collects every problem of one input before failing, as the Teamwork validator does.
// `prefix` names where the fields sit in the body (`conversation.` in a bulk change's).
export class FieldErrorsBuilder {
  private readonly errors: FieldErrors = {};

  constructor(private readonly prefix = '') {}

  add(field: string, message: string): this {
    const key = this.prefix + field;
    // Own keys only: a field named like an Object member (`toString`) must not find that member.
    if (!Object.hasOwn(this.errors, key)) this.errors[key] = [];
    this.errors[key].push(message);
    return this;
  }

  merge(other: FieldErrors): this {
    for (const [field, messages] of Object.entries(other)) messages.forEach((m) => this.add(field, m));
    return this;
  }

  get isEmpty(): boolean {
    return Object.keys(this.errors).length === 0;
  }

  throwIfAny(): void {
    if (!this.isEmpty) throw new ValidationError(this.errors);
  }
}
