import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiHeader,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { HIGHLEVEL_VERSIONS } from './highlevel.guard';
import { CONVERSATION_TYPES, MESSAGE_SOURCES, MESSAGE_STATUSES, MESSAGE_TYPES } from './highlevel-vocabulary';
import { wire } from '@app/common';

// HighLevel's shapes (HighLevel's public Conversations API OpenAPI document), as this dialect
// writes them.
// Ids are the Desk ids as strings.
export const HIGHLEVEL_TAG = 'HighLevel Conversations';

const ID = wire.string({ example: '1042', description: 'A Desk id, as a string' });
const LOCATION_ID = wire.string({ example: 'tDtDnQdgm2LXpyiqYvZ6' });
const DATE = wire.dateTime();
const MS = wire.number({ example: 1763730000000, description: 'Milliseconds since the epoch' });
const MESSAGE_TYPE = wire.enum(MESSAGE_TYPES);
const DIRECTION = wire.enum(['inbound', 'outbound']);
const ASSIGNED_TO = wire.with(ID, { description: "The conversation's assignee (an agent id); absent when nobody is assigned" });

export const HL_CREATED_CONVERSATION = wire.object(
  {
    id: ID,
    dateUpdated: DATE,
    dateAdded: DATE,
    deleted: wire.boolean(),
    contactId: ID,
    locationId: LOCATION_ID,
    lastMessageDate: wire.nullable(DATE, { description: 'Null until the first message' }),
    assignedTo: ASSIGNED_TO,
  },
  { optional: ['assignedTo'], required: ['id', 'dateUpdated', 'dateAdded', 'deleted', 'contactId', 'locationId', 'lastMessageDate'] },
);

export const HL_CREATE_CONVERSATION_RESPONSE = wire.object(
  { success: wire.boolean({ example: true }), conversation: HL_CREATED_CONVERSATION },
  { required: ['success', 'conversation'] },
);

export const HL_CONVERSATION = wire.object(
  {
    id: ID,
    contactId: ID,
    locationId: LOCATION_ID,
    deleted: wire.boolean(),
    inbox: wire.boolean({ description: 'False while deleted' }),
    type: wire.number({ description: '1 Phone (which carries live chat), 2 Email, 3 FB Messenger, 4 Review, 5 Group SMS, 6 Internal Chat' }),
    unreadCount: wire.number({ description: "The customer's messages since an agent last read or replied" }),
    assignedTo: ASSIGNED_TO,
    starred: wire.boolean(),
  },
  { optional: ['assignedTo'], required: ['contactId', 'locationId', 'deleted', 'inbox', 'type', 'unreadCount', 'id'] },
);

export const HL_CONVERSATION_DTO = wire.object(
  {
    id: ID,
    locationId: LOCATION_ID,
    contactId: ID,
    assignedTo: ID,
    lastMessageBody: wire.nullable(wire.string()),
    lastMessageDate: wire.nullable(DATE),
    lastMessageType: wire.nullable(MESSAGE_TYPE),
    unreadCount: wire.number(),
    inbox: wire.boolean(),
    starred: wire.boolean(),
    deleted: wire.boolean(),
  },
  { optional: ['assignedTo'], required: ['locationId', 'contactId', 'deleted'] },
);

export const HL_UPDATE_CONVERSATION_RESPONSE = wire.object(
  { success: wire.boolean({ example: true }), conversation: HL_CONVERSATION_DTO },
  { required: ['success', 'conversation'] },
);

export const HL_SUCCESS = wire.object({ success: wire.boolean({ example: true }) }, { required: ['success'] });

export const HL_SEARCH_ITEM = wire.object(
  {
    id: ID,
    contactId: ID,
    locationId: LOCATION_ID,
    lastMessageBody: wire.nullable(wire.string()),
    lastMessageType: wire.nullable(MESSAGE_TYPE),
    lastMessageDirection: wire.nullable(DIRECTION),
    lastMessageDate: wire.nullable(MS),
    type: wire.enum(Object.values(CONVERSATION_TYPES)),
    unreadCount: wire.number(),
    fullName: wire.string(),
    contactName: wire.string(),
    email: wire.nullable(wire.string()),
    phone: wire.nullable(wire.string()),
    assignedTo: ID,
    starred: wire.boolean(),
    inbox: wire.boolean(),
    deleted: wire.boolean(),
    dateAdded: MS,
    dateUpdated: MS,
    sort: wire.array(wire.number(), {
      example: [1763730000000, 1042],
      description: 'The sort value and id: pass as startAfterDate (ms, or "ms,id") for the next page',
    }),
  },
  {
    optional: ['assignedTo'],
    required: ['id', 'contactId', 'locationId', 'lastMessageBody', 'lastMessageType', 'type', 'unreadCount', 'fullName', 'contactName', 'email', 'phone'],
  },
);

export const HL_SEARCH_RESPONSE = wire.object(
  { conversations: wire.array(HL_SEARCH_ITEM), total: wire.number({ description: 'All that match, across pages' }) },
  { required: ['conversations', 'total'] },
);

