import { createHash } from 'node:crypto';
import { bodyTooDeep, FieldErrorsBuilder, hasUnstorableText, isPlainObject, MAX_BODY_DEPTH, Messages, nestsDeeperThan, ValidationError } from '@app/common';
import secureJson from 'secure-json-parse';
import { Member, parseConversationChannel, parseMember, parseTenantPresenceChannel } from '../live/pusher-channels';

// Pusher's webhook body, `{"time_ms": …, "events": [{"name": …, …}]}`, read and each event
// classified by what it asks of us. Pure: the service resolves conversations and writes.

export interface WebhookLimits {
  now: number;
  maxAgeMs: number;
}

// Pusher's clock and ours may differ a little; a batch from further ahead is not Pusher's.
const MAX_FUTURE_MS = 60_000;

export interface WebhookBatch {
  timeMs: number;
  events: Record<string, unknown>[];
}

// The body once its signature has been checked: JSON, the envelope's shape and a time inside the
// retry window. Anything else is a 400; single events are never refused, and neither is a batch
// for its number of events (Pusher does not retry a 4xx: they would be lost); the body limit bounds it.
export function readWebhookBatch(raw: Buffer | undefined, limits: WebhookLimits): WebhookBatch {
  let body: unknown;
  try {
    body = raw && raw.length > 0 ? secureJson.parse(raw, undefined, { protoAction: 'error', constructorAction: 'error' }) : undefined;
  } catch {
    throw ValidationError.of('_', `the body ${Messages.json}`, 'MALFORMED_JSON');
  }
  // Pusher's events are flat; a batch nested this deep is not one, and would exhaust JSON.stringify.
  if (nestsDeeperThan(body, MAX_BODY_DEPTH)) throw bodyTooDeep();
  if (!isPlainObject(body)) throw ValidationError.of('_', 'the body must be {"time_ms": <number>, "events": [...]}', 'MALFORMED_WEBHOOK');

  const errors = new FieldErrorsBuilder();
  const { time_ms: timeMs, events } = body;
  if (timeMs === undefined) errors.add('time_ms', Messages.required);
  else if (typeof timeMs !== 'number' || !Number.isSafeInteger(timeMs) || timeMs < 0) errors.add('time_ms', 'must be a time in milliseconds since 1970');
  else if (timeMs < limits.now - limits.maxAgeMs) {
    errors.add('time_ms', `is older than the retry window of ${Math.round(limits.maxAgeMs / 1000)} seconds`);
  } else if (timeMs > limits.now + MAX_FUTURE_MS) errors.add('time_ms', 'is more than a minute in the future');

  if (events === undefined) errors.add('events', Messages.required);
  else if (!Array.isArray(events)) errors.add('events', Messages.array);
  else events.forEach((event, index) => isPlainObject(event) || errors.add(`events[${index}]`, Messages.object));
  errors.throwIfAny();
  return { timeMs: timeMs as number, events: events as Record<string, unknown>[] };
}

// What an event is stored as, whatever it turns out to mean.
export interface StoredEvent {
  dedupeKey: string;
  name: string;
  channel: string | null;
  event: string | null;
  userId: string | null;
  socketId: string | null;
  data: string | null;
}

export type Classified = StoredEvent &
  (
    | {
        kind: 'message';
        conversationId: number;
        member: Member | null;
        message: string;
        clientMessageId: string;
        fileIds: number[];
        // The key it is recorded under when its clientMessageId names another message: the event's
        // own hash, so a retry of it is still a duplicate.
        conflictKey: string;
      }
    | { kind: 'client'; conversationId: number }
    | { kind: 'member'; conversationId: number; member: Member; online: boolean }
    | { kind: 'occupancy'; conversationId: number; online: boolean }
    // An agent joining or leaving their tenant's presence channel: their availability follows.
    | { kind: 'availability'; conversationId: null; presenceTenantId: number; agentId: number; online: boolean }
    | { kind: 'ignored'; conversationId: number | null; reason: string }
  );

