import { Injectable } from '@nestjs/common';
import { FieldErrorsBuilder, Messages } from '@app/common';
import { EntityManager, In } from 'typeorm';
import { Principal } from '../auth/principal';
import { UsersService } from '../auth/users.service';
import { normalizeEmail } from '../contacts/contact-normalization';
import { ContactsService } from '../contacts/contacts.service';
import { CustomerContact } from '../contacts/customer-contact.entity';
import { Customer } from '../contacts/customer.entity';
import { FilesService } from '../files/files.service';
import { CustomerRefInput, TicketInput } from './ticket-input';
import { CustomField } from './settings/custom-field.entity';
import { checkCustomFieldValues } from './settings/custom-field-value';
import { Tag } from './settings/tag.entity';
import { Inbox, TicketPriority, TicketSetting, TicketSource, TicketStatus, TicketType } from './settings/ticket-setting.entity';
import { TicketTemplate } from './settings/ticket-template.entity';
import { TicketMessage } from './ticket-message.entity';
import { previewOf, subjectFrom } from './ticket-text';
import { EditMethod, Ticket } from './ticket.entity';
import { ChatMessageRow, CustomFieldValue, NewThreadMessage, OutboxEmail, TicketsRepository } from './tickets.repository';

// What a converted conversation brings to its ticket: defaults the body may override.
export interface TicketOrigin {
  conversationId: number;
  customerId: number;
  contactId: number;
  // The conversation's agent, when it has exactly one.
  agentId: number | null;
  // The first chat message, for the subject and preview when the body gives none.
  firstMessage: string | null;
  // The chat's active messages, in order, for the thread.
  transcript: readonly ChatMessageRow[];
}

// A checked ticket body, ready to write: nothing in it refers to anything the tenant lacks.
export interface TicketDraft {
  ticket: Omit<Partial<Ticket>, 'id'>;
  // A customer to find by email, or create with that email, once the body is known to be good.
  customerEmail: string | null;
  opening: NewThreadMessage | null;
  tagIds: number[];
  tagNames: string[];
  customFields: CustomFieldValue[];
  emails: OutboxEmail[];
}

type SettingClass = new () => TicketSetting;
export type RefField = 'inbox' | 'status' | 'priority' | 'type' | 'source';

const SETTING_OF: Record<RefField, { entity: SettingClass; templateKey: keyof TicketTemplate }> = {
  inbox: { entity: Inbox, templateKey: 'inboxId' },
  status: { entity: TicketStatus, templateKey: 'statusId' },
  priority: { entity: TicketPriority, templateKey: 'priorityId' },
  type: { entity: TicketType, templateKey: 'typeId' },
  source: { entity: TicketSource, templateKey: 'sourceId' },
};

const TAG_NAME_MAX = 100;

// Turns the ticket body (POST /tickets.json, and the convert body) into a TicketDraft: every
// field honoured or refused with the field's path, every ref checked against the caller's tenant.
// Where the body is silent, a ticket template, the thread named by fromThreadId, and the
// converted conversation fill in, in that order; then the tenant's defaults.
@Injectable()
export class TicketComposer {
  constructor(
    private readonly users: UsersService,
    private readonly files: FilesService,
    private readonly contacts: ContactsService,
    private readonly tickets: TicketsRepository,
  ) {}

