import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { toJsonSchema } from '../../../test/support/openapi-responses';
import { presentUser } from './auth/user.presenter';
import { USER_SCHEMA } from './auth/user.openapi';
import { presentContact, presentCustomer } from './contacts/contacts.presenter';
import { CONTACT_SCHEMA, CUSTOMER_SCHEMA } from './contacts/customer.openapi';
import { CONVERSATION_SCHEMA } from './conversations/conversation.openapi';
import { presentConversation } from './conversations/conversation.presenter';
import { BULK_UPDATE_RESPONSE } from './conversations/bulk/bulk-update.openapi';
import { presentBulkOutcomes } from './conversations/bulk/bulk-update.presenter';
import { QUEUE_COUNTS_SCHEMA } from './conversations/queues/queue-counts.openapi';
import { presentQueueCounts } from './conversations/queues/queue-counts.presenter';
import { NotFoundError, ValidationError } from '@app/common';
import {
  CUSTOMER_AGENT_SCHEMA,
  CUSTOMER_CONTACT_SCHEMA,
  CUSTOMER_CONVERSATION_SCHEMA,
  CUSTOMER_FILE_SCHEMA,
  CUSTOMER_MESSAGE_SCHEMA,
  CUSTOMER_SELF_SCHEMA,
} from './customer-view/customer-view.openapi';
import {
  presentCustomerAgent,
  presentCustomerContact,
  presentCustomerConversation,
  presentCustomerMessage,
  presentCustomerSelf,
} from './customer-view/customer-view.presenter';
import { presentCustomerFile } from './files/customer-file.presenter';
import { FILE_SCHEMA } from './files/file.openapi';
import { presentFile } from './files/file.presenter';
import { HL_CONVERSATION, HL_CONVERSATION_DTO, HL_CREATED_CONVERSATION, HL_MESSAGE, HL_SEARCH_ITEM } from './highlevel/highlevel.openapi';
import * as highLevel from './highlevel/highlevel.presenter';
import { MESSAGE_SCHEMA } from './conversations/messages/message.openapi';
import { presentMessage } from './conversations/messages/message.presenter';
import { MENTION_SCHEMA } from './conversations/messages/mention.openapi';
import { presentMention } from './conversations/messages/mention.presenter';
import { CUSTOM_FIELD_SCHEMA, INBOX_SCHEMA, SETTING_SCHEMA, TAG_SCHEMA, TICKET_TEMPLATE_SCHEMA } from './tickets/settings/ticket-settings.openapi';
import { presentCustomField, presentInbox, presentSetting, presentTag, presentTemplate } from './tickets/settings/ticket-settings.presenter';
import { TICKET_MESSAGE_SCHEMA, TICKET_SCHEMA } from './tickets/ticket.openapi';
import { presentTicket, presentTicketMessage } from './tickets/tickets.presenter';

// Each presenter's output for a fully populated row (deleted, so deletedAt/deletedBy show too) fits
// its schema read strictly: a key the schema lacks fails here as it fails tsc.

const at = new Date('2026-01-02T03:04:05.678Z');
const audited = { state: 'deleted', createdAt: at, createdBy: 1, updatedAt: at, updatedBy: 2, deletedAt: at, deletedBy: 3 };
const row = <T>(fields: Record<string, unknown>): T => ({ ...audited, ...fields }) as T;

const contact = row<never>({ id: 5, customerId: 4, type: 'email', value: 'a@example.com', isMain: true });
const customer = row<never>({
  id: 4,
  firstName: 'Ada',
  lastName: 'Lovelace',
  email: 'a@example.com',
  organization: 'Org',
  extraData: 'x',
  notes: 'n',
  phone: '+441234567890',
  mobile: '+447700900000',
  address: 'A street',
  externalId: 'e-1',
  jobTitle: 'Engineer',
});
const conversationView = {
  conversation: row({
    id: 7,
    contactId: 5,
    lastMessageAt: at,
    widgetOnline: true,
    widgetOnlineAt: at,
    socketId: '1.2',
    ticketId: 9,
    status: 'snoozed',
    priority: 'high',
    assigneeId: 1,
    teamId: 3,
    labelIds: [4],
    snoozedUntil: at,
    waitingSince: at,
    firstReplyAt: at,
    resolvedAt: at,
  }),
  contact,
  userIds: [1],
  messageIds: [8],
  customerMessageIds: [8],
  onlineMembers: ['user-1'],
} as never;
const message = row<never>({ id: 8, conversationId: 7, userId: 1, contactId: 5, message: 'Hi', fileIds: [6], clientMessageId: 'c-1', isPrivate: true, mentionIds: [2] });
const file = row<never>({ id: 6, filename: 'a.pdf', mimeType: 'application/pdf', size: 3, sha256: 'a'.repeat(64) });
const refs = { inboxId: 1, statusId: 2, priorityId: 3, typeId: 4, sourceId: 5, agentId: 1 };
const ticketView = {
  ticket: row({
    id: 9,
    subject: 'S',
    previewText: 'P',
    customerId: 4,
    contactId: 5,
    ...refs,
    cc: ['c@example.com'],
    bcc: ['b@example.com'],
    fileIds: [6],
    messageCount: 1,
    parentId: 10,
    editMethod: 'html',
    isRead: true,
    sendFrom: 'desk@example.com',
    conversationId: 7,
  }),
  tagIds: [1],
  customFields: [{ id: 1, value: 'v' }],
  messageIds: [11],
} as never;
const ticketMessage = row<never>({
  id: 11,
  ticketId: 9,
  threadType: 'note',
  message: 'M',
  editMethod: 'markdown',
  userId: 1,
  contactId: 5,
  cc: [],
  bcc: [],
  fileIds: [6],
  conversationMessageId: 8,
  emailMessageId: '<t1.9.11.a1b2c3d4e5f6@example.com>',
  emailStatus: 'failed',
  emailError: '550 mailbox unavailable',
  emailSentAt: null,
});
const setting = { id: 1, name: 'Open', code: 'active', color: '#2f80ed', displayOrder: 0, isDefault: true };
const summary = {
  id: 7,
  contactId: 5,
  state: 'active',
  createdAt: at,
  updatedAt: at,
  lastMessageAt: at,
  unreadCount: 1,
  starred: true,
  inbox: true,
  type: 1,
  assignedTo: 1,
  lastMessageBody: 'Hi',
  lastMessageType: 'TYPE_LIVE_CHAT',
  lastMessageDirection: 'inbound',
  firstName: 'Ada',
  lastName: 'Lovelace',
  email: 'a@example.com',
  phone: '+441234567890',
  contactType: 'email',
  contactValue: 'a@example.com',
  organization: 'Org',
  sortMs: at.getTime(),
} as never;
const highLevelMessage = {
  id: 8,
  conversationId: 7,
  conversationContactId: 5,
  userId: 1,
  message: 'Hi',
  fileIds: [6],
  clientMessageId: 'c-1',
  createdAt: at,
  direction: 'outbound',
  status: 'delivered',
  messageType: 'TYPE_LIVE_CHAT',
  source: 'api',
} as never;