export const MESSAGE_MAX_LENGTH = 65_536;
const CLIENT_MESSAGE_ID_MAX_LENGTH = 128;
const MAX_FILES = 20;

// Classifies every event of a batch. Identical events without a clientMessageId are told apart by
// their occurrence among them (the widget sent the same text twice): the same batch sent again, in
// any order, numbers them the same.
export function classifyBatch(batch: WebhookBatch): Classified[] {
  const seen = new Map<string, number>();
  const occurrenceOf = (hash: string) => {
    const occurrence = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, occurrence);
    return occurrence;
  };
  return batch.events.map((event) => classifyEvent(event, batch.timeMs, occurrenceOf));
}

// Classifies one event of a batch sent at `timeMs`; `occurrenceOf` counts the identical events
// (by their hash) of the batch so far.
function classifyEvent(raw: Record<string, unknown>, timeMs: number, occurrenceOf: (hash: string) => number): Classified {
  const stored = storedEventOf(raw);
  const event: EventContext = { stored, hashed: { ...stored, dedupeKey: eventHash(stored, timeMs) }, channel: parseConversationChannel(stored.channel) };
  switch (stored.name) {
    case 'client_event':
      return classifyClientEvent(event, occurrenceOf);
    case 'member_added':
    case 'member_removed':
      return classifyMember(event);
    case 'channel_occupied':
    case 'channel_vacated':
      if (event.channel?.kind !== 'private') return ignore(event, 'not a conversation private channel');
      return { ...event.hashed, kind: 'occupancy', conversationId: event.channel.conversationId, online: stored.name === 'channel_occupied' };
    default:
      return ignore(event, stored.name === '' ? 'an event without a name' : `${stored.name} is not an event this service acts on`);
  }
}

// An event as read, keyed by its hash, and the conversation channel it names (null: none).
interface EventContext {
  stored: StoredEvent;
  hashed: StoredEvent;
  channel: ReturnType<typeof parseConversationChannel>;
}

function storedEventOf(raw: Record<string, unknown>): StoredEvent {
  return {
    dedupeKey: '',
    name: text(raw.name) ?? '',
    channel: text(raw.channel),
    event: text(raw.event),
    userId: text(raw.user_id),
    socketId: text(raw.socket_id),
    data: typeof raw.data === 'string' ? raw.data : raw.data === undefined ? null : JSON.stringify(raw.data),
  };
}

function ignore(event: EventContext, reason: string): Classified {
  return { ...event.hashed, kind: 'ignored', conversationId: event.channel?.conversationId ?? null, reason };
}

function classifyMember(event: EventContext): Classified {
  const { channel, stored } = event;
  const presenceTenantId = parseTenantPresenceChannel(stored.channel);
  if (presenceTenantId !== null) return classifyAgentPresence(event, presenceTenantId);
  if (channel?.kind !== 'presence') return ignore(event, 'not a conversation presence channel');
  const member = parseMember(stored.userId);
  if (!member) return ignore(event, 'user_id names no agent (user-{id}) or contact (contact-{id})');
  return { ...event.hashed, kind: 'member', conversationId: channel.conversationId, member, online: stored.name === 'member_added' };
}

function classifyAgentPresence(event: EventContext, presenceTenantId: number): Classified {
  const member = parseMember(event.stored.userId);
  if (member?.kind !== 'user') return ignore(event, 'user_id names no agent (user-{id})');
  return { ...event.hashed, kind: 'availability', conversationId: null, presenceTenantId, agentId: member.id, online: event.stored.name === 'member_added' };
}

