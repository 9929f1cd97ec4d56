import { AUDIT_OPTIONAL, AUDIT_SCHEMA_PROPERTIES, ENTITY_REF_SCHEMA, includedSchema, PAGE_META_SCHEMA, wire, type Wire } from '@app/common';
import { USER_SCHEMA } from '../auth/user.openapi';
import { CONTACT_SCHEMA, CUSTOMER_SCHEMA } from '../contacts/customer.openapi';
import { FILE_SCHEMA } from '../files/file.openapi';
import { CUSTOM_FIELD_SCHEMA, CUSTOM_FIELD_VALUE_SCHEMA, INBOX_SCHEMA, SETTING_SCHEMA, TAG_SCHEMA } from './settings/ticket-settings.openapi';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

const refTo = (description: string) => wire.nullable(ENTITY_REF_SCHEMA, { description });
const refs = (description: string) => wire.array(ENTITY_REF_SCHEMA, { description });
const emails = wire.array(wire.string({ format: 'email' }), { maxItems: 50 });
const EDIT_METHOD = wire.enum(['html', 'markdown']);

// Teamwork's Ticket, as presentTicket() writes it.
export const TICKET_SCHEMA = wire.object(
  {
    id: wire.integer(),
    subject: wire.string(),
    previewText: wire.string({ description: 'The start of the opening message, as plain text' }),
    customer: refTo('customers'),
    contact: refTo('contacts: the contact of the customer the ticket is with'),
    agent: refTo('users: the assigned agent'),
    inbox: refTo('inboxes'),
    status: refTo('ticketstatuses'),
    priority: refTo('ticketpriorities'),
    type: refTo('tickettypes'),
    source: refTo('ticketsources'),
    tags: refs('tags'),
    customfields: wire.array(CUSTOM_FIELD_VALUE_SCHEMA),
    cc: emails,
    bcc: emails,
    files: refs('files of the opening message'),
    messages: refs('messages: the latest 100 of the thread, oldest first'),
    messageCount: wire.integer(),
    parent: refTo('tickets'),
    editMethod: EDIT_METHOD,
    isRead: wire.boolean(),
    sendFrom: wire.nullable(wire.string(), { description: 'The inbox address notifications are sent from' }),
    conversation: refTo('conversations: the chat this ticket was converted from'),
    ...AUDIT_SCHEMA_PROPERTIES,
  },
  { optional: AUDIT_OPTIONAL },
);
export type TicketWire = Wire<typeof TICKET_SCHEMA>;

export const TICKET_MESSAGE_SCHEMA = wire.object(
  {
    id: wire.integer(),
    ticket: ENTITY_REF_SCHEMA,
    threadType: wire.enum(['message', 'note'], { description: 'A reply, or an internal note' }),
    message: wire.string({ description: 'HTML or markdown per editMethod; chat transcripts in HTML are escaped' }),
    editMethod: EDIT_METHOD,
    user: refTo('users: the author when an agent'),
    contact: refTo('contacts: the author when the customer side'),
    cc: emails,
    bcc: emails,
    files: refs('files'),
    conversationMessage: refTo('conversationmessages: the chat message this was converted from'),
    emailMessageId: wire.nullable(wire.string(), { description: 'The Message-ID it was emailed with (or arrived with), for threading' }),
    emailStatus: wire.nullable(wire.enum(['queued', 'sent', 'failed']), { description: 'Whether its email to the customer went out' }),
    emailError: wire.nullable(wire.string(), { description: "Why its email failed for good: the mail server's refusal" }),
    ...AUDIT_SCHEMA_PROPERTIES,
  },
  { optional: AUDIT_OPTIONAL },
);
export type TicketMessageWire = Wire<typeof TICKET_MESSAGE_SCHEMA>;

const INCLUDED = includedSchema({
  customers: CUSTOMER_SCHEMA,
  contacts: CONTACT_SCHEMA,
  users: USER_SCHEMA,
  inboxes: INBOX_SCHEMA,
  messages: TICKET_MESSAGE_SCHEMA,
  tags: TAG_SCHEMA,
  files: FILE_SCHEMA,
  customfields: CUSTOM_FIELD_SCHEMA,
  ticketstatuses: SETTING_SCHEMA,
  ticketpriorities: SETTING_SCHEMA,
  tickettypes: SETTING_SCHEMA,
  ticketsources: SETTING_SCHEMA,
});

export const TICKET_ENVELOPE_SCHEMA = wire.object({ ticket: TICKET_SCHEMA, included: INCLUDED }, { optional: ['included'] });

export const TICKETS_LIST_SCHEMA = wire.object({ tickets: wire.array(TICKET_SCHEMA), included: INCLUDED, meta: PAGE_META_SCHEMA });

export const TICKET_MESSAGE_ENVELOPE_SCHEMA = wire.object({ message: TICKET_MESSAGE_SCHEMA });