const cases: [string, SchemaObject, unknown][] = [
  ['user', USER_SCHEMA, presentUser(row({ id: 1, email: 'a@example.com', firstName: 'A', lastName: 'B', role: 'admin', availability: 'away' }))],
  ['contact', CONTACT_SCHEMA, presentContact(contact)],
  ['customer', CUSTOMER_SCHEMA, presentCustomer(customer, [5])],
  ['conversation', CONVERSATION_SCHEMA, presentConversation(conversationView, { token: 'secret' })],
  [
    'queue counts',
    QUEUE_COUNTS_SCHEMA,
    presentQueueCounts({ status: { open: 1, resolved: 2 }, mine: 1, unassigned: 0, teams: [{ teamId: 3, open: 1, unassigned: 1 }] }),
  ],
  [
    'bulk results',
    BULK_UPDATE_RESPONSE,
    presentBulkOutcomes([
      { id: 7, view: conversationView },
      { id: 8, error: new NotFoundError('CONVERSATION_NOT_FOUND', 'conversation 8 not found') },
      { id: 9, error: new ValidationError({ 'users[0].id': ['does not exist'] }) },
    ]),
  ],
  ['message', MESSAGE_SCHEMA, presentMessage(message)],
  ['mention', MENTION_SCHEMA, presentMention({ tenantId: 1, id: 8, conversationId: 7, userId: 2, mentionedBy: 1, createdAt: at })],
  ['file', FILE_SCHEMA, presentFile(file)],
  ['ticket', TICKET_SCHEMA, presentTicket(ticketView)],
  ['ticket message', TICKET_MESSAGE_SCHEMA, presentTicketMessage(ticketMessage)],
  ['setting', SETTING_SCHEMA, presentSetting(row(setting))],
  ['inbox', INBOX_SCHEMA, presentInbox(row({ ...setting, email: 'desk@example.com', aliases: ['help@example.com'] }))],
  ['tag', TAG_SCHEMA, presentTag(row({ id: 1, name: 'vip', color: null }))],
  ['custom field', CUSTOM_FIELD_SCHEMA, presentCustomField(row({ id: 1, name: 'Plan', type: 'dropdown', options: ['a'], displayOrder: 0 }))],
  [
    'ticket template',
    TICKET_TEMPLATE_SCHEMA,
    presentTemplate(row({ id: 1, name: 'T', subject: 'S', message: 'M', editMethod: 'html', ...refs, tagIds: [1], customFields: [{ id: 1, value: 2 }], cc: [], bcc: [] })),
  ],
  ['customer conversation', CUSTOMER_CONVERSATION_SCHEMA, presentCustomerConversation(conversationView)],
  ['customer message', CUSTOMER_MESSAGE_SCHEMA, presentCustomerMessage({ ...(message as object), state: 'active', isPrivate: false } as never)],
  ['customer message tombstone', CUSTOMER_MESSAGE_SCHEMA, presentCustomerMessage({ ...(message as object), isPrivate: false } as never)],
  ['customer contact', CUSTOMER_CONTACT_SCHEMA, presentCustomerContact(contact)],
  ['customer self', CUSTOMER_SELF_SCHEMA, presentCustomerSelf({ customer, contacts: [contact] })],
  ['customer agent', CUSTOMER_AGENT_SCHEMA, presentCustomerAgent({ id: 1, firstName: 'A', lastName: 'B' })],
  ['customer file', CUSTOMER_FILE_SCHEMA, presentCustomerFile(file)],
  ['HighLevel created conversation', HL_CREATED_CONVERSATION, highLevel.presentCreatedConversation(summary, 'loc')],
  ['HighLevel conversation', HL_CONVERSATION, highLevel.presentConversation(summary, 'loc')],
  ['HighLevel conversation DTO', HL_CONVERSATION_DTO, highLevel.presentConversationDto(summary, 'loc')],
  ['HighLevel search item', HL_SEARCH_ITEM, highLevel.presentSearchItem(summary, 'loc')],
  ['HighLevel message', HL_MESSAGE, highLevel.presentMessage(highLevelMessage, 'loc', (id) => `https://desk.example.com/files/${id}`)],
];

describe('response schemas', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);

  it.each(cases)('should describe every key of a fully populated %s', (_name, schema, presented) => {
    const validate = ajv.compile(toJsonSchema(schema) as object);
    expect(validate(presented) ? [] : validate.errors).toEqual([]);
  });
});
