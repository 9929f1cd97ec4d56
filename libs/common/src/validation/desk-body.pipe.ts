import { Body, Injectable, PipeTransform } from '@nestjs/common';
import { ValidationError } from '../errors/app-error';
import { Messages } from './messages';
import { validateDto } from './validate-dto';

type Constructor<T> = new () => T;

// `filter_args` (Teamwork Desk API v2's RequestCommons) may travel in any Desk body; it is
// accepted and ignored.
const IGNORED_BODY_FIELDS = ['filter_args'];

// Desk bodies arrive wrapped (`{"conversation": {...}}`, Teamwork Desk API v2's
// ConversationAPIBody) or bare.
@Injectable()
export class DeskBodyPipe<T extends object> implements PipeTransform<unknown, T> {
  constructor(
    private readonly dto: Constructor<T>,
    // null: a body that is never wrapped (a bulk change's `ids` beside its `conversation`).
    private readonly envelope: string | null,
    private readonly options: DeskBodyOptions = {},
  ) {}

  transform(body: unknown): T {
    const unwrapped = unwrap(body, this.envelope, this.options);
    const fields = { ...unwrapped };
    for (const ignored of IGNORED_BODY_FIELDS) delete fields[ignored];
    return validateDto(this.dto, fields);
  }
}

export interface DeskBodyOptions {
  // The envelope's name is also a field of the body (a ticket message's `message`): a lone key
  // holding anything but an object is then that field of a bare body.
  envelopeIsAField?: boolean;
}

function unwrap(body: unknown, envelope: string | null, options: DeskBodyOptions): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (!isPlainObject(body)) throw ValidationError.of('_', `the body ${Messages.object}`);
  if (envelope === null) return body;
  const keys = Object.keys(body);
  if (keys.includes(envelope) && keys.every((key) => key === envelope || IGNORED_BODY_FIELDS.includes(key))) {
    const inner = body[envelope];
    if (!isPlainObject(inner) && options.envelopeIsAField) return body;
    if (!isPlainObject(inner)) throw ValidationError.of(envelope, Messages.object);
    return inner;
  }
  return body;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// `@DeskBody(CreateConversationDto, 'conversation')`: the body, unwrapped and validated.
export const DeskBody = <T extends object>(dto: Constructor<T>, envelope: string | null, options: DeskBodyOptions = {}): ParameterDecorator =>
  Body(new DeskBodyPipe(dto, envelope, options));