export const TICKET_MESSAGES_LIST_SCHEMA = wire.object({
  messages: wire.array(TICKET_MESSAGE_SCHEMA),
  included: includedSchema({ contacts: CONTACT_SCHEMA, users: USER_SCHEMA, files: FILE_SCHEMA }),
  meta: PAGE_META_SCHEMA,
});

const ref = (description: string): SchemaObject => ({ ...ENTITY_REF_SCHEMA, description });

// Teamwork Desk API v2's body of POST /tickets.json and of POST /conversations/{id}/convert.json.
export const TICKET_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'Wrapped in {"ticket": …} or bare. Refs are {"id": n} of the tenant; unknown ones are a 400 naming the field.',
  properties: {
    agent: ref('An active agent; on convert, the chat’s agent when it has exactly one'),
    bcc: { ...emails, description: 'BCC of the initial message' },
    cc: { ...emails, description: 'CC of the initial message' },
    customer: {
      type: 'object',
      description: 'Customer ID or Email is required, but not both. An unknown email creates the customer. On convert, the chat’s customer by default.',
      properties: { id: { type: 'integer' }, email: { type: 'string', format: 'email' } },
    },
    customfields: { type: 'array', items: CUSTOM_FIELD_VALUE_SCHEMA, description: 'Checked against each field’s type and options' },
    editMethod: { type: 'string', enum: ['html', 'markdown'], description: 'Default html' },
    email: { type: 'string', format: 'email', deprecated: true, description: 'DEPRECATED: use customer.email' },
    files: { type: 'array', maxItems: 20, items: { type: 'integer' }, description: 'File ids (or refs) of the tenant' },
    fromThreadId: { type: 'integer', description: 'Take the message body and customer from this thread message' },
    fromTicketId: { type: 'integer', description: 'The ticket of fromThreadId; required when that ticket is deleted (archived)' },
    inbox: ref('Default: the tenant’s default inbox'),
    message: { type: 'string', maxLength: 65536, description: 'The initial message; required on POST /tickets.json unless a template or thread gives it' },
    notifyCustomer: { type: 'boolean', description: 'Records an email to the customer in the outbox' },
    parent: ref('A ticket of the tenant'),
    priority: ref('Default: none'),
    scheduledEmail: {
      type: 'object',
      description: 'An email to the customer at sendAt, recorded in the outbox',
      required: ['sendAt'],
      properties: { sendAt: { type: 'string', format: 'date-time' }, subject: { type: 'string' }, message: { type: 'string' } },
    },
    sendFrom: { type: 'string', format: 'email', description: 'The inbox’s email or one of its aliases' },
    source: ref('Default: Chat on convert, else the tenant’s default source (API)'),
    status: ref('Default: the tenant’s default status (Active)'),
    subject: { type: 'string', maxLength: 500, description: 'On convert, defaults to the start of the first chat message' },
    tags: {
      type: 'array',
      maxItems: 50,
      items: { oneOf: [ENTITY_REF_SCHEMA, { type: 'object', properties: { name: { type: 'string' } } }, { type: 'string' }] },
      description: 'Refs or names; names not yet used create tags',
    },
    tickettemplate: ref('A template filling subject, message and fields the body leaves out'),
    type: ref('A ticket type'),
  },
};

export const UPDATE_TICKET_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'Wrapped in {"ticket": …} or bare; omitted properties are unchanged, null clears agent/priority/type/source/parent/sendFrom',
  properties: {
    subject: { type: 'string' },
    customer: TICKET_BODY_SCHEMA.properties!.customer,
    agent: refTo('users'),
    inbox: ref('inboxes'),
    status: ref('ticketstatuses'),
    priority: refTo('ticketpriorities'),
    type: refTo('tickettypes'),
    source: refTo('ticketsources'),
    parent: refTo('tickets'),
    tags: { ...TICKET_BODY_SCHEMA.properties!.tags, description: 'The ticket’s tags become exactly these' },
    customfields: { type: 'array', items: CUSTOM_FIELD_VALUE_SCHEMA, description: 'Each given value is set; null removes it' },
    cc: emails,
    bcc: emails,
    files: { type: 'array', items: { type: 'integer' } },
    editMethod: { type: 'string', enum: ['html', 'markdown'] },
    isRead: { type: 'boolean' },
    sendFrom: { type: 'string', nullable: true },
    state: { type: 'string', enum: ['active', 'deleted'] },
  },
};

export const CREATE_TICKET_MESSAGE_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'Wrapped in {"message": …} or bare',
  properties: {
    message: { type: 'string', maxLength: 65536, description: 'Required unless files are attached' },
    threadType: { type: 'string', enum: ['message', 'note'], description: 'Default message (a reply); note is internal' },
    editMethod: { type: 'string', enum: ['html', 'markdown'], description: 'Default: the ticket’s' },
    cc: emails,
    bcc: emails,
    files: { type: 'array', maxItems: 20, items: { type: 'integer' } },
    contact: ref('The customer-side author: a contact of the ticket’s customer; else the caller'),
    status: ref('The ticket’s new status, set with the reply'),
  },
};