  async compose(manager: EntityManager, principal: Principal, body: TicketInput, origin: TicketOrigin | null): Promise<TicketDraft> {
    const { tenantId } = principal;
    const errors = new FieldErrorsBuilder();
    const template = await this.template(manager, tenantId, body, errors);
    const named = await this.thread(manager, tenantId, body, errors);
    // A thread that was named but is wrong already has its error: nothing is "missing" because of it.
    const thread = named === 'invalid' ? null : named;

    const editMethod: EditMethod = body.editMethod ?? template?.editMethod ?? 'html';
    const message = body.message ?? template?.message ?? thread?.message.message ?? null;
    const customer = await this.customer(manager, tenantId, body, thread, origin, errors, named === 'invalid');

    const refs: Partial<Record<RefField, TicketSetting | null>> = {};
    for (const field of Object.keys(SETTING_OF) as RefField[]) {
      refs[field] = await this.setting(manager, tenantId, field, body, template, origin, errors);
    }
    const agentId = await this.agent(manager, tenantId, body, template, origin, errors);
    const parentId = await this.parent(manager, tenantId, body, errors);
    const sendFrom = this.sendFrom(body, refs.inbox as Inbox | null);
    if (body.sendFrom !== undefined && refs.inbox && sendFrom === null) {
      errors.add('sendFrom', `must be the email or an alias of inbox ${refs.inbox.id}`);
    }
    const tags = await this.tags(manager, principal, body, template, errors);
    const customFields = await this.customFields(manager, tenantId, body, template, errors);
    const fileIds = await this.files.checkActiveIds(tenantId, body.files ?? [], errors);

    // Only a converted chat takes its subject from its words; a created ticket needs one.
    const subjectSource = origin ? (message ?? origin.firstMessage) : null;
    const subject = nonBlank(body.subject) ?? nonBlank(template?.subject) ?? (subjectSource ? nonBlank(subjectFrom(subjectSource)) : null);
    if (subject === null && !origin) errors.add('subject', Messages.required);
    if (!origin && named !== 'invalid' && nonBlank(message ?? undefined) === null && fileIds.length === 0) errors.add('message', Messages.required);

    const recipient = customer?.email ?? null;
    const emails: OutboxEmail[] = [];
    if ((body.notifyCustomer || body.scheduledEmail) && customer && !recipient) {
      errors.add(body.notifyCustomer ? 'notifyCustomer' : 'scheduledEmail', 'the customer has no email address to send to');
    }
    errors.throwIfAny();

    const address = { to: recipient, from: sendFrom ?? (refs.inbox as Inbox).email, subject };
    if (body.notifyCustomer) emails.push({ topic: 'ticket.customer_notification', availableAt: null, payload: { ...address } });
    if (body.scheduledEmail) {
      const scheduled = body.scheduledEmail;
      emails.push({
        topic: 'ticket.scheduled_email',
        availableAt: new Date(scheduled.sendAt),
        payload: { ...address, subject: scheduled.subject ?? subject, message: scheduled.message ?? message },
      });
    }

    const messageFromThread = thread !== null && body.message === undefined && !template?.message;
    const opening: NewThreadMessage | null =
      message !== null && (nonBlank(message) !== null || fileIds.length > 0)
        ? {
            threadType: 'message',
            message,
            editMethod,
            // The thread's author when the message is taken from it; else the agent writing it.
            userId: messageFromThread ? thread.message.userId : principal.userId,
            contactId: messageFromThread ? thread.message.contactId : null,
            cc: body.cc ?? template?.cc ?? [],
            bcc: body.bcc ?? template?.bcc ?? [],
            fileIds,
          }
        : null;
    const previewText = opening ? previewOf(opening.message, editMethod) : origin?.firstMessage ? previewOf(origin.firstMessage, 'markdown') : '';

    return {
      ticket: {
        tenantId,
        // A chat without a word in it still makes a ticket.
        subject: subject ?? `Chat conversation ${origin!.conversationId}`,
        previewText,
        customerId: customer!.id ?? undefined,
        contactId: customer!.contactId,
        agentId,
        inboxId: refs.inbox!.id,
        statusId: refs.status!.id,
        priorityId: refs.priority?.id ?? null,
        typeId: refs.type?.id ?? null,
        sourceId: refs.source?.id ?? null,
        parentId,
        conversationId: origin?.conversationId ?? null,
        cc: body.cc ?? template?.cc ?? [],
        bcc: body.bcc ?? template?.bcc ?? [],
        fileIds,
        editMethod,
        sendFrom,
        createdBy: principal.userId,
        updatedBy: principal.userId,
      },
      customerEmail: customer!.id === null ? customer!.email : null,
      opening,
      tagIds: tags.ids,
      tagNames: tags.names,
      customFields,
      emails,
    };
  }

  private async template(manager: EntityManager, tenantId: number, body: TicketInput, errors: FieldErrorsBuilder): Promise<TicketTemplate | null> {
    if (!body.tickettemplate) return null;
    const template = await manager.findOneBy(TicketTemplate, { tenantId, id: body.tickettemplate.id, state: 'active' });
    if (!template) errors.add('tickettemplate.id', Messages.notFound);
    return template;
  }

