import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Database } from '@app/database';
import { EntityManager } from 'typeorm';
import { presentConversation } from '../conversations/conversation.presenter';
import { ConversationsService } from '../conversations/conversations.service';
import { presentCustomerConversation, presentCustomerMessage } from '../customer-view/customer-view.presenter';
import { isAttachable } from '../files/files.service';
import { ConversationMessage } from '../messages/conversation-message.entity';
import { presentMessage } from '../messages/message.presenter';
import { directionOf, isSameMessage } from '../messages/messages.repository';
import { MetricsService, WebhookEventKind, WebhookEventOutcome } from '../metrics/metrics.service';
import { LiveEvent, LiveEvents } from '../live/live-events';
import { memberId } from '../live/pusher-channels';
import { TicketsService } from '../tickets/tickets.service';
import { classifyBatch, Classified, WebhookBatch } from './pusher-events';
import { NewWebhookEvent, NewWebhookMessage, StateChange, TouchedConversation, WebhookConversation, WebhooksRepository } from './webhooks.repository';

export interface WebhookResult {
  // The messages of the batch's message events, new or stored before, in the batch's order.
  messages: ConversationMessage[];
  meta: {
    received: number;
    // Messages this batch created.
    created: number;
    // Other events that took effect (presence, the widget online, typing acknowledged).
    applied: number;
    // Events stored before (a retry, a replay, another process), or messages already posted.
    duplicates: number;
    // Events stored as ignored: channels or conversations not ours, names we do not act on.
    ignored: number;
    // Messages whose clientMessageId names another message on their side of the conversation:
    // recorded as conflicts, nothing stored.
    conflicts: number;
  };
}

type Author = { userId: number | null; contactId: number | null };
type Acting = Exclude<Classified, { kind: 'ignored' }>;
// An event once its conversation has been found: events of ours carry their tenant, messages
// their author; the rest are ignored, with their tenant when the conversation is known.
// `filesDropped`: why some of its files were left out (recorded with the event).
type MessageEvent = Extract<Classified, { kind: 'message' }> & { tenantId: number; author: Author; filesDropped?: string };
type Resolved =
  | MessageEvent
  | (Exclude<Acting, { kind: 'message' }> & { tenantId: number })
  | (Extract<Classified, { kind: 'ignored' }> & { tenantId: number | null });

// Pusher's webhook batches: every event stored once under its dedupe key, in one transaction with
// what it causes, so Pusher's retries, replays and reorderings change nothing the second time.
@Injectable()
export class PusherWebhooksService {
  constructor(
    private readonly db: Database,
    private readonly webhooks: WebhooksRepository,
    private readonly live: LiveEvents,
    private readonly conversations: ConversationsService,
    private readonly metrics: MetricsService,
    private readonly tickets: TicketsService,
    private readonly config: AppConfig,
  ) {}

  // A batch of any size, in transactions of PUSHER_WEBHOOK_EVENTS_PER_TRANSACTION events, one after
  // another in the batch's order. Each event is stored under its dedupe key in the transaction of
  // what it causes: when one fails, the answer is a 5xx, Pusher sends the whole batch again, and
  // the events stored before are duplicates, so each still takes effect exactly once.
  async receive(batch: WebhookBatch): Promise<WebhookResult> {
    const classified = classifyBatch(batch);
    const size = this.config.PUSHER_WEBHOOK_EVENTS_PER_TRANSACTION;
    const results: WebhookResult[] = [];
    // An empty batch is one (empty) transaction too.
    for (let start = 0; start === 0 || start < classified.length; start += size) {
      results.push(await this.receiveInOneTransaction(classified.slice(start, start + size), batch.timeMs));
    }
    return mergedResults(results);
  }

  // One transaction, which Database runs again after a deadlock or serialization failure while the
  // request's deadline runs: for the first; once one has committed, a later one's failure is a 5xx,
  // and Pusher's resend completes the batch.
  private async receiveInOneTransaction(classified: Classified[], timeMs: number): Promise<WebhookResult> {
    const { result, outcomes } = await this.db.transaction((manager) => this.handle(manager, classified, timeMs));
    // Counted once the batch is stored: a retried attempt counts nothing.
    outcomes.forEach((outcome, i) => this.metrics.webhookEvent(kindOf(classified[i]), outcome));
    return result;
  }

