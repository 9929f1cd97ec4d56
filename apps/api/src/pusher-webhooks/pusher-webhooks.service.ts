import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Database } from '@app/database';
import { ConversationsService } from '../conversations/conversations.service';
import { AvailabilityService } from '../conversations/routing/availability.service';
import { UsersService } from '../auth/users.service';
import { ContactsService } from '../contacts/contacts.service';
import { FilesService, isAttachable } from '../files/files.service';
import { ConversationMessage } from '../conversations/messages/conversation-message.entity';
import { messageKey } from '../conversations/messages/message-rules';
import { LockedConversation, NewMessage } from '../conversations/messages/message.types';
import { Appended, BatchMessage, MessagesService } from '../conversations/messages/messages.service';
import { MetricsService, WebhookEventKind, WebhookEventOutcome } from '../metrics/metrics.service';
import { memberId } from '../live/pusher-channels';
import { classifyBatch, Classified, WebhookBatch } from './pusher-events';
import { NewWebhookEvent, PusherWebhooksRepository } from './pusher-webhooks.repository';

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
type MemberRef = { tenantId: number; kind: 'user' | 'contact'; id: number };
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
// What an event causes is the conversation core's: this verifies, parses, deduplicates and hands
// the batch's messages and presence over to it.
@Injectable()
export class PusherWebhooksService {
  constructor(
    private readonly db: Database,
    private readonly webhooks: PusherWebhooksRepository,
    private readonly conversations: ConversationsService,
    private readonly availability: AvailabilityService,
    private readonly messages: MessagesService,
    private readonly users: UsersService,
    private readonly contacts: ContactsService,
    private readonly files: FilesService,
    private readonly metrics: MetricsService,
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
    const { result, outcomes } = await this.db.transaction(() => this.conversations.batch(() => this.handle(classified, timeMs)));
    // Counted once the batch is stored: a retried attempt counts nothing.
    outcomes.forEach((outcome, i) => this.metrics.webhookEvent(kindOf(classified[i]), outcome));
    return result;
  }

  // Locks: the batch's conversations (in id order), its event keys, then (in the core) messages,
  // tickets of converted conversations, and members; then agents' availability (in id order) and
  // last, once the batch's work is done, the teams that routing takes (held by the core's batch).
  private async handle(classified: Classified[], timeMs: number): Promise<{ result: WebhookResult; outcomes: WebhookEventOutcome[] }> {
    const at = new Date(timeMs);
    const conversations = await this.messages.lockConversations([
      ...new Set(classified.flatMap((e) => (e.conversationId === null ? [] : [e.conversationId]))),
    ]);
    const events = await this.resolve(classified, conversations);
    const fresh = await this.store(events, timeMs);

    const messageEvents = events.filter((e): e is MessageEvent => e.kind === 'message');
    const stored = await this.storeMessages(messageEvents, fresh, conversations, at);
    const conflicts = await this.recordConflicts(messageEvents, stored, fresh, timeMs);
    const messages = dedupeBy(
      messageEvents.flatMap((e) => (conflicts.all.has(e) ? [] : (stored.get(e)?.message ?? []))),
      messageKey,
    );
    const applied = events.filter((e) => fresh.has(e) && e.kind !== 'message' && e.kind !== 'ignored');
    await this.conversations.setPresence(widgetChanges(applied), memberChanges(applied), at);
    await this.availability.followPresence(agentChanges(applied, at));

    const createdKeys = new Set(messageEvents.flatMap((e) => (stored.get(e)?.created ? [eventKey(e)] : [])));
    const ignored = events.filter((e) => e.kind === 'ignored' && fresh.has(e)).length;
    const meta = {
      received: events.length,
      created: createdKeys.size,
      applied: applied.length,
      duplicates: events.length - createdKeys.size - applied.length - ignored - conflicts.recorded.size,
      ignored,
      conflicts: conflicts.recorded.size,
    };
    // Each event's outcome, as the meta counts them.
    const outcomes = events.map((e): WebhookEventOutcome => {
      if (e.kind === 'message' && conflicts.all.has(e)) return conflicts.recorded.has(e) ? 'conflict' : 'duplicate';
      if (!fresh.has(e)) return 'duplicate';
      if (e.kind === 'ignored') return 'ignored';
      if (e.kind === 'message') return createdKeys.has(eventKey(e)) ? 'created' : 'duplicate';
      return 'applied';
    });
    return { result: { messages, meta }, outcomes };
  }

