import { Injectable } from '@nestjs/common';
import { FieldErrorsBuilder, Messages } from '@app/common';
import { Principal } from '../auth/principal';
import { ContactsService } from '../contacts/contacts.service';
import { FilesService } from '../files/files.service';
import { Inbox, TicketSetting } from './settings/ticket-setting.entity';
import { TicketSettingsService } from './settings/ticket-settings.service';
import { TicketTemplate } from './settings/ticket-template.entity';
import { CustomerRefInput, TicketInput, TicketOrigin } from './ticket-input';
import { TicketMessage } from './ticket-message.entity';
import { BodyTags, RefField, SETTING_KIND, sendFromAddress, TicketCustomer, TicketRefs } from './ticket-refs';
import { hasContent, previewOf, subjectFrom } from './ticket-text';
import { EditMethod, Ticket } from './ticket.entity';
import { CustomFieldValue, NewThreadMessage, TicketsRepository } from './tickets.repository';
import { OutboxEntry } from '../live/outbox';

// A checked ticket body, ready to write: nothing in it refers to anything the tenant lacks.
export interface TicketDraft {
  ticket: Omit<Partial<Ticket>, 'id'>;
  // A customer to find by email, or create with that email, once the body is known to be good.
  customerEmail: string | null;
  opening: NewThreadMessage | null;
  tags: BodyTags;
  customFields: CustomFieldValue[];
  emails: OutboxEntry[];
}

// The thread entry fromThreadId names, with its ticket.
interface Thread {
  message: TicketMessage;
  ticket: Ticket;
}

// What a body draws on besides itself, in the order it does: a ticket template, the thread
// fromThreadId names, the converted conversation.
interface Sources {
  template: TicketTemplate | null;
  thread: Thread | null;
  // A thread was named but is wrong: its error says it all, and nothing is "missing" because of it.
  threadFailed: boolean;
  origin: TicketOrigin | null;
}

// Everything the body refers to, checked.
interface Refs {
  customer: TicketCustomer | null;
  settings: Partial<Record<RefField, TicketSetting | null>>;
  agentId: number | null;
  parentId: number | null;
  sendFrom: string | null;
  tags: BodyTags;
  customFields: CustomFieldValue[];
  fileIds: number[];
}

// The ticket's words: from the body, else the template, else the thread.
interface Content {
  subject: string | null;
  message: string | null;
  editMethod: EditMethod;
  // The message is the thread's (its author's, then), not the body's or the template's.
  messageFromThread: boolean;
}

const REF_FIELDS = Object.keys(SETTING_KIND) as RefField[];

// Turns the ticket body (POST /tickets.json, and the convert body) into a TicketDraft: every
// field honoured or refused with the field's path, every ref checked against the caller's tenant
// (TicketRefs). Where the body is silent, a ticket template, the thread named by fromThreadId,
// and the converted conversation fill in, in that order; then the tenant's defaults.
@Injectable()
export class TicketComposer {
  constructor(
    private readonly refs: TicketRefs,
    private readonly files: FilesService,
    private readonly contacts: ContactsService,
    private readonly settings: TicketSettingsService,
    private readonly tickets: TicketsRepository,
  ) {}

  // Field errors are reported in the body's order of concerns: where it draws from, whom it is
  // for, what it refers to, then its words.
  async compose(principal: Principal, body: TicketInput, origin: TicketOrigin | null): Promise<TicketDraft> {
    const errors = new FieldErrorsBuilder();
    const sources = await this.sources(principal.tenantId, body, origin, errors);
    const refs = await this.checkRefs(principal, body, sources, errors);
    const content = contentOf(body, sources, refs.fileIds, errors);
    checkRecipient(body, refs.customer, errors);
    errors.throwIfAny();
    return draftOf(principal, body, sources, refs, content);
  }

  private async sources(tenantId: number, body: TicketInput, origin: TicketOrigin | null, errors: FieldErrorsBuilder): Promise<Sources> {
    const template = await this.template(tenantId, body, errors);
    const thread = await this.thread(tenantId, body, errors);
    return { template, thread: thread === 'invalid' ? null : thread, threadFailed: thread === 'invalid', origin };
  }