  private async handle(manager: EntityManager, classified: Classified[], timeMs: number): Promise<{ result: WebhookResult; outcomes: WebhookEventOutcome[] }> {
    const at = new Date(timeMs);
    const conversations = await this.webhooks.lockConversations(manager, [
      ...new Set(classified.flatMap((e) => (e.conversationId === null ? [] : [e.conversationId]))),
    ]);
    const events = await this.resolve(manager, classified, conversations);
    const fresh = await this.store(manager, events, timeMs);

    const messageEvents = events.filter((e): e is MessageEvent => e.kind === 'message');
    const newMessages = messageEvents.filter((e) => fresh.has(e));
    const created = await this.webhooks.insertMessages(manager, newMessages.map(toNewMessage), at);
    // Messages of converted conversations join their tickets' threads too.
    await this.tickets.copyChatMessages(created.filter((m) => (conversations.get(m.conversationId)?.ticketId ?? null) !== null));
    const stored = await this.storedMessages(manager, messageEvents, created);
    const conflicts = await this.recordConflicts(manager, messageEvents, stored, fresh, timeMs);
    const messages = dedupeBy(
      messageEvents.flatMap((e) => (conflicts.all.has(e) ? [] : (stored.get(eventKey(e)) ?? []))),
      messageKey,
    );
    const createdIds = new Set(created.map((m) => m.id));
    await this.webhooks.touchConversations(
      manager,
      touchedBy(
        messages.filter((m) => createdIds.has(m.id)),
        at,
      ),
    );

    const applied = events.filter((e) => fresh.has(e) && e.kind !== 'message' && e.kind !== 'ignored');
    const occupancy = applied.flatMap((e) => (e.kind === 'occupancy' ? [{ tenantId: e.tenantId, conversationId: e.conversationId, online: e.online }] : []));
    const widgets = await this.webhooks.setWidgetOnline(manager, lastOfEach(occupancy, (c) => `${c.conversationId}`), at);
    const members = applied.flatMap((e) =>
      e.kind === 'member' ? [{ tenantId: e.tenantId, conversationId: e.conversationId, member: memberId(e.member), online: e.online }] : [],
    );
    const joined = await this.webhooks.setMembers(manager, lastOfEach(members, (m) => `${m.conversationId}:${m.member}`), at);

    const socketOf = new Map(newMessages.map((e) => [eventKey(e), e.socketId]));
    await this.live.publish([
      ...created.map((m) => messageCreated(m, socketOf.get(messageKey(m)) ?? null)),
      ...(await this.conversationsUpdated([...widgets, ...joined])),
    ]);

    const ignored = events.filter((e) => e.kind === 'ignored' && fresh.has(e)).length;
    const result = {
      messages,
      meta: {
        received: events.length,
        created: created.length,
        applied: applied.length,
        duplicates: events.length - created.length - applied.length - ignored - conflicts.recorded.size,
        ignored,
        conflicts: conflicts.recorded.size,
      },
    };
    // Each event's outcome, as the meta counts them.
    const createdKeys = new Set(created.map(messageKey));
    const outcomes = events.map((e): WebhookEventOutcome => {
      if (e.kind === 'message' && conflicts.all.has(e)) return conflicts.recorded.has(e) ? 'conflict' : 'duplicate';
      if (!fresh.has(e)) return 'duplicate';
      if (e.kind === 'ignored') return 'ignored';
      if (e.kind === 'message') return createdKeys.has(eventKey(e)) ? 'created' : 'duplicate';
      return 'applied';
    });
    return { result, outcomes };
  }

  // conversation.updated for each conversation whose presence changed, as it now is: its Desk JSON
  // for the agents, the customer's view for its own channel.
  private async conversationsUpdated(changes: readonly StateChange[]): Promise<LiveEvent[]> {
    const idsByTenant = new Map<number, Set<number>>();
    for (const { tenantId, conversationId } of changes) idsByTenant.set(tenantId, (idsByTenant.get(tenantId) ?? new Set()).add(conversationId));
    const events: LiveEvent[] = [];
    for (const [tenantId, ids] of idsByTenant) {
      for (const view of await this.conversations.findViewsByIds(tenantId, [...ids])) {
        const customer = { conversationId: view.conversation.id, data: presentCustomerConversation(view) };
        events.push({ tenantId, name: 'conversation.updated', data: presentConversation(view), customer });
      }
    }
    return events;
  }

  // Stores every event under its dedupe key; the events stored now (not by an earlier delivery,
  // another process, or earlier in this batch) are the fresh ones.
  private async store(manager: EntityManager, events: readonly Resolved[], timeMs: number): Promise<Set<Resolved>> {
    const firstOfKey = new Map<string, Resolved>();
    for (const event of events) if (!firstOfKey.has(event.dedupeKey)) firstOfKey.set(event.dedupeKey, event);
    const stored = await this.webhooks.insertEvents(manager, [...firstOfKey.values()].map(toStored), timeMs);
    return new Set([...firstOfKey.values()].filter((event) => stored.has(event.dedupeKey)));
  }

