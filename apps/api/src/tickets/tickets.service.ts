import { Injectable } from '@nestjs/common';
import { assertExpectedVersion, ConflictError, ExpectedVersions, FieldErrorsBuilder, ListQuery, Messages, NotFoundError, PageMeta } from '@app/common';
import { Database } from '@app/database';
import { EntityManager } from 'typeorm';
import { Principal } from '../auth/principal';
import { ContactsService } from '../contacts/contacts.service';
import { FilesService } from '../files/files.service';
import { LiveEvent, LiveEvents, liveEventBy } from '../pusher/live-events';
import { Inbox } from './settings/ticket-setting.entity';
import { TicketComposer, TicketDraft, TicketOrigin } from './ticket-composer';
import { TicketInput, TicketUpdate } from './ticket-input';
import { Ticket } from './ticket.entity';
import { TicketErrorCode } from './tickets.errors';
import { presentTicket, ticketVersion } from './tickets.presenter';
import { ChatMessageRow, CustomFieldValue, TicketsRepository } from './tickets.repository';

// A ticket with what its wire form shows besides its own columns.
export interface TicketView {
  ticket: Ticket;
  tagIds: number[];
  customFields: CustomFieldValue[];
  messageIds: number[];
}

// Who posted chat messages that reach a thread: an agent's request (not echoed to its Pusher
// connection), or none for the widget's webhook.
export interface ChatActor {
  userId: number | null;
  socketId?: string | null;
}

@Injectable()
export class TicketsService {
  constructor(
    private readonly db: Database,
    private readonly tickets: TicketsRepository,
    private readonly composer: TicketComposer,
    private readonly contacts: ContactsService,
    private readonly files: FilesService,
    private readonly live: LiveEvents,
  ) {}

  // POST /tickets.json: the ticket, its opening message, tags, fields and emails, all or nothing.
  async create(principal: Principal, input: TicketInput): Promise<TicketView> {
    return this.db.transaction(async (manager) => {
      const id = await this.createIn(manager, principal, input, null);
      return this.announce(principal, 'ticket.created', id);
    });
  }

  // The same inside the caller's transaction; with an origin, the conversation's transcript
  // becomes the thread after the opening message. The caller marks the conversation.
  async createIn(manager: EntityManager, principal: Principal, input: TicketInput, origin: TicketOrigin | null): Promise<number> {
    const draft = await this.composer.compose(manager, principal, input, origin);
    return this.write(manager, principal, draft, origin);
  }

  async getById(principal: Principal, id: number): Promise<TicketView> {
    const ticket = await this.tickets.findById(principal.tenantId, id);
    if (!ticket) throw notFound(id);
    const [view] = await this.views(principal.tenantId, [ticket]);
    return view;
  }

  // Deleted ones too, as other resources side-load them.
  async findViewsByIds(tenantId: number, ids: readonly number[]): Promise<TicketView[]> {
    return this.views(tenantId, await this.tickets.findByIds(tenantId, ids));
  }

  async list(principal: Principal, query: ListQuery): Promise<{ views: TicketView[]; meta: PageMeta }> {
    const { rows, meta } = await this.tickets.list(principal.tenantId, query);
    return { views: await this.views(principal.tenantId, rows), meta };
  }