  private async checkRefs(principal: Principal, body: TicketInput, sources: Sources, errors: FieldErrorsBuilder): Promise<Refs> {
    const { tenantId } = principal;
    const customer = await this.customer(tenantId, body, sources, errors);
    const settings: Refs['settings'] = {};
    for (const field of REF_FIELDS) settings[field] = await this.setting(tenantId, field, body, sources, errors);
    const agentId = await this.agent(tenantId, body, sources, errors);
    const parentId = body.parent ? body.parent.id : null;
    if (parentId !== null) await this.refs.parent(tenantId, parentId, null, errors);
    const inbox = settings.inbox as Inbox | null;
    const sendFrom = body.sendFrom !== undefined && inbox ? sendFromAddress(inbox, body.sendFrom, errors) : null;
    const tags = body.tags === undefined ? { ids: sources.template?.tagIds ?? [], names: [] } : await this.refs.tags(principal, body.tags, errors);
    const customFields = await this.refs.customFields(tenantId, body, sources.template, errors);
    const fileIds = await this.files.checkActiveIds(tenantId, body.files ?? [], errors);
    return { customer, settings, agentId, parentId, sendFrom, tags, customFields, fileIds };
  }

  private async template(tenantId: number, body: TicketInput, errors: FieldErrorsBuilder): Promise<TicketTemplate | null> {
    if (!body.tickettemplate) return null;
    const template = await this.settings.findActive(tenantId, 'tickettemplates', body.tickettemplate.id);
    if (!template) errors.add('tickettemplate.id', Messages.notFound);
    return template;
  }

  // A deleted ("archived") ticket's thread is found only when fromTicketId names that ticket too,
  // as Teamwork Desk API v2's documentation of POST /conversations/{id}/convert.json says.
  private async thread(tenantId: number, body: TicketInput, errors: FieldErrorsBuilder): Promise<Thread | null | 'invalid'> {
    if (body.fromThreadId === undefined) {
      if (body.fromTicketId === undefined) return null;
      errors.add('fromThreadId', 'must be set with fromTicketId');
      return 'invalid';
    }
    const found = await this.tickets.findMessageById(tenantId, body.fromThreadId);
    const message = found?.state === 'active' ? found : null;
    const ticket = message ? await this.tickets.findById(tenantId, message.ticketId) : null;
    if (!message || !ticket) {
      errors.add('fromThreadId', Messages.notFound);
      return 'invalid';
    }
    if (body.fromTicketId !== undefined && body.fromTicketId !== ticket.id) {
      errors.add('fromTicketId', `must be the ticket of thread ${message.id}`);
      return 'invalid';
    }
    if (ticket.state === 'deleted' && body.fromTicketId === undefined) {
      errors.add('fromTicketId', 'must be set: the ticket of this thread is archived');
      return 'invalid';
    }
    return { message, ticket };
  }

  // The customer: the body's (by id, or by email: found, or created once the body is good); else
  // the thread's, else the converted conversation's.
  private async customer(tenantId: number, body: TicketInput, sources: Sources, errors: FieldErrorsBuilder): Promise<TicketCustomer | null> {
    const given = customerRefOf(body, errors);
    if (given === 'invalid') return null;
    if (given) return this.refs.customer(tenantId, given, errors, sources.origin);
    if (sources.thread) return this.threadCustomer(tenantId, sources.thread, errors);
    if (sources.origin) return this.originCustomer(tenantId, sources.origin, errors);
    if (!sources.threadFailed) errors.add('customer', Messages.required);
    return null;
  }

