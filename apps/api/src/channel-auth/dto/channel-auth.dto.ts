import { Body, Injectable, PipeTransform } from '@nestjs/common';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { FieldErrorsBuilder, isPlainObject, Messages, ValidationError } from '@app/common';
import { CHANNEL_NAME_PATTERN, SOCKET_ID_PATTERN } from '../../live/pusher-channels';

// Pusher's channel-authorisation form, as pusher-js posts it (urlencoded) or as JSON.
export interface ChannelAuthRequest {
  socketId: string;
  channelName: string;
}

export const ChannelAuthMessages = {
  socketId: 'must be a Pusher socket id, like 1234.5678',
  channelName: 'must be a Pusher channel name: at most 164 letters, digits and _ - = @ , . ;',
} as const;

// Both fields are checked against Pusher's formats, and both fields' errors reported at once.
// Other fields (a client's own auth params) are ignored, as Pusher's own servers do.
@Injectable()
export class ChannelAuthBodyPipe implements PipeTransform<unknown, ChannelAuthRequest> {
  transform(body: unknown): ChannelAuthRequest {
    if (body !== undefined && body !== null && !isPlainObject(body)) throw ValidationError.of('_', `the body ${Messages.object}`);
    const fields = body ?? {};
    const errors = new FieldErrorsBuilder();
    const socketId = field(fields, 'socket_id', SOCKET_ID_PATTERN, ChannelAuthMessages.socketId, errors);
    const channelName = field(fields, 'channel_name', CHANNEL_NAME_PATTERN, ChannelAuthMessages.channelName, errors);
    errors.throwIfAny();
    return { socketId: socketId!, channelName: channelName! };
  }
}

function field(
  fields: Record<string, unknown>,
  name: string,
  pattern: RegExp,
  message: string,
  errors: FieldErrorsBuilder,
): string | undefined {
  const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (value === undefined || value === null || value === '') {
    errors.add(name, Messages.required);
    return undefined;
  }
  // A repeated form field arrives as an array: not one socket id or channel either.
  if (typeof value !== 'string' || !pattern.test(value)) {
    errors.add(name, message);
    return undefined;
  }
  return value;
}

// `@ChannelAuthBody()`: the form's socket id and channel name, validated.
export const ChannelAuthBody = (): ParameterDecorator => Body(ChannelAuthBodyPipe);

export const CHANNEL_AUTH_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['socket_id', 'channel_name'],
  properties: {
    socket_id: { type: 'string', pattern: SOCKET_ID_PATTERN.source, example: '1234.5678' },
    channel_name: {
      type: 'string',
      pattern: CHANNEL_NAME_PATTERN.source,
      example: 'presence-conversation-42',
      description: 'private-conversation-{id}, presence-conversation-{id} or (agents only) private-tenant-{id}',
    },
  },
};

export const CHANNEL_AUTH_RESPONSE_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['auth'],
  properties: {
    auth: { type: 'string', description: '{key}:{HMAC-SHA256 hex signature}', example: 'app-key:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4' },
    channel_data: {
      type: 'string',
      description: 'Presence channels only: the JSON the signature covers, with the member as user_id and its user_info',
      example: '{"user_id":"user-7","user_info":{"type":"user","id":7,"name":"Ada Admin"}}',
    },
  },
};
