import type { Wire } from '@app/common';
import type { HL_CONVERSATION, HL_CONVERSATION_DTO, HL_CREATED_CONVERSATION, HL_MESSAGE, HL_SEARCH_ITEM } from './highlevel.openapi';
import { ConversationSummary, MessageSummary } from '../conversations/conversation-search.types';
import { CONVERSATION_TYPES, MESSAGE_SOURCES, MESSAGE_STATUSES, MESSAGE_TYPES, MessageType } from './highlevel-vocabulary';

// The columns are text; these name what they hold for the schema's enums.
const messageType = <T extends string | null>(value: T) => value as MessageType | Exclude<T, string>;
const status = (value: string) => value as (typeof MESSAGE_STATUSES)[number];
const source = (value: string) => value as (typeof MESSAGE_SOURCES)[number];

const id = (value: number) => String(value);
const optionalId = (value: number | null) => (value === null ? {} : { assignedTo: String(value) });
const iso = (date: Date | null) => (date === null ? null : date.toISOString());

// POST /conversations/: the conversation of HighLevel's Create Conversation.
export function presentCreatedConversation(s: ConversationSummary, locationId: string): Wire<typeof HL_CREATED_CONVERSATION> {
  return {
    id: id(s.id),
    dateUpdated: s.updatedAt.toISOString(),
    dateAdded: s.createdAt.toISOString(),
    deleted: s.state === 'deleted',
    contactId: id(s.contactId),
    locationId,
    lastMessageDate: iso(s.lastMessageAt),
    ...optionalId(s.assignedTo),
  };
}

// GET /conversations/{id}: GetConversationByIdResponse, bare.
export function presentConversation(s: ConversationSummary, locationId: string): Wire<typeof HL_CONVERSATION> {
  return {
    id: id(s.id),
    contactId: id(s.contactId),
    locationId,
    deleted: s.state === 'deleted',
    inbox: s.inbox,
    type: s.type,
    unreadCount: s.unreadCount,
    ...optionalId(s.assignedTo),
    starred: s.starred,
  };
}

// PUT /conversations/{id}: ConversationDto.
export function presentConversationDto(s: ConversationSummary, locationId: string): Wire<typeof HL_CONVERSATION_DTO> {
  return {
    id: id(s.id),
    locationId,
    contactId: id(s.contactId),
    ...optionalId(s.assignedTo),
    lastMessageBody: s.lastMessageBody,
    lastMessageDate: iso(s.lastMessageAt),
    lastMessageType: messageType(s.lastMessageType),
    unreadCount: s.unreadCount,
    inbox: s.inbox,
    starred: s.starred,
    deleted: s.state === 'deleted',
  };
}

// GET /conversations/search: ConversationSchema, with the dates as HighLevel's search sends them
// (milliseconds) and `sort`, the value to pass back as startAfterDate for the next page.
export function presentSearchItem(s: ConversationSummary, locationId: string): Wire<typeof HL_SEARCH_ITEM> {
  const fullName = `${s.firstName} ${s.lastName}`.trim();
  return {
    id: id(s.id),
    contactId: id(s.contactId),
    locationId,
    lastMessageBody: s.lastMessageBody,
    lastMessageType: messageType(s.lastMessageType),
    lastMessageDirection: s.lastMessageDirection,
    lastMessageDate: s.lastMessageAt === null ? null : s.lastMessageAt.getTime(),
    type: CONVERSATION_TYPES[s.type],
    unreadCount: s.unreadCount,
    fullName,
    contactName: fullName || s.organization || s.contactValue,
    email: s.email ?? (s.contactType === 'email' ? s.contactValue : null),
    phone: s.phone ?? (s.contactType === 'phone' || s.contactType === 'mobile' ? s.contactValue : null),
    ...optionalId(s.assignedTo),
    starred: s.starred,
    inbox: s.inbox,
    deleted: false,
    dateAdded: s.createdAt.getTime(),
    dateUpdated: s.updatedAt.getTime(),
    sort: [Number(s.sortMs), s.id],
  };
}

// GetMessageResponseDto. `altId` is the client's own id of the message, when it gave one.
export function presentMessage(m: MessageSummary, locationId: string, fileUrl: (fileId: number) => string): Wire<typeof HL_MESSAGE> {
  return {
    id: id(m.id),
    ...(m.clientMessageId === null ? {} : { altId: m.clientMessageId }),
    type: MESSAGE_TYPES.indexOf(messageType(m.messageType)) + 1,
    messageType: messageType(m.messageType),
    locationId,
    contactId: id(m.conversationContactId),
    conversationId: id(m.conversationId),
    dateAdded: m.createdAt.toISOString(),
    body: m.message,
    direction: m.direction,
    status: status(m.status),
    contentType: 'text/plain',
    attachments: m.fileIds.map(fileUrl),
    source: source(m.source),
    ...(m.userId === null ? {} : { userId: id(m.userId) }),
  };
}