  // Only the given properties change; tags and custom fields count as changes of the ticket.
  // A deleted ticket can only be restored ("state": "active"). With `expected`, only over one of
  // those versions, checked on the locked row.
  async update(principal: Principal, id: number, input: TicketUpdate, expected?: ExpectedVersions): Promise<TicketView> {
    const { tenantId, userId } = principal;
    return this.db.transaction(async (manager) => {
      const current = await this.tickets.findByIdForUpdate(manager, tenantId, id);
      if (!current) throw notFound(id);
      await assertExpectedVersion(expected, async () => ticketVersion(await this.getById(principal, id)), `ticket ${id}`);
      if (current.state === 'deleted' && input.state !== 'active') throw deleted(id);

      const errors = new FieldErrorsBuilder();
      const changes: Partial<Record<keyof Ticket, unknown>> = {};
      const set = <K extends keyof Ticket>(key: K, value: Ticket[K]) => {
        if (!same(value, current[key])) changes[key] = value;
      };

      if (input.subject !== undefined) {
        if (input.subject.trim() === '') errors.add('subject', Messages.required);
        else set('subject', input.subject.trim());
      }
      let newCustomerEmail: string | null = null;
      if (input.customer !== undefined) {
        const ref = input.customer;
        if ((ref.id === undefined) === (ref.email === undefined)) errors.add('customer', 'Customer ID or Email is required, but not both');
        else {
          const customer = await this.composer.customerByRef(manager, tenantId, ref, 'customer', errors);
          if (customer?.id === null) newCustomerEmail = customer.email;
          else if (customer && customer.id !== current.customerId) {
            set('customerId', customer.id);
            set('contactId', customer.contactId);
          }
        }
      }
      if (input.agent !== undefined) {
        if (input.agent !== null) await this.composer.activeAgent(manager, tenantId, input.agent.id, 'agent.id', errors);
        set('agentId', input.agent?.id ?? null);
      }
      let inbox: Inbox | null = null;
      for (const field of ['inbox', 'status', 'priority', 'type', 'source'] as const) {
        const ref = input[field];
        if (ref === undefined) continue;
        const column = `${field}Id` as 'inboxId' | 'statusId' | 'priorityId' | 'typeId' | 'sourceId';
        if (ref === null) {
          if (field === 'inbox' || field === 'status') errors.add(field, Messages.required);
          else set(column, null);
          continue;
        }
        const row = await this.composer.settingById(manager, tenantId, field, ref.id, `${field}.id`, errors);
        if (row && field === 'inbox') inbox = row as Inbox;
        set(column, ref.id);
      }
      if (input.parent !== undefined) {
        if (input.parent === null) set('parentId', null);
        else if (input.parent.id === id || (await this.tickets.isInParentChain(manager, tenantId, input.parent.id, id))) {
          errors.add('parent.id', 'must not be the ticket itself or one of its children');
        } else if ((await this.tickets.findById(tenantId, input.parent.id, manager))?.state !== 'active') errors.add('parent.id', Messages.notFound);
        else set('parentId', input.parent.id);
      }
      // sendFrom is checked against the inbox the ticket will have.
      if (input.sendFrom !== undefined || (inbox && current.sendFrom)) {
        inbox ??= await manager.findOneByOrFail(Inbox, { tenantId, id: current.inboxId });
        const wanted = input.sendFrom === undefined ? current.sendFrom : input.sendFrom;
        const address = this.composer.sendFrom({ sendFrom: wanted }, inbox);
        if (wanted !== null && address === null) errors.add('sendFrom', `must be the email or an alias of inbox ${inbox.id}`);
        set('sendFrom', address);
      }
      const tags = input.tags === undefined ? null : await this.composer.tags(manager, principal, input, null, errors);
      const fields = input.customfields === undefined ? [] : await this.composer.customFields(manager, tenantId, input, null, errors, true);
      if (input.files !== undefined) set('fileIds', await this.files.checkActiveIds(tenantId, input.files, errors));
      if (input.cc !== undefined) set('cc', input.cc);
      if (input.bcc !== undefined) set('bcc', input.bcc);
      if (input.editMethod !== undefined) set('editMethod', input.editMethod);
      if (input.isRead !== undefined) set('isRead', input.isRead);
      errors.throwIfAny();

      if (newCustomerEmail !== null) {
        const contact = await this.contacts.findOrCreateContact(manager, tenantId, { type: 'email', value: newCustomerEmail }, userId);
        set('customerId', contact.customerId);
        set('contactId', contact.id);
      }
      let related = false;
      if (tags) {
        const tagIds = [...tags.ids, ...(await this.tickets.findOrCreateTags(manager, tenantId, tags.names, userId))];
        related = await this.tickets.replaceTags(manager, tenantId, id, [...new Set(tagIds)], userId);
      }
      if (fields.length > 0) related = (await this.tickets.setCustomFields(manager, tenantId, id, fields, userId)) || related;

      if (input.state === 'active' && current.state === 'deleted') Object.assign(changes, { state: 'active', deletedAt: null, deletedBy: null });
      if (Object.keys(changes).length > 0 || related) Object.assign(changes, { updatedAt: () => 'now()', updatedBy: userId });
      if (input.state === 'deleted' && current.state === 'active') Object.assign(changes, deletedNow(userId));
      if (Object.keys(changes).length === 0) return this.getById(principal, id);
      await this.tickets.updateTicket(manager, tenantId, id, changes);
      return this.announce(principal, 'ticket.updated', id);
    });
  }