  // The messages of fresh events appended through the core (in one statement, as the batch's
  // time); each message event's answer: the message stored under its key, created now or before.
  private async storeMessages(
    events: readonly MessageEvent[],
    fresh: Set<Resolved>,
    conversations: ReadonlyMap<number, LockedConversation>,
    at: Date,
  ): Promise<Map<MessageEvent, Appended>> {
    const newEvents = events.filter((e) => fresh.has(e));
    const appended = await this.messages.append(newEvents.map(toBatchMessage), conversations, { at, source: 'app', actor: null });
    const repeats = events.filter((e) => !fresh.has(e));
    const found = await this.messages.findStored(repeats.map(toNewMessage));
    return new Map([...newEvents.map((e, i) => [e, appended[i]] as const), ...repeats.map((e, i) => [e, found[i]] as const)]);
  }

  // Stores every event under its dedupe key; the events stored now (not by an earlier delivery,
  // another process, or earlier in this batch) are the fresh ones.
  private async store(events: readonly Resolved[], timeMs: number): Promise<Set<Resolved>> {
    const firstOfKey = new Map<string, Resolved>();
    for (const event of events) if (!firstOfKey.has(event.dedupeKey)) firstOfKey.set(event.dedupeKey, event);
    const stored = await this.webhooks.insertEvents([...firstOfKey.values()].map(toStored), timeMs);
    return new Set([...firstOfKey.values()].filter((event) => stored.has(event.dedupeKey)));
  }

  // Message events whose clientMessageId names another message (another author, text or files) on
  // their side of the conversation store nothing: each is recorded once as a conflict under its own
  // hash (a retry of it is a duplicate), and a key this batch recorded for it is given up.
  private async recordConflicts(
    events: readonly MessageEvent[],
    stored: Map<MessageEvent, Appended>,
    fresh: Set<Resolved>,
    timeMs: number,
  ): Promise<{ all: Set<MessageEvent>; recorded: Set<MessageEvent> }> {
    const all = events.filter((e) => stored.get(e)?.reused === true);
    if (all.length === 0) return { all: new Set(), recorded: new Set() };
    await this.webhooks.forgetEvents(
      all.filter((e) => fresh.has(e)).map((e) => e.dedupeKey),
    );
    const byKey = new Map(dedupeBy(all, (e) => e.conflictKey).map((e) => [e.conflictKey, e]));
    const reason = 'data.clientMessageId names another message of the conversation';
    const kept = await this.webhooks.insertEvents(
      [...byKey.values()].map((e) => ({ ...toStored(e), dedupeKey: e.conflictKey, outcome: 'conflict' as const, reason })),
      timeMs,
    );
    return { all: new Set(all), recorded: new Set([...byKey.values()].filter((e) => kept.has(e.conflictKey))) };
  }

