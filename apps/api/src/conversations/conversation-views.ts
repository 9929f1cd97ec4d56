import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@app/common';
import { Database } from '@app/database';
import { ContactsService } from '../contacts/contacts.service';
import { presentCustomerConversation } from '../customer-view/customer-view.presenter';
import { LiveEvent, LiveEventActor, LiveEventName, LiveEvents } from '../live/live-events';
import { activityEvent } from './activities/activity-log';
import { presentActivity } from './activities/activity.presenter';
import { ChangeBatch, HeldAnnouncement, HeldChanges } from './change-batch';
import { Conversation } from './conversation.entity';
import { presentConversation } from './conversation.presenter';
import { ConversationView } from './conversation.view';
import { ConversationErrorCode } from './conversations.errors';
import { ConversationsRepository } from './conversations.repository';

// How many of a conversation's latest messages its `messages` refs (and includes) show.
export const CONVERSATION_MESSAGE_REFS = 100;

// Conversations as their wire forms show them, and their live events: every part of the core
// that changes a conversation announces it through here.
@Injectable()
export class ConversationViews {
  constructor(
    private readonly db: Database,
    private readonly conversations: ConversationsRepository,
    private readonly contacts: ContactsService,
    private readonly live: LiveEvents,
    private readonly batch: ChangeBatch,
  ) {}

  async getById(tenantId: number, id: number): Promise<ConversationView> {
    const conversation = await this.conversations.findById(tenantId, id);
    if (!conversation) throw conversationNotFound(id);
    const [view] = await this.of(tenantId, [conversation]);
    return view;
  }

  // The tenant's conversations of these ids; absent ones are left out.
  async findByIds(tenantId: number, ids: readonly number[]): Promise<ConversationView[]> {
    return this.of(tenantId, await this.conversations.findByIds(tenantId, ids));
  }

  async of(tenantId: number, conversations: Conversation[]): Promise<ConversationView[]> {
    const ids = conversations.map((c) => c.id);
    const contactsOf = () =>
      this.contacts.findContactsByIds(
        tenantId,
        conversations.map((c) => c.contactId),
      );
    const participantsOf = () => this.conversations.participantIds(tenantId, ids);
    const messageIdsOf = () => this.conversations.latestMessageIds(tenantId, ids, CONVERSATION_MESSAGE_REFS);
    const onlineOf = () => this.conversations.onlineMembers(tenantId, ids);
    const [contacts, participants, messageIds, online] = await this.db.all(contactsOf, participantsOf, messageIdsOf, onlineOf);
    const contactById = new Map(contacts.map((contact) => [contact.id, contact]));
    return conversations.map((conversation) => ({
      conversation,
      contact: contactById.get(conversation.contactId)!,
      userIds: participants.get(conversation.id) ?? [],
      messageIds: messageIds.get(conversation.id)?.all ?? [],
      customerMessageIds: messageIds.get(conversation.id)?.public ?? [],
      onlineMembers: online.get(conversation.id) ?? [],
    }));
  }

  // The conversation as it now is, read in the caller's transaction (the change's), with the
  // change's live event written in it too: a dashboard gets the same JSON as the caller (and the
  // change's activities), the conversation's channel the customer's view (unless `customer` is
  // false: a change of the agents' fields alone).
  // In a change (ChangeBatch), the event is held for its end: one per conversation.
  async announce(principal: LiveEventActor, name: LiveEventName, id: number, options: { customer?: boolean } = {}): Promise<ConversationView> {
    const view = await this.getById(principal.tenantId, id);
    const announcement = { tenantId: principal.tenantId, id, name, customer: options.customer !== false, actorId: principal.userId, socketId: principal.socketId ?? null, view };
    const held = this.batch.current();
    if (held) ChangeBatch.holdAnnouncement(held, announcement);
    else await this.publish({ announcements: new Map([[id, announcement]]), activities: new Map() });
    return view;
  }

  // conversation.updated for each of these conversations, as it now is: its Desk JSON for the
  // agents; with `customer`, the customer's view on its own channel too (a change the customer
  // sees; workflow changes are the agents' alone).
  async announceUpdated(refs: readonly { tenantId: number; conversationId: number }[], options: { customer: boolean; actorId?: number | null; socketId?: string | null }): Promise<void> {
    const announcements = refs.map((r): HeldAnnouncement => ({
      tenantId: r.tenantId,
      id: r.conversationId,
      name: 'conversation.updated',
      customer: options.customer,
      actorId: options.actorId ?? null,
      socketId: options.socketId ?? null,
    }));
    const batch = this.batch.current();
    if (batch) announcements.forEach((a) => ChangeBatch.holdAnnouncement(batch, a));
    else await this.publish({ announcements: new Map(announcements.map((a) => [a.id, a])), activities: new Map() });
  }

  // A change's events: each announced conversation's, as it now is (its Desk JSON with the
  // activities the change wrote for it, oldest first, `[]` when none, for the agents; the
  // customer's view on its own channel when the change was the customer's to see, never with
  // activities); then each activity of a conversation not announced as its own
  // conversation.activity.
  async publish(held: Pick<HeldChanges, 'announcements' | 'activities'>): Promise<void> {
    const byTenant = new Map<number, HeldAnnouncement[]>();
    for (const a of held.announcements.values()) byTenant.set(a.tenantId, [...(byTenant.get(a.tenantId) ?? []), a]);
    const events: LiveEvent[] = [];
    const announced = new Set<number>();
    for (const [tenantId, list] of byTenant) {
      const views = await this.viewsOf(tenantId, list);
      for (const a of list) {
        const view = views.get(a.id);
        if (!view) continue;
        announced.add(a.id);
        const activities = (held.activities.get(a.id) ?? []).map((h) => presentActivity(h.row));
        const customer = a.customer ? { conversationId: a.id, data: presentCustomerConversation(view) } : null;
        events.push({ tenantId, name: a.name, data: { ...presentConversation(view), activities }, customer, actorId: a.actorId, socketId: a.socketId });
      }
    }
    for (const [id, list] of held.activities) if (!announced.has(id)) events.push(...list.map((h) => activityEvent(h.row, h.socketId)));
    await this.live.publish(events);
  }

  // The announcements' conversations as they now are: as last read, or read again.
  private async viewsOf(tenantId: number, list: readonly HeldAnnouncement[]): Promise<Map<number, ConversationView>> {
    const views = new Map(list.flatMap((a) => (a.view ? [[a.id, a.view] as const] : [])));
    const stale = list.filter((a) => !a.view).map((a) => a.id);
    if (stale.length > 0) for (const view of await this.findByIds(tenantId, stale)) views.set(view.conversation.id, view);
    return views;
  }
}

export function conversationNotFound(id: number): NotFoundError {
  return new NotFoundError(ConversationErrorCode.NotFound, `conversation ${id} not found`);
}