  // Soft delete; deleting a deleted ticket changes nothing.
  async remove(principal: Principal, id: number): Promise<void> {
    const { tenantId, userId } = principal;
    await this.db.transaction(async (manager) => {
      const result = await manager.update(Ticket, { tenantId, id, state: 'active' }, deletedNow(userId));
      if (result.affected !== 0) await this.announce(principal, 'ticket.updated', id);
      else if (!(await this.tickets.findById(tenantId, id, manager))) throw notFound(id);
    });
  }

  // The ticket as it now is, read in the caller's transaction (the change's), with the change's
  // live event written in it: on the tenant's channel only, even for a ticket converted from a
  // chat (its conversation's channel is the customer's). Returns the view the event shows.
  async announce(principal: Principal, name: 'ticket.created' | 'ticket.updated', id: number): Promise<TicketView> {
    const view = await this.getById(principal, id);
    await this.live.publish([liveEventBy(principal, name, presentTicket(view))]);
    return view;
  }

  // The set-based door by which messages posted to a converted conversation (over REST, HighLevel
  // or the widget's webhook) reach its ticket's thread, in the caller's transaction, which holds
  // the messages' conversations locked: a conversion then either committed before, and its ticket
  // is found here, or runs after and copies them with the transcript. Messages of conversations
  // that are no ticket are passed over. Each changed ticket's `ticket.updated` goes to its
  // tenant's agents only, never to a conversation's channel.
  async copyChatMessages(messages: readonly ChatMessageRow[], actor: ChatActor | null = null): Promise<void> {
    const changed = await this.tickets.copyChatMessages(this.db.manager, messages, actor?.userId ?? null);
    const byTenant = new Map<number, number[]>();
    for (const { tenantId, id } of changed) byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), id]);
    const events: LiveEvent[] = [];
    for (const [tenantId, ids] of byTenant) {
      for (const view of await this.findViewsByIds(tenantId, ids)) {
        events.push({ tenantId, name: 'ticket.updated', data: presentTicket(view), socketId: actor?.socketId ?? null, actorId: actor?.userId ?? null });
      }
    }
    await this.live.publish(events);
  }

  // A 404 unless the tenant has this ticket (deleted ones too).
  async assertExists(tenantId: number, id: number): Promise<void> {
    if (!(await this.tickets.findById(tenantId, id))) throw notFound(id);
  }

  private async write(manager: EntityManager, principal: Principal, draft: TicketDraft, origin: TicketOrigin | null): Promise<number> {
    const { tenantId, userId } = principal;
    const ticket = { ...draft.ticket };
    if (draft.customerEmail !== null) {
      const contact = await this.contacts.findOrCreateContact(manager, tenantId, { type: 'email', value: draft.customerEmail }, userId);
      Object.assign(ticket, { customerId: contact.customerId, contactId: contact.id });
    }
    const tagIds = [...draft.tagIds, ...(await this.tickets.findOrCreateTags(manager, tenantId, draft.tagNames, userId))];
    const id = await this.tickets.insertTicket(manager, ticket);
    const opening = draft.opening ? await this.tickets.insertMessages(manager, tenantId, id, [draft.opening], userId) : [];
    const transcript = origin ? await this.tickets.insertTranscript(manager, tenantId, id, origin.transcript, ticket.editMethod!) : 0;
    const count = opening.length + transcript;
    if (count > 0) await manager.update(Ticket, { tenantId, id }, { messageCount: count });
    await this.tickets.replaceTags(manager, tenantId, id, [...new Set(tagIds)], userId);
    await this.tickets.setCustomFields(manager, tenantId, id, draft.customFields, userId);
    await this.tickets.insertOutbox(manager, tenantId, id, draft.emails, userId);
    return id;
  }

  private async views(tenantId: number, tickets: Ticket[]): Promise<TicketView[]> {
    const { tags, fields, messages } = await this.tickets.relationsOf(
      tenantId,
      tickets.map((ticket) => ticket.id),
    );
    return tickets.map((ticket) => ({
      ticket,
      tagIds: tags.get(ticket.id) ?? [],
      customFields: fields.get(ticket.id) ?? [],
      messageIds: messages.get(ticket.id) ?? [],
    }));
  }
}

export function notFound(id: number): NotFoundError {
  return new NotFoundError(TicketErrorCode.NotFound, `ticket ${id} not found`);
}

export function deleted(id: number): ConflictError {
  return new ConflictError(TicketErrorCode.Deleted, `ticket ${id} is deleted; restore it with "state": "active" first`);
}

function deletedNow(userId: number) {
  return { state: 'deleted' as const, deletedAt: () => 'now()', deletedBy: userId };
}

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => item === b[index]);
  return a === b;
}