  // Turns events of conversations that are absent or deleted, and of authors who are not of the
  // conversation, into ignored ones; fills in each message's author and checks its files.
  private async resolve(classified: Classified[], conversations: Map<number, LockedConversation>): Promise<Resolved[]> {
    const located = classified.map((event): Resolved => {
      if (event.kind === 'availability') return { ...event, tenantId: event.presenceTenantId };
      if (event.conversationId === null) return { ...(event as Extract<Classified, { kind: 'ignored' }>), tenantId: null };
      const conversation = conversations.get(event.conversationId);
      if (!conversation) return ignored(event, null, 'no such conversation');
      if (event.kind !== 'ignored' && conversation.state !== 'active') return ignored(event, conversation.tenantId, 'the conversation is deleted');
      return { ...event, tenantId: conversation.tenantId } as Resolved;
    });

    const members = await this.findMembers(located.flatMap(memberRefOf));
    const files = await this.findActiveFiles(
      located.flatMap((e) => (e.kind === 'message' ? e.fileIds.map((id) => ({ tenantId: e.tenantId, id })) : [])),
    );

    return located.map((event): Resolved => {
      if (event.kind === 'availability') return isAgentOf(event, members) ? event : ignored(event, null, `user-${event.agentId} is not an active agent of the tenant`);
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

  // Which of the named agents are active in their tenant, and which contacts are active, with their
  // customer; keys like `7:user-12` (tenant 7). One statement for each kind named, none for the other.
  private async findMembers(refs: readonly MemberRef[]): Promise<Map<string, number | null>> {
    const ofKind = (kind: MemberRef['kind']) => refs.flatMap((r) => (r.kind === kind ? [{ tenantId: r.tenantId, id: r.id }] : []));
    const [userRefs, contactRefs] = [ofKind('user'), ofKind('contact')];
    const users = userRefs.length === 0 ? [] : await this.users.findActiveRefs(userRefs);
    const contacts = contactRefs.length === 0 ? [] : await this.contacts.findActiveContactRefs(contactRefs);
    return new Map([
      ...users.map((u) => [`${u.tenantId}:${memberId({ kind: 'user', id: u.id })}`, null] as const),
      ...contacts.map((c) => [`${c.tenantId}:${memberId({ kind: 'contact', id: c.id })}`, c.customerId] as const),
    ]);
  }

  // The active files among those named, as `tenant:id`, each with the conversation it was
  // uploaded for (null: an agent's upload).
  private async findActiveFiles(refs: readonly { tenantId: number; id: number }[]): Promise<Map<string, number | null>> {
    if (refs.length === 0) return new Map();
    const found = await this.files.findActiveRefs(refs);
    return new Map(found.map((f) => [`${f.tenantId}:${f.id}`, f.conversationId]));
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

// The kind an event was classified as, before its conversation was looked up; an agent on the
// tenant's presence channel is a member event.
function kindOf(event: Classified): WebhookEventKind {
  if (event.kind === 'availability') return 'member';
  return event.kind === 'ignored' ? 'other' : event.kind;
}

// The agent or contact an event names, to be found active (of its tenant) in one lookup.
function memberRefOf(e: Resolved): MemberRef[] {
  if (e.kind === 'availability') return [{ tenantId: e.tenantId, kind: 'user', id: e.agentId }];
  return (e.kind === 'message' || e.kind === 'member') && e.member ? [{ tenantId: e.tenantId!, ...e.member }] : [];
}

function isAgentOf(event: { tenantId: number; agentId: number }, found: Map<string, number | null>): boolean {
  return found.has(`${event.tenantId}:${memberId({ kind: 'user', id: event.agentId })}`);
}

function isMemberOf(member: { kind: 'user' | 'contact'; id: number }, conversation: LockedConversation, found: Map<string, number | null>): boolean {
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

// A widget's message: no agent behind it, and always a client id (the widget's, or one derived).
function toNewMessage(e: MessageEvent): NewMessage {
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

function toBatchMessage(e: MessageEvent): BatchMessage {
  return { ...toNewMessage(e), socketId: e.socketId };
}

// Pusher's occupancy and presence events, the last of each conversation (and member) in the batch.
function widgetChanges(applied: readonly Resolved[]) {
  const occupancy = applied.flatMap((e) => (e.kind === 'occupancy' ? [{ tenantId: e.tenantId, conversationId: e.conversationId, online: e.online }] : []));
  return lastOfEach(occupancy, (c) => `${c.conversationId}`);
}

function memberChanges(applied: readonly Resolved[]) {
  const members = applied.flatMap((e) =>
    e.kind === 'member' ? [{ tenantId: e.tenantId, conversationId: e.conversationId, member: memberId(e.member), online: e.online }] : [],
  );
  return lastOfEach(members, (m) => `${m.conversationId}:${m.member}`);
}

// Agents joining or leaving their tenant's presence channel, the last of each agent in the batch.
function agentChanges(applied: readonly Resolved[], at: Date) {
  const agents = applied.flatMap((e) => (e.kind === 'availability' ? [{ tenantId: e.tenantId, id: e.agentId, online: e.online, at }] : []));
  return lastOfEach(agents, (a) => `${a.tenantId}:${a.id}`);
}

function eventKey(e: MessageEvent): string {
  return messageKey({ ...e, contactId: e.author.contactId });
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