  // The customer of the thread's author when a customer wrote it, else of its ticket's contact.
  private async threadCustomer(tenantId: number, thread: Thread, errors: FieldErrorsBuilder): Promise<TicketCustomer | null> {
    const contactId = thread.message.contactId ?? thread.ticket.contactId;
    const [contact] = contactId ? await this.contacts.findContactsByIds(tenantId, [contactId]) : [];
    const customer = await this.refs.activeCustomer(tenantId, contact?.customerId ?? thread.ticket.customerId);
    if (!customer) {
      errors.add('fromThreadId', 'its customer is deleted; give customer');
      return null;
    }
    return { id: customer.id, contactId: contact?.customerId === customer.id ? contact.id : null, email: customer.email };
  }

  private async originCustomer(tenantId: number, origin: TicketOrigin, errors: FieldErrorsBuilder): Promise<TicketCustomer | null> {
    const customer = await this.refs.activeCustomer(tenantId, origin.customerId);
    if (!customer) {
      errors.add('customer', "must be set: the conversation's customer is deleted");
      return null;
    }
    return { id: customer.id, contactId: origin.contactId, email: customer.email };
  }

  // The body's ref, else the template's; else a converted chat's source is the Chat source; else
  // the tenant's default, which inboxes and statuses must have.
  private async setting(tenantId: number, field: RefField, body: TicketInput, sources: Sources, errors: FieldErrorsBuilder): Promise<TicketSetting | null> {
    const given = body[field]?.id;
    const id = given ?? sources.template?.[`${field}Id`] ?? null;
    if (id !== null) return this.refs.setting(tenantId, field, id, given !== undefined ? `${field}.id` : `tickettemplate.${field}`, errors);
    const chat = field === 'source' && sources.origin ? await this.settings.findByCode(tenantId, SETTING_KIND.source, 'chat') : null;
    if (chat) return chat;
    const fallback = await this.settings.findDefault(tenantId, SETTING_KIND[field]);
    if (!fallback && (field === 'inbox' || field === 'status')) errors.add(field, `${Messages.required}: the tenant has no default ${field}`);
    return fallback;
  }

  // The body's agent, else the template's (both checked), else the conversation's.
  private async agent(tenantId: number, body: TicketInput, sources: Sources, errors: FieldErrorsBuilder): Promise<number | null> {
    const given = body.agent?.id;
    const id = given ?? sources.template?.agentId ?? null;
    if (id === null) return sources.origin?.agentId ?? null;
    await this.refs.agent(tenantId, id, given !== undefined ? 'agent.id' : 'tickettemplate.agent', errors);
    return id;
  }
}

// customer, or the deprecated `email`, which is customer.email: one or the other.
function customerRefOf(body: TicketInput, errors: FieldErrorsBuilder): CustomerRefInput | null | 'invalid' {
  if (body.email === undefined) return body.customer ?? null;
  if (body.customer) {
    errors.add('email', 'must not be set with customer: it is the deprecated form of customer.email');
    return 'invalid';
  }
  return { email: body.email };
}

// A created ticket needs a subject, and a message with words or files.
function contentOf(body: TicketInput, sources: Sources, fileIds: readonly number[], errors: FieldErrorsBuilder): Content {
  const { message, messageFromThread } = messageOf(body, sources);
  const subject = subjectOf(body, sources, message);
  if (subject === null && !sources.origin) errors.add('subject', Messages.required);
  if (!sources.origin && !sources.threadFailed && !hasContent(message, fileIds)) errors.add('message', Messages.required);
  return { subject, message, editMethod: body.editMethod ?? sources.template?.editMethod ?? 'html', messageFromThread };
}

// The body's message, else the template's, else the thread's.
function messageOf(body: TicketInput, { template, thread }: Sources): Pick<Content, 'message' | 'messageFromThread'> {
  return {
    message: body.message ?? template?.message ?? thread?.message.message ?? null,
    messageFromThread: thread !== null && body.message === undefined && !template?.message,
  };
}

// The body's subject, else the template's; only a converted chat takes its subject from its words.
function subjectOf(body: TicketInput, { template, origin }: Sources, message: string | null): string | null {
  const given = nonBlank(body.subject) ?? nonBlank(template?.subject);
  if (given !== null || !origin) return given;
  const words = message ?? origin.firstMessage;
  return words ? nonBlank(subjectFrom(words)) : null;
}

