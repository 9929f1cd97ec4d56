import { Injectable } from '@nestjs/common';
import { assertExpectedVersion, ConflictError, ExpectedVersions, ListQuery, NotFoundError, PageMeta } from '@app/common';
import { Database } from '@app/database';
import { Principal } from '../auth/principal';
import { LiveEvent, LiveEvents, liveEventBy } from '../live/live-events';
import { TicketComposer, TicketDraft } from './ticket-composer';
import { TicketEmails } from './ticket-emails';
import { TicketInput, TicketOrigin, TicketUpdate } from './ticket-input';
import { TicketRefs } from './ticket-refs';
import { TicketUpdatePlan, TicketUpdatePlanner, withStateChange } from './ticket-update';
import { Ticket } from './ticket.entity';
import { TicketErrorCode } from './tickets.errors';
import { presentTicket, ticketVersion } from './tickets.presenter';
import { ChatRelation } from './chat-message-row';
import { TicketsRepository } from './tickets.repository';
import { TicketView } from './ticket.view';


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
    private readonly updates: TicketUpdatePlanner,
    private readonly refs: TicketRefs,
    private readonly live: LiveEvents,
    private readonly emails: TicketEmails,
  ) {}

  // POST /tickets.json: the ticket, its opening message, tags, fields and emails, all or nothing.
  async create(principal: Principal, input: TicketInput): Promise<TicketView> {
    return this.db.transaction(async () => {
      const id = await this.createIn(principal, input, null);
      return this.announce(principal, 'ticket.created', id);
    });
  }

  // The same inside the caller's transaction; with an origin, the conversation's transcript
  // becomes the thread after the opening message. The caller marks the conversation.
  async createIn(principal: Principal, input: TicketInput, origin: TicketOrigin | null): Promise<number> {
    const draft = await this.composer.compose(principal, input, origin);
    return this.write(principal, draft, origin);
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
    return this.db.transaction(async () => {
      const current = await this.lockToChange(principal, id, input, expected);
      const plan = await this.updates.plan(principal, current, input);
      const related = await this.writeRelated(principal, id, plan);
      const changes = withStateChange(current, input.state, plan.changes, related, principal.userId);
      if (Object.keys(changes).length === 0) return this.getById(principal, id);
      await this.tickets.updateTicket(principal.tenantId, id, changes);
      return this.announce(principal, 'ticket.updated', id);
    });
  }

  // Soft delete; deleting a deleted ticket changes nothing.
  async remove(principal: Principal, id: number): Promise<void> {
    const { tenantId, userId } = principal;
    await this.db.transaction(async () => {
      if (await this.tickets.softDelete(tenantId, id, userId)) await this.announce(principal, 'ticket.updated', id);
      else if (!(await this.tickets.findById(tenantId, id))) throw notFound(id);
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
  async copyChatMessages(messages: ChatRelation, actor: ChatActor | null = null): Promise<void> {
    const changed = await this.tickets.copyChatMessages(messages, actor?.userId ?? null);
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

  private async write(principal: Principal, draft: TicketDraft, origin: TicketOrigin | null): Promise<number> {
    const { tenantId, userId } = principal;
    const ticket = { ...draft.ticket };
    if (draft.customerEmail !== null) Object.assign(ticket, await this.refs.createCustomer(tenantId, draft.customerEmail, userId));
    const tagIds = await this.refs.tagIds(tenantId, draft.tags, userId);
    const id = await this.tickets.insertTicket(ticket);
    const opening = draft.opening ? await this.tickets.insertMessages(tenantId, id, [draft.opening], userId) : [];
    const transcript = origin ? await this.tickets.insertTranscript(id, origin.transcript, ticket.editMethod!) : 0;
    const count = opening.length + transcript;
    if (count > 0) await this.tickets.updateTicket(tenantId, id, { messageCount: count });
    await this.tickets.replaceTags(tenantId, id, tagIds, userId);
    await this.tickets.setCustomFields(tenantId, id, draft.customFields, userId);
    await this.emails.queueForNewTicket(tenantId, id, draft.emails, opening[0] ?? null, userId);
    return id;
  }

  // The locked ticket a PATCH changes: a deleted one only to restore it.
  private async lockToChange(principal: Principal, id: number, input: TicketUpdate, expected?: ExpectedVersions): Promise<Ticket> {
    const current = await this.tickets.findByIdForUpdate(principal.tenantId, id);
    if (!current) throw notFound(id);
    await assertExpectedVersion(expected, async () => ticketVersion(await this.getById(principal, id)), `ticket ${id}`);
    if (current.state === 'deleted' && input.state !== 'active') throw deleted(id);
    return current;
  }

  // What a PATCH writes besides the ticket's columns, once the body is good: a customer by a new
  // email, tags and custom fields. True when tags or fields changed.
  private async writeRelated(principal: Principal, id: number, plan: TicketUpdatePlan): Promise<boolean> {
    const { tenantId, userId } = principal;
    if (plan.customerEmail !== null) {
      const { customerId, contactId } = await this.refs.createCustomer(tenantId, plan.customerEmail, userId);
      plan.changes.set('customerId', customerId);
      plan.changes.set('contactId', contactId);
    }
    let related = false;
    if (plan.tags) related = await this.tickets.replaceTags(tenantId, id, await this.refs.tagIds(tenantId, plan.tags, userId), userId);
    if (plan.customFields.length > 0) related = (await this.tickets.setCustomFields(tenantId, id, plan.customFields, userId)) || related;
    return related;
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