  // The message stored under each message event's key: created now, or found by its client id.
  private async storedMessages(
    manager: EntityManager,
    events: readonly MessageEvent[],
    created: readonly ConversationMessage[],
  ): Promise<Map<string, ConversationMessage>> {
    const createdKeys = new Set(created.map(messageKey));
    const wanted = dedupeBy(
      events.filter((e) => !createdKeys.has(eventKey(e))),
      eventKey,
    ).map((e) => ({ tenantId: e.tenantId, conversationId: e.conversationId, direction: directionOf(e.author), clientMessageId: e.clientMessageId }));
    const earlier = await this.webhooks.findMessages(manager, wanted);
    return new Map([...earlier, ...created].map((m) => [messageKey(m), m]));
  }

  // Message events whose clientMessageId names another message (another author, text or files) on
  // their side of the conversation store nothing: each is recorded once as a conflict under its own
  // hash (a retry of it is a duplicate), and a key this batch recorded for it is given up.
  private async recordConflicts(
    manager: EntityManager,
    events: readonly MessageEvent[],
    stored: Map<string, ConversationMessage>,
    fresh: Set<Resolved>,
    timeMs: number,
  ): Promise<{ all: Set<MessageEvent>; recorded: Set<MessageEvent> }> {
    const all = events.filter((e) => {
      const message = stored.get(eventKey(e));
      return message !== undefined && !isSameMessage(message, toNewMessage(e));
    });
    if (all.length === 0) return { all: new Set(), recorded: new Set() };
    await this.webhooks.forgetEvents(
      manager,
      all.filter((e) => fresh.has(e)).map((e) => e.dedupeKey),
    );
    const byKey = new Map(dedupeBy(all, (e) => e.conflictKey).map((e) => [e.conflictKey, e]));
    const reason = 'data.clientMessageId names another message of the conversation';
    const kept = await this.webhooks.insertEvents(
      manager,
      [...byKey.values()].map((e) => ({ ...toStored(e), dedupeKey: e.conflictKey, outcome: 'conflict' as const, reason })),
      timeMs,
    );
    return { all: new Set(all), recorded: new Set([...byKey.values()].filter((e) => kept.has(e.conflictKey))) };
  }

  // Turns events of conversations that are absent or deleted, and of authors who are not of the
  // conversation, into ignored ones; fills in each message's author and checks its files.
  private async resolve(manager: EntityManager, classified: Classified[], conversations: Map<number, WebhookConversation>): Promise<Resolved[]> {
    const located = classified.map((event): Resolved => {
      if (event.conversationId === null) return { ...(event as Extract<Classified, { kind: 'ignored' }>), tenantId: null };
      const conversation = conversations.get(event.conversationId);
      if (!conversation) return ignored(event, null, 'no such conversation');
      if (event.kind !== 'ignored' && conversation.state !== 'active') return ignored(event, conversation.tenantId, 'the conversation is deleted');
      return { ...event, tenantId: conversation.tenantId } as Resolved;
    });

    const members = await this.webhooks.findMembers(
      manager,
      located.flatMap((e) => ((e.kind === 'message' || e.kind === 'member') && e.member ? [{ tenantId: e.tenantId, ...e.member }] : [])),
    );
    const files = await this.webhooks.findActiveFiles(
      manager,
      located.flatMap((e) => (e.kind === 'message' ? e.fileIds.map((id) => ({ tenantId: e.tenantId, id })) : [])),
    );

    return located.map((event): Resolved => {
      if (event.kind !== 'message' && event.kind !== 'member') return event;
      const conversation = conversations.get(event.conversationId)!;
      if (event.member && !isMemberOf(event.member, conversation, members)) {
        return ignored(event, conversation.tenantId, `${memberId(event.member)} is not an agent or contact of the conversation`);
      }
      if (event.kind === 'member') return event;
      const author = event.member?.kind === 'user' ? { userId: event.member.id, contactId: null } : { userId: null, contactId: event.member?.id ?? conversation.contactId };
      return withAttachableFiles({ ...event, tenantId: conversation.tenantId, author }, files);
    });
  }
}