export const HL_MESSAGE = wire.object(
  {
    id: ID,
    altId: wire.string({ description: "The client's own id of the message (Desk clientMessageId), when given" }),
    type: wire.number({ example: 29, description: "The message type's position in HighLevel's enum (TYPE_LIVE_CHAT is 29)" }),
    messageType: MESSAGE_TYPE,
    locationId: LOCATION_ID,
    contactId: ID,
    conversationId: ID,
    dateAdded: DATE,
    body: wire.string(),
    direction: DIRECTION,
    status: wire.enum(MESSAGE_STATUSES),
    contentType: wire.string({ example: 'text/plain' }),
    attachments: wire.array(wire.string({ format: 'uri' }), { description: 'Download URLs of the attached files' }),
    source: wire.enum(MESSAGE_SOURCES, { description: 'api: REST in either dialect; app: the live-chat widget' }),
    userId: wire.with(ID, { description: "The agent's id, on an outbound message" }),
  },
  {
    optional: ['altId', 'userId'],
    required: ['id', 'type', 'messageType', 'locationId', 'contactId', 'conversationId', 'dateAdded', 'direction', 'contentType'],
  },
);

export const HL_MESSAGES_RESPONSE = wire.object(
  {
    messages: wire.object(
      {
        lastMessageId: wire.nullable(ID, { description: 'Pass as lastMessageId for the next page' }),
        nextPage: wire.boolean(),
        messages: wire.array(HL_MESSAGE, { description: 'Newest first' }),
      },
      { required: ['lastMessageId', 'nextPage', 'messages'] },
    ),
  },
  { required: ['messages'] },
);

export const HL_SEND_MESSAGE_RESPONSE = wire.object(
  { conversationId: ID, messageId: ID, msg: wire.string({ example: 'Message queued successfully.' }) },
  { required: ['conversationId', 'messageId'] },
);

export const HL_CREATE_CONVERSATION_BODY: SchemaObject = {
  type: 'object',
  required: ['locationId', 'contactId'],
  properties: { locationId: LOCATION_ID, contactId: ID },
};

export const HL_UPDATE_CONVERSATION_BODY: SchemaObject = {
  type: 'object',
  required: ['locationId'],
  properties: {
    locationId: LOCATION_ID,
    unreadCount: { type: 'integer', minimum: 0, description: '0 marks the conversation read' },
    starred: { type: 'boolean' },
    feedback: { type: 'object', description: 'Stored as given (at most 16 KB of JSON)' },
    assignedTo: { type: 'string', nullable: true, description: 'An agent id to assign the conversation to; null or "" unassigns' },
  },
};

export const HL_SEND_MESSAGE_BODY: SchemaObject = {
  type: 'object',
  required: ['type', 'contactId'],
  properties: {
    type: { type: 'string', enum: ['SMS', 'Email', 'WhatsApp', 'IG', 'FB', 'Custom', 'Live_Chat'], description: 'Live_Chat and Custom are delivered; the others are a 422' },
    contactId: ID,
    conversationId: { ...ID, description: "Optional: the contact's open conversation, started when none" },
    message: { type: 'string' },
    attachments: { type: 'array', items: { type: 'string', format: 'uri' }, description: 'Download URLs of files uploaded to this service' },
  },
};

const ERROR = (status: number, message: unknown, error?: string): SchemaObject => ({
  type: 'object',
  properties: {
    statusCode: { type: 'number', example: status },
    message: Array.isArray(message) ? { type: 'array', items: { type: 'string' }, example: message } : { type: 'string', example: message },
    ...(error ? { error: { type: 'string', example: error } } : {}),
  },
});

// What every route of the dialect shares: its tag, its auth, the Version header, its errors.
export const ApiHighLevel = (): ClassDecorator =>
  applyDecorators(
    ApiTags(HIGHLEVEL_TAG),
    ApiBearerAuth(),
    ApiHeader({ name: 'Version', required: true, enum: [...HIGHLEVEL_VERSIONS], description: 'Missing or other: 400' }),
    ApiBadRequestResponse({ description: 'Bad request, an unknown id, or a missing or unsupported Version', schema: ERROR(400, 'Conversation not found') }),
    ApiUnauthorizedResponse({ description: 'Missing or invalid token', schema: ERROR(401, 'Invalid token: access token is invalid', 'Unauthorized') }),
    ApiForbiddenResponse({ description: "A locationId other than the token's", schema: ERROR(403, 'The token does not have access to this location', 'Forbidden') }),
    ApiUnprocessableEntityResponse({ description: 'Validation failed', schema: ERROR(422, ['contactId must be a string'], 'Unprocessable Entity') }),
    ApiTooManyRequestsResponse({ description: 'Past the rate limit (see X-RateLimit-* and Retry-After)', schema: ERROR(429, 'Too many requests', 'Too Many Requests') }),
  );