  // The thread entry fromThreadId names, with its ticket. A deleted ("archived") ticket's thread
  // is found only when fromTicketId names that ticket too, as Teamwork Desk API v2's documentation
  // of POST /conversations/{id}/convert.json says.
  private async thread(
    manager: EntityManager,
    tenantId: number,
    body: TicketInput,
    errors: FieldErrorsBuilder,
  ): Promise<{ message: TicketMessage; ticket: Ticket } | null | 'invalid'> {
    if (body.fromThreadId === undefined) {
      if (body.fromTicketId === undefined) return null;
      errors.add('fromThreadId', 'must be set with fromTicketId');
      return 'invalid';
    }
    const message = await manager.findOneBy(TicketMessage, { tenantId, id: body.fromThreadId, state: 'active' });
    const ticket = message ? await manager.findOneBy(Ticket, { tenantId, id: message.ticketId }) : null;
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

  // The customer: by id, or by email (found, or created once the body is good); else the
  // thread's, else the converted conversation's.
  private async customer(
    manager: EntityManager,
    tenantId: number,
    body: TicketInput,
    thread: { message: TicketMessage; ticket: Ticket } | null,
    origin: TicketOrigin | null,
    errors: FieldErrorsBuilder,
    // The named thread was wrong: its error says it all, and the customer it would give is unknown.
    threadFailed = false,
  ): Promise<{ id: number | null; contactId: number | null; email: string | null } | null> {
    const given = this.customerRef(body, errors);
    if (given === 'invalid') return null;
    if (given) return this.customerByRef(manager, tenantId, given, 'customer', errors, origin);
    if (thread) {
      const contactId = thread.message.contactId ?? thread.ticket.contactId;
      const contact = contactId ? await manager.findOneBy(CustomerContact, { tenantId, id: contactId }) : null;
      const customerId = contact?.customerId ?? thread.ticket.customerId;
      const customer = await manager.findOneBy(Customer, { tenantId, id: customerId, state: 'active' });
      if (!customer) {
        errors.add('fromThreadId', 'its customer is deleted; give customer');
        return null;
      }
      return { id: customer.id, contactId: contact?.customerId === customer.id ? contact.id : null, email: customer.email };
    }
    if (origin) {
      const customer = await manager.findOneBy(Customer, { tenantId, id: origin.customerId, state: 'active' });
      if (!customer) {
        errors.add('customer', "must be set: the conversation's customer is deleted");
        return null;
      }
      return { id: customer.id, contactId: origin.contactId, email: customer.email };
    }
    if (!threadFailed) errors.add('customer', Messages.required);
    return null;
  }

  // A customer by {id} (active, of the tenant) or {email} (its contact; id null when none has it
  // yet, and the caller creates it once the whole body is good).
  async customerByRef(
    manager: EntityManager,
    tenantId: number,
    ref: CustomerRefInput,
    path: string,
    errors: FieldErrorsBuilder,
    origin: TicketOrigin | null = null,
  ): Promise<{ id: number | null; contactId: number | null; email: string | null } | null> {
    if (ref.id !== undefined) {
      const customer = await manager.findOneBy(Customer, { tenantId, id: ref.id, state: 'active' });
      if (!customer) {
        errors.add(`${path}.id`, Messages.notFound);
        return null;
      }
      const contactId = origin?.customerId === customer.id ? origin.contactId : await this.mainContactId(manager, tenantId, customer.id);
      return { id: customer.id, contactId, email: customer.email };
    }
    // In normal form: a look-alike of a customer's address is that customer.
    const email = normalizeEmail(ref.email!);
    const contact = await this.contacts.findContactByValue(manager, tenantId, { type: 'email', value: email });
    if (!contact) return { id: null, contactId: null, email };
    const customer = await manager.findOneByOrFail(Customer, { tenantId, id: contact.customerId });
    return { id: customer.id, contactId: contact.id, email: customer.email };
  }

  // customer {id} xor {email}; the deprecated `email` is customer.email.
  private customerRef(body: TicketInput, errors: FieldErrorsBuilder): CustomerRefInput | null | 'invalid' {
    const ref = body.customer;
    if (body.email !== undefined) {
      if (ref) {
        errors.add('email', 'must not be set with customer: it is the deprecated form of customer.email');
        return 'invalid';
      }
      return { email: body.email };
    }
    if (!ref) return null;
    if ((ref.id === undefined) === (ref.email === undefined)) {
      errors.add('customer', 'Customer ID or Email is required, but not both');
      return 'invalid';
    }
    return ref;
  }

  // The contact a ticket for this customer is with: its main email, else its oldest contact.
  private async mainContactId(manager: EntityManager, tenantId: number, customerId: number): Promise<number | null> {
    const [row]: { id: number }[] = await manager.query(
      `SELECT id FROM customer_contacts WHERE tenant_id = $1 AND customer_id = $2 AND state = 'active'
        ORDER BY (type = 'email' AND is_main) DESC, id LIMIT 1`,
      [tenantId, customerId],
    );
    return row?.id ?? null;
  }

  private async setting(
    manager: EntityManager,
    tenantId: number,
    field: RefField,
    body: TicketInput,
    template: TicketTemplate | null,
    origin: TicketOrigin | null,
    errors: FieldErrorsBuilder,
  ): Promise<TicketSetting | null> {
    const { entity, templateKey } = SETTING_OF[field];
    const given = body[field]?.id;
    const fromTemplate = template?.[templateKey] as number | null | undefined;
    const id = given ?? fromTemplate ?? null;
    if (id !== null) return this.settingById(manager, tenantId, field, id, given !== undefined ? `${field}.id` : `tickettemplate.${field}`, errors);
    // A converted chat comes from the Chat source; other tickets from the tenant's default.
    if (field === 'source' && origin) {
      const chat = await manager.findOneBy(entity, { tenantId, code: 'chat', state: 'active' });
      if (chat) return chat;
    }
    const fallback = await manager.findOneBy(entity, { tenantId, isDefault: true, state: 'active' });
    if (!fallback && (field === 'inbox' || field === 'status')) errors.add(field, `${Messages.required}: the tenant has no default ${field}`);
    return fallback;
  }

  async settingById(
    manager: EntityManager,
    tenantId: number,
    field: RefField,
    id: number,
    path: string,
    errors: FieldErrorsBuilder,
  ): Promise<TicketSetting | null> {
    const row = await manager.findOneBy(SETTING_OF[field].entity, { tenantId, id, state: 'active' });
    if (!row) errors.add(path, Messages.notFound);
    return row;
  }

  async activeAgent(manager: EntityManager, tenantId: number, id: number, path: string, errors: FieldErrorsBuilder): Promise<void> {
    const [user] = await this.users.findActiveByIds(tenantId, [id], manager);
    if (!user) errors.add(path, 'must be an active agent of the tenant');
  }

  private async agent(
    manager: EntityManager,
    tenantId: number,
    body: TicketInput,
    template: TicketTemplate | null,
    origin: TicketOrigin | null,
    errors: FieldErrorsBuilder,
  ): Promise<number | null> {
    const given = body.agent?.id;
    const id = given ?? template?.agentId ?? null;
    if (id === null) return origin?.agentId ?? null;
    await this.activeAgent(manager, tenantId, id, given !== undefined ? 'agent.id' : 'tickettemplate.agent', errors);
    return id;
  }

  private async parent(manager: EntityManager, tenantId: number, body: TicketInput, errors: FieldErrorsBuilder): Promise<number | null> {
    if (!body.parent) return null;
    const parent = await manager.findOneBy(Ticket, { tenantId, id: body.parent.id, state: 'active' });
    if (!parent) errors.add('parent.id', Messages.notFound);
    return body.parent.id;
  }

  // The given address as the inbox spells it, or null when it is not one of the inbox's.
  sendFrom(body: Pick<TicketInput, 'sendFrom'>, inbox: Inbox | null): string | null {
    if (body.sendFrom === undefined || body.sendFrom === null || !inbox) return null;
    const wanted = body.sendFrom.trim().toLowerCase();
    return [inbox.email, ...inbox.aliases].find((address) => address?.toLowerCase() === wanted) ?? null;
  }

  // Refs must be active tags of the tenant. Names are found among them, ignoring case; a name no
  // tag has yet is created later for an admin, and refused for an agent (tags are admin settings:
  // an agent who may not POST /tags.json may not create one by naming it either).
  async tags(
    manager: EntityManager,
    principal: Principal,
    body: Pick<TicketInput, 'tags'>,
    template: TicketTemplate | null,
    errors: FieldErrorsBuilder,
  ): Promise<{ ids: number[]; names: string[] }> {
    if (body.tags === undefined) return { ids: template?.tagIds ?? [], names: [] };
    const { tenantId } = principal;
    const { ids, names } = readTagItems(body.tags, errors);
    if (ids.length > 0) {
      const found = new Set((await manager.findBy(Tag, { tenantId, id: In(ids.map((ref) => ref.id)), state: 'active' })).map((tag) => tag.id));
      for (const ref of ids) if (!found.has(ref.id)) errors.add(ref.path, Messages.notFound);
    }
    const byName = await this.tickets.activeTagIdsByName(manager, tenantId, names.map((item) => item.name));
    const unknown = names.filter((item) => !byName.has(item.name.toLowerCase()));
    if (principal.role !== 'admin') unknown.forEach((item) => errors.add(item.path, 'must name an existing tag: only an admin creates tags'));
    return {
      ids: [...new Set([...ids.map((ref) => ref.id), ...byName.values()])],
      names: principal.role === 'admin' ? [...new Map(unknown.map((item) => [item.name.toLowerCase(), item.name])).values()] : [],
    };
  }

  // Each value fits its field's type and options; the body's values win over the template's.
  // `allowNull` (PATCH) lets null clear a value.
  async customFields(
    manager: EntityManager,
    tenantId: number,
    body: Pick<TicketInput, 'customfields'>,
    template: TicketTemplate | null,
    errors: FieldErrorsBuilder,
    allowNull = false,
  ): Promise<CustomFieldValue[]> {
    const given = (body.customfields ?? []).map((entry, index) => ({ ...entry, path: `customfields[${index}]` }));
    const fromTemplate = (template?.customFields ?? [])
      .filter((entry) => !given.some((other) => other.id === entry.id))
      .map((entry) => ({ ...entry, path: 'tickettemplate.customfields' }));
    const entries = [...given, ...fromTemplate];
    if (entries.length === 0) return [];
    const fields = await manager.findBy(CustomField, { tenantId, id: In(entries.map((entry) => entry.id)), state: 'active' });
    return checkCustomFieldValues(entries, new Map(fields.map((field) => [field.id, field])), errors, { allowNull });
  }
}

// A tag of the body, by id or by name, with the path its error names.
interface TagItem {
  name: string;
  path: string;
}

// The body's `tags`: refs {"id": 3} and names ("vip" or {"name": "vip"}), each checked for shape.
function readTagItems(items: readonly unknown[], errors: FieldErrorsBuilder): { ids: { id: number; path: string }[]; names: TagItem[] } {
  const ids: { id: number; path: string }[] = [];
  const names: TagItem[] = [];
  items.forEach((item, index) => {
    const entry = typeof item === 'string' ? { name: item } : item;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      errors.add(`tags[${index}]`, 'must be a tag ref {"id": 3} or a name');
      return;
    }
    const { id, name, ...rest } = entry as Record<string, unknown>;
    const namePath = `tags[${index}]${typeof item === 'string' ? '' : '.name'}`;
    const unknown = Object.keys(rest).filter((key) => key !== 'type' && key !== 'meta');
    if (unknown.length > 0) unknown.forEach((key) => errors.add(`tags[${index}].${key}`, Messages.unknownField));
    else if (id !== undefined && name !== undefined) errors.add(`tags[${index}]`, 'must have an id or a name, not both');
    else if (id !== undefined) {
      if (!Number.isSafeInteger(id) || (id as number) < 1) errors.add(`tags[${index}].id`, Messages.integer);
      else ids.push({ id: id as number, path: `tags[${index}].id` });
    } else if (typeof name !== 'string') errors.add(namePath, Messages.string);
    else if (name.trim() === '' || name.trim().length > TAG_NAME_MAX || name.includes('\0')) {
      errors.add(namePath, `must be 1 to ${TAG_NAME_MAX} characters`);
    } else names.push({ name: name.trim(), path: namePath });
  });
  return { ids, names };
}

function nonBlank(value: string | null | undefined): string | null {
  return value === undefined || value === null || value.trim() === '' ? null : value.trim();
}