// A message keeps only the files its author may attach (FilesService's rule: a customer only those
// uploaded for this conversation); the others are dropped, and why is recorded with the event
// without telling unknown ids from others'. A message left with neither text nor files is ignored.
function withAttachableFiles(event: MessageEvent, files: Map<string, number | null>): Resolved {
  const scope = { conversationId: event.conversationId, byCustomer: event.author.contactId !== null };
  const attachable = (id: number) => {
    const key = `${event.tenantId}:${id}`;
    return files.has(key) && isAttachable(files.get(key)!, scope);
  };
  const dropped = event.fileIds.flatMap((id, index) => (attachable(id) ? [] : [`data.files[${index}]`]));
  if (dropped.length === 0) return event;
  const reason = `${dropped.join(', ')} dropped: not a file this author may attach to the conversation`;
  const fileIds = event.fileIds.filter(attachable);
  if (event.message.trim() === '' && fileIds.length === 0) return ignored(event, event.tenantId, `${reason}, and nothing else was sent`);
  return { ...event, fileIds, filesDropped: reason };
}

// One answer for a batch stored in several transactions: their messages once each, in order.
function mergedResults(results: readonly WebhookResult[]): WebhookResult {
  const meta = { received: 0, created: 0, applied: 0, duplicates: 0, ignored: 0, conflicts: 0 };
  for (const result of results) for (const key of Object.keys(meta) as (keyof typeof meta)[]) meta[key] += result.meta[key];
  return { messages: dedupeBy(results.flatMap((result) => result.messages), messageKey), meta };
}

// The kind an event was classified as, before its conversation was looked up.
function kindOf(event: Classified): WebhookEventKind {
  return event.kind === 'ignored' ? 'other' : event.kind;
}

function isMemberOf(member: { kind: 'user' | 'contact'; id: number }, conversation: WebhookConversation, found: Map<string, number | null>): boolean {
  const key = `${conversation.tenantId}:${memberId(member)}`;
  if (!found.has(key)) return false;
  return member.kind === 'user' || found.get(key) === conversation.customerId;
}

function ignored(event: Classified, tenantId: number | null, reason: string): Resolved {
  return { ...event, kind: 'ignored', reason, tenantId } as Resolved;
}

function toStored(e: Resolved): NewWebhookEvent {
  return {
    dedupeKey: e.dedupeKey,
    name: e.name,
    channel: e.channel,
    event: e.event,
    userId: e.userId,
    socketId: e.socketId,
    data: e.data,
    tenantId: e.tenantId,
    conversationId: e.tenantId === null ? null : e.conversationId,
    outcome: e.kind === 'message' ? 'message' : e.kind === 'ignored' ? 'ignored' : 'applied',
    reason: e.kind === 'ignored' ? e.reason : e.kind === 'message' ? (e.filesDropped ?? null) : null,
  };
}

function toNewMessage(e: MessageEvent): NewWebhookMessage {
  return {
    tenantId: e.tenantId,
    conversationId: e.conversationId,
    userId: e.author.userId,
    contactId: e.author.contactId,
    message: e.message,
    fileIds: e.fileIds,
    clientMessageId: e.clientMessageId,
  };
}

// Per conversation, from the new messages in the batch's order: an agent's message reads the conversation, and the
// customer's messages after the last such one are unread.
function touchedBy(created: readonly ConversationMessage[], at: Date): TouchedConversation[] {
  const byConversation = new Map<number, TouchedConversation>();
  for (const m of created) {
    const touched = byConversation.get(m.conversationId) ?? { tenantId: m.tenantId, conversationId: m.conversationId, at, inbound: 0, reset: false, lastText: m.message };
    if (m.contactId === null) Object.assign(touched, { inbound: 0, reset: true });
    else touched.inbound++;
    // All share the batch's time: the latest is the last in the batch's order.
    touched.lastText = m.message;
    byConversation.set(m.conversationId, touched);
  }
  return [...byConversation.values()];
}

// A message's place under the unique index: tenant, conversation, side and client id.
function messageKey(m: { tenantId: number; conversationId: number; contactId: number | null; clientMessageId: string | null }): string {
  return `${m.tenantId}:${m.conversationId}:${directionOf(m)}:${m.clientMessageId}`;
}

function eventKey(e: MessageEvent): string {
  return messageKey({ ...e, contactId: e.author.contactId });
}

function messageCreated(m: ConversationMessage, socketId: string | null): LiveEvent {
  const customer = { conversationId: m.conversationId, data: presentCustomerMessage(m) };
  return { tenantId: m.tenantId, name: 'message.created', data: presentMessage(m), customer, socketId };
}

function dedupeBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}

// The last event for each key (null: not wanted): within one batch, Pusher's order is the order
// in which things happened.
function lastOfEach<T>(events: readonly T[], key: (event: T) => string | null): T[] {
  const last = new Map<string, T>();
  for (const event of events) {
    const k = key(event);
    if (k !== null) last.set(k, event);
  }
  return [...last.values()];
}