function classifyClientEvent(event: EventContext, occurrenceOf: (hash: string) => number): Classified {
  const { channel, stored, hashed } = event;
  if (!channel) return ignore(event, 'not a conversation channel');
  if (stored.event !== 'client-message') return { ...hashed, kind: 'client', conversationId: channel.conversationId };
  const member = channel.kind === 'presence' ? parseMember(stored.userId) : null;
  if (channel.kind === 'presence' && !member) return ignore(event, 'user_id names no agent (user-{id}) or contact (contact-{id})');
  const content = readMessageData(stored.data);
  if (typeof content === 'string') return ignore(event, content);
  // The widget's own id is the key a message posted over REST uses too, on the author's side of
  // the conversation (an agent on the presence channel, else the customer); without one, the
  // event's hash (and its occurrence after the first) stands in, so a retry still finds it.
  const clientMessageId = content.clientMessageId ?? standInClientId(hashed.dedupeKey, occurrenceOf);
  const side = member?.kind === 'user' ? 'outbound' : 'inbound';
  return {
    ...stored,
    dedupeKey: `message:${channel.conversationId}:${side}:${clientMessageId}`,
    conflictKey: `conflict:${hashed.dedupeKey}`,
    kind: 'message',
    conversationId: channel.conversationId,
    member,
    message: content.message,
    clientMessageId,
    fileIds: content.fileIds,
  };
}

type MessageData = { message: string; clientMessageId?: string; fileIds: number[] };

// `data` of a client-message: a JSON string {"message", "clientMessageId", "files"}. A reason
// when it is not one.
function readMessageData(data: string | null): MessageData | string {
  let parsed: unknown;
  try {
    parsed = data === null ? undefined : secureJson.parse(data, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch {
    return 'data is not JSON';
  }
  if (!isPlainObject(parsed)) return 'data is not a JSON object';
  const { message = '', clientMessageId, files = [] } = parsed;
  const problem = messageProblem(message) ?? clientMessageIdProblem(clientMessageId) ?? filesProblem(files);
  if (problem !== null) return problem;
  if ((message as string).trim() === '' && (files as number[]).length === 0) return 'the message is empty';
  return { message: message as string, clientMessageId: clientMessageId as string | undefined, fileIds: [...new Set(files as number[])] };
}

// The messages are written through jsonb, which refuses NUL and half of a surrogate pair (JSON
// may escape one, \ud800): such an event is ignored rather than failing its batch.
function messageProblem(message: unknown): string | null {
  if (typeof message !== 'string') return 'data.message is not a string';
  if (message.length > MESSAGE_MAX_LENGTH) return `data.message is longer than ${MESSAGE_MAX_LENGTH} characters`;
  if (message.includes('\0')) return 'data.message holds a NUL character';
  if (hasUnstorableText(message)) return 'data.message holds half of a UTF-16 surrogate pair';
  return null;
}

function clientMessageIdProblem(clientMessageId: unknown): string | null {
  if (clientMessageId === undefined) return null;
  const usable = typeof clientMessageId === 'string' && clientMessageId.length >= 1 && clientMessageId.length <= CLIENT_MESSAGE_ID_MAX_LENGTH && !hasUnstorableText(clientMessageId);
  return usable ? null : `data.clientMessageId is not a string of 1 to ${CLIENT_MESSAGE_ID_MAX_LENGTH} characters`;
}

function filesProblem(files: unknown): string | null {
  if (Array.isArray(files) && files.length <= MAX_FILES && files.every((id) => Number.isSafeInteger(id) && id > 0)) return null;
  return `data.files is not a list of at most ${MAX_FILES} file ids`;
}

function standInClientId(hash: string, occurrenceOf: (hash: string) => number): string {
  const occurrence = occurrenceOf(hash);
  return occurrence === 1 ? `pusher:${hash}` : `pusher:${hash}:${occurrence}`;
}

// The dedupe key of an event without a client id: its fields and the batch's time, so the same
// batch sent again hashes the same, and the same event in a later batch does not.
function eventHash(e: StoredEvent, timeMs: number): string {
  const fields = [e.name, e.channel, e.userId, e.socketId, e.event, e.data, String(timeMs)];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