// An email to the customer needs the customer's address.
function checkRecipient(body: TicketInput, customer: TicketCustomer | null, errors: FieldErrorsBuilder): void {
  if ((body.notifyCustomer || body.scheduledEmail) && customer && !customer.email) {
    errors.add(body.notifyCustomer ? 'notifyCustomer' : 'scheduledEmail', 'the customer has no email address to send to');
  }
}

function draftOf(principal: Principal, body: TicketInput, sources: Sources, refs: Refs, content: Content): TicketDraft {
  const customer = refs.customer!;
  const opening = openingOf(principal, body, sources, refs, content);
  return {
    ticket: ticketOf(principal, body, sources, refs, content, opening),
    customerEmail: customer.id === null ? customer.email : null,
    opening,
    tags: refs.tags,
    customFields: refs.customFields,
    emails: emailsOf(body, customer, refs, content),
  };
}

function ticketOf(principal: Principal, body: TicketInput, sources: Sources, refs: Refs, content: Content, opening: NewThreadMessage | null): TicketDraft['ticket'] {
  const { origin } = sources;
  const { settings, customer } = refs;
  return {
    tenantId: principal.tenantId,
    // A chat without a word in it still makes a ticket.
    subject: content.subject ?? `Chat conversation ${origin!.conversationId}`,
    previewText: previewTextOf(opening, origin),
    customerId: customer!.id ?? undefined,
    contactId: customer!.contactId,
    agentId: refs.agentId,
    inboxId: settings.inbox!.id,
    statusId: settings.status!.id,
    priorityId: settings.priority?.id ?? null,
    typeId: settings.type?.id ?? null,
    sourceId: settings.source?.id ?? null,
    parentId: refs.parentId,
    conversationId: origin?.conversationId ?? null,
    ...addressesOf(body, sources),
    fileIds: refs.fileIds,
    editMethod: content.editMethod,
    sendFrom: refs.sendFrom,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  };
}

function addressesOf(body: TicketInput, { template }: Sources): { cc: string[]; bcc: string[] } {
  return { cc: body.cc ?? template?.cc ?? [], bcc: body.bcc ?? template?.bcc ?? [] };
}

// The opening message, when there is one: the thread's author's when the message is taken from
// it; else the agent's writing it.
function openingOf(principal: Principal, body: TicketInput, sources: Sources, refs: Refs, content: Content): NewThreadMessage | null {
  const { message, editMethod, messageFromThread } = content;
  if (message === null || !hasContent(message, refs.fileIds)) return null;
  const author = messageFromThread ? sources.thread!.message : { userId: principal.userId, contactId: null };
  return { threadType: 'message', message, editMethod, userId: author.userId, contactId: author.contactId, ...addressesOf(body, sources), fileIds: refs.fileIds };
}

function previewTextOf(opening: NewThreadMessage | null, origin: TicketOrigin | null): string {
  if (opening) return previewOf(opening.message, opening.editMethod);
  return origin?.firstMessage ? previewOf(origin.firstMessage, 'markdown') : '';
}

// The customer notification and the scheduled email, from the inbox's address unless sendFrom
// names another of its own.
function emailsOf(body: TicketInput, customer: TicketCustomer, refs: Refs, content: Content): OutboxEntry[] {
  const address = { to: customer.email ?? null, from: refs.sendFrom ?? (refs.settings.inbox as Inbox).email, subject: content.subject };
  const emails: OutboxEntry[] = [];
  if (body.notifyCustomer) emails.push({ topic: 'ticket.customer_notification', availableAt: null, payload: { ...address } });
  const scheduled = body.scheduledEmail;
  if (scheduled) {
    emails.push({
      topic: 'ticket.scheduled_email',
      availableAt: new Date(scheduled.sendAt),
      payload: { ...address, subject: scheduled.subject ?? content.subject, message: scheduled.message ?? content.message },
    });
  }
  return emails;
}

function nonBlank(value: string | null | undefined): string | null {
  return value === undefined || value === null || value.trim() === '' ? null : value.trim();
}
