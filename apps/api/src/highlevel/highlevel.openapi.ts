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
import { CONVERSATION_TYPES, MESSAGE_TYPES } from './highlevel.presenter';

// HighLevel's shapes (HighLevel's public Conversations API OpenAPI document), as this dialect
// writes them.
// Ids are the Desk ids as strings.
export const HIGHLEVEL_TAG = 'HighLevel Conversations';

const ID: SchemaObject = { type: 'string', example: '1042', description: 'A Desk id, as a string' };
const LOCATION_ID: SchemaObject = { type: 'string', example: 'tDtDnQdgm2LXpyiqYvZ6' };
const DATE: SchemaObject = { type: 'string', format: 'date-time' };
const MS: SchemaObject = { type: 'number', example: 1763730000000, description: 'Milliseconds since the epoch' };
const MESSAGE_TYPE: SchemaObject = { type: 'string', enum: [...MESSAGE_TYPES] };

export const HL_CREATE_CONVERSATION_RESPONSE: SchemaObject = {
  type: 'object',
  required: ['success', 'conversation'],
  properties: {
    success: { type: 'boolean', example: true },
    conversation: {
      type: 'object',
      required: ['id', 'dateUpdated', 'dateAdded', 'deleted', 'contactId', 'locationId', 'lastMessageDate'],
      properties: {
        id: ID,
        dateUpdated: DATE,
        dateAdded: DATE,
        deleted: { type: 'boolean' },
        contactId: ID,
        locationId: LOCATION_ID,
        lastMessageDate: { ...DATE, nullable: true, description: 'Null until the first message' },
        assignedTo: { ...ID, description: 'The first agent of the conversation; absent when none' },
      },
    },
  },
};

export const HL_CONVERSATION: SchemaObject = {
  type: 'object',
  required: ['contactId', 'locationId', 'deleted', 'inbox', 'type', 'unreadCount', 'id'],
  properties: {
    id: ID,
    contactId: ID,
    locationId: LOCATION_ID,
    deleted: { type: 'boolean' },
    inbox: { type: 'boolean', description: 'False while deleted' },
    type: { type: 'number', description: '1 Phone (which carries live chat), 2 Email, 3 FB Messenger, 4 Review, 5 Group SMS, 6 Internal Chat' },
    unreadCount: { type: 'number', description: "The customer's messages since an agent last read or replied" },
    assignedTo: { ...ID, description: 'The first agent of the conversation; absent when none' },
    starred: { type: 'boolean' },
  },
};

const CONVERSATION_DTO: SchemaObject = {
  type: 'object',
  required: ['locationId', 'contactId', 'deleted'],
  properties: {
    id: ID,
    locationId: LOCATION_ID,
    contactId: ID,
    assignedTo: ID,
    lastMessageBody: { type: 'string', nullable: true },
    lastMessageDate: { ...DATE, nullable: true },
    lastMessageType: { ...MESSAGE_TYPE, nullable: true },
    unreadCount: { type: 'number' },
    inbox: { type: 'boolean' },
    starred: { type: 'boolean' },
    deleted: { type: 'boolean' },
  },
};

export const HL_UPDATE_CONVERSATION_RESPONSE: SchemaObject = {
  type: 'object',
  required: ['success', 'conversation'],
  properties: { success: { type: 'boolean', example: true }, conversation: CONVERSATION_DTO },
};

export const HL_SUCCESS: SchemaObject = { type: 'object', required: ['success'], properties: { success: { type: 'boolean', example: true } } };

const SEARCH_ITEM: SchemaObject = {
  type: 'object',
  required: ['id', 'contactId', 'locationId', 'lastMessageBody', 'lastMessageType', 'type', 'unreadCount', 'fullName', 'contactName', 'email', 'phone'],
  properties: {
    id: ID,
    contactId: ID,
    locationId: LOCATION_ID,
    lastMessageBody: { type: 'string', nullable: true },
    lastMessageType: { ...MESSAGE_TYPE, nullable: true },
    lastMessageDirection: { type: 'string', enum: ['inbound', 'outbound'], nullable: true },
    lastMessageDate: { ...MS, nullable: true },
    type: { type: 'string', enum: Object.values(CONVERSATION_TYPES) },
    unreadCount: { type: 'number' },
    fullName: { type: 'string' },
    contactName: { type: 'string' },
    email: { type: 'string', nullable: true },
    phone: { type: 'string', nullable: true },
    assignedTo: ID,
    starred: { type: 'boolean' },
    inbox: { type: 'boolean' },
    deleted: { type: 'boolean' },
    dateAdded: MS,
    dateUpdated: MS,
    sort: {
      type: 'array',
      items: { type: 'number' },
      example: [1763730000000, 1042],
      description: 'The sort value and id: pass as startAfterDate (ms, or "ms,id") for the next page',
    },
  },
};

export const HL_SEARCH_RESPONSE: SchemaObject = {
  type: 'object',
  required: ['conversations', 'total'],
  properties: { conversations: { type: 'array', items: SEARCH_ITEM }, total: { type: 'number', description: 'All that match, across pages' } },
};

export const HL_MESSAGE: SchemaObject = {
  type: 'object',
  required: ['id', 'type', 'messageType', 'locationId', 'contactId', 'conversationId', 'dateAdded', 'direction', 'contentType'],
  properties: {
    id: ID,
    altId: { type: 'string', description: "The client's own id of the message (Desk clientMessageId), when given" },
    type: { type: 'number', example: 29, description: "The message type's position in HighLevel's enum (TYPE_LIVE_CHAT is 29)" },
    messageType: MESSAGE_TYPE,
    locationId: LOCATION_ID,
    contactId: ID,
    conversationId: ID,
    dateAdded: DATE,
    body: { type: 'string' },
    direction: { type: 'string', enum: ['inbound', 'outbound'] },
    status: { type: 'string', enum: ['pending', 'sent', 'delivered', 'read', 'failed'] },
    contentType: { type: 'string', example: 'text/plain' },
    attachments: { type: 'array', items: { type: 'string', format: 'uri' }, description: 'Download URLs of the attached files' },
    source: { type: 'string', enum: ['api', 'app'], description: 'api: REST in either dialect; app: the live-chat widget' },
    userId: { ...ID, description: "The agent's id, on an outbound message" },
  },
};

export const HL_MESSAGES_RESPONSE: SchemaObject = {
  type: 'object',
  required: ['messages'],
  properties: {
    messages: {
      type: 'object',
      required: ['lastMessageId', 'nextPage', 'messages'],
      properties: {
        lastMessageId: { ...ID, nullable: true, description: 'Pass as lastMessageId for the next page' },
        nextPage: { type: 'boolean' },
        messages: { type: 'array', items: HL_MESSAGE, description: 'Newest first' },
      },
    },
  },
};

export const HL_SEND_MESSAGE_RESPONSE: SchemaObject = {
  type: 'object',
  required: ['conversationId', 'messageId'],
  properties: { conversationId: ID, messageId: ID, msg: { type: 'string', example: 'Message queued successfully.' } },
};

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
