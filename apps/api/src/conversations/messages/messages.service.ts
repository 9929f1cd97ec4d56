import { Injectable } from '@nestjs/common';
import { ConflictError, FieldErrorsBuilder, ListQuery, ListSpec, Messages, NotFoundError, PageMeta, restored, softDeleted } from '@app/common';
import { Database } from '@app/database';
import { Principal } from '../../auth/principal';
import { UsersService } from '../../auth/users.service';
import { ContactsService } from '../../contacts/contacts.service';
import { presentCustomerMessage } from '../../customer-view/customer-view.presenter';
import { AttachmentScope, FilesService } from '../../files/files.service';
import { LiveEvent, LiveEventName, LiveEvents, liveEventBy } from '../../live/live-events';
import { ChatRelation } from '../../tickets/chat-message-row';
import { ChatActor, TicketsService } from '../../tickets/tickets.service';
import { ConversationMessage, MessageType } from './conversation-message.entity';
import { presentMessage } from './message.presenter';
import { presentMention } from './mention.presenter';
import type { MentionView } from './mention.view';
import { directionOf, isSameMessage, messageKey, touchedBy } from './message-rules';
import { MessageErrorCode } from './messages.errors';
import { AppendSource, LockedConversation, NewMessage } from './message.types';
import { MessagesRepository } from './messages.repository';
import { HISTORY_LIST } from './message-list.definition';
import { ConversationWorkflow } from '../workflow/conversation-workflow';
import type { ReplyStatus } from '../workflow/workflow-rules';

export interface MessageInput {
  conversationId?: number;
  conversation?: { id: number };
  message?: string;
  userId?: number;
  contactId?: number;
  files?: number[];
  clientMessageId?: string;
  // HighLevel's channel of the message; live chat unless said.
  messageType?: MessageType;
  // A private note (by an agent), and the agents it mentions.
  private?: boolean;
  mentions?: { id: number }[];
  // An agent's reply may set its conversation's status in the same request.
  conversationStatus?: ReplyStatus;
}

export interface MessageUpdate {
  message?: string;
  files?: number[];
  state?: 'active' | 'deleted';
  // Read-only: accepted when unchanged.
  conversationId?: unknown;
  conversation?: unknown;
  userId?: unknown;
  contactId?: unknown;
  clientMessageId?: unknown;
  private?: unknown;
  mentions?: unknown;
}

export interface PostedMessage {
  message: ConversationMessage;
  // False when the clientMessageId was already stored: `message` is that first one.
  created: boolean;
}

// A message of a batch, and the Pusher connection it came from (which gets no echo of it).
export interface BatchMessage extends NewMessage {
  socketId?: string | null;
}

// What became of a message of a batch: the message stored under its key (created now, or before),
// or none; `reused` when that stored message is another (author, text or files): its
// clientMessageId names another message on its side of the conversation.
export interface Appended {
  message: ConversationMessage | null;
  created: boolean;
  reused: boolean;
}

// Who appends a batch: its time and origin, and the agent behind it (whose Pusher connection
// gets no echo), or none for the widget's webhook.
export interface AppendBy extends Omit<AppendSource, 'actorId'> {
  actor: ChatActor | null;
}

// The conversations of a batch, locked by the caller, and the ticket each became, if any.
export type LockedConversations = ReadonlyMap<number, Pick<LockedConversation, 'ticketId'>>;

// What a post is, once checked: its conversation (locked, active), author, files and privacy.
interface CheckedPost {
  conversation: PostConversation;
  author: Author;
  fileIds: number[];
  note: Pick<NewMessage, 'isPrivate' | 'mentionIds'>;
}

type Author = { userId: number | null; contactId: number | null };
type PostConversation = Omit<LockedConversation, 'contactId'>;

// The conversation core's messages: every door (Desk REST, HighLevel, the widget's webhook) adds
// messages through `append`, where each rule of adding one lives once.
@Injectable()
export class MessagesService {
  constructor(
    private readonly db: Database,
    private readonly messages: MessagesRepository,
    private readonly contacts: ContactsService,
    private readonly users: UsersService,
    private readonly files: FilesService,
    private readonly live: LiveEvents,
    private readonly tickets: TicketsService,
    private readonly workflow: ConversationWorkflow,
  ) {}

  // Adds a message to an active conversation of the tenant: a batch of one. A clientMessageId
  // already stored on the same side of that conversation returns the stored message instead, and
  // tells nobody; used there for another message (another author, text or files), it is a
  // conflict and nothing is written.
  async post(principal: Principal, input: MessageInput): Promise<PostedMessage> {
    const { tenantId } = principal;
    // One change: the reopening or the reply's status is its conversation's one conversation.updated.
    return this.workflow.change(async () => {
      const { conversation, author, fileIds, note } = await this.checkPost(principal, input);
      const candidate = {
        tenantId,
        conversationId: conversation.id,
        ...author,
        message: input.message ?? '',
        fileIds,
        clientMessageId: input.clientMessageId ?? null,
        messageType: input.messageType,
        ...note,
      };
      const by = { at: null, source: 'api' as const, actor: principal };
      const [result] = await this.append([candidate], new Map([[conversation.id, conversation]]), by);
      if (result.reused) throw clientMessageIdReused();
      if (result.created && input.conversationStatus !== undefined) await this.workflow.replied(principal, conversation.id, input.conversationStatus);
      return { message: result.message!, created: result.created };
    });
  }

  // A post's conversation (locked, active), author and files, or every field error at once.
  private async checkPost(principal: Principal, input: MessageInput): Promise<CheckedPost> {
    const { tenantId } = principal;
    const errors = new FieldErrorsBuilder();
    const conversationId = this.conversationIdOf(input, errors);
    const conversation = conversationId === undefined ? null : await this.messages.lockConversation(tenantId, conversationId);
    if (conversationId !== undefined && !conversation) errors.add(input.conversationId !== undefined ? 'conversationId' : 'conversation.id', Messages.notFound);
    if (conversation?.state === 'deleted') errors.add('conversationId', 'must be an active conversation');

    const author = await this.author(principal, input, conversation?.customerId, errors);
    const note = await this.noteOf(tenantId, input, author, errors);
    checkReplyStatus(input, author, note, errors);
    const fileIds = await this.files.checkAttachable(tenantId, input.files ?? [], attachedBy(conversationId, author), errors);
    if ((input.message ?? '').trim() === '' && fileIds.length === 0) errors.add('message', Messages.required);
    errors.throwIfAny();
    return { conversation: conversation!, author, fileIds, note };
  }

  // Appends messages to conversations the caller has locked (in id order, first), in one
  // statement whatever their number: each is created, or found under its clientMessageId. The
  // new ones move their conversations (last message, unread count, updatedAt), join the ticket of
  // a converted conversation, and are announced: the agents' JSON on the tenant's channel, the
  // customer's view on the conversation's. One answer per message, in order.
  async append(batch: readonly BatchMessage[], conversations: LockedConversations, by: AppendBy): Promise<Appended[]> {
    const from: AppendSource = { at: by.at, source: by.source, actorId: by.actor?.userId ?? null };
    const created = await this.messages.insertMessages(batch, from);
    const mentions = await this.messages.insertMentions(created);
    const answers = await this.answers(batch, created);
    // A converted conversation's message joins its ticket's thread too: nothing is left behind.
    const converted = created.filter((m) => (conversations.get(m.conversationId)?.ticketId ?? null) !== null);
    if (converted.length > 0) await this.tickets.copyChatMessages(await this.postedRelation(converted), by.actor);
    const reopened = await this.messages.touchConversations(touchedBy(created), from);
    const socketOf = new Map(batch.map((m) => [messageKey(m), m.socketId ?? by.actor?.socketId ?? null]));
    await this.live.publish([
      ...created.map((m) => messageCreated(m, socketOf.get(messageKey(m)) ?? null, from.actorId)),
      ...mentions.map((mention) => mentionCreated(mention, from.actorId)),
    ]);
    // A customer's message reopens a pending, snoozed or resolved conversation.
    await this.workflow.reopened(reopened);
    return answers;
  }

  // The messages as a relation for their tickets' threads, each with the customer of its author
  // contact (null: an agent's), read now: a message's contact need not be its conversation's (any
  // contact of that customer may write). One statement for all, none when no contact wrote any.
  private async postedRelation(messages: readonly ConversationMessage[]): Promise<ChatRelation> {
    const refs = messages.flatMap((m) => (m.contactId === null ? [] : [{ tenantId: m.tenantId, id: m.contactId }]));
    const found = refs.length === 0 ? [] : await this.contacts.findContactRefs(refs);
    const customerOf = new Map(found.map((c) => [`${c.tenantId}:${c.id}`, c.customerId]));
    return this.messages.postedRelation(messages.map((m) => ({ tenantId: m.tenantId, id: m.id, contactCustomerId: customerOf.get(`${m.tenantId}:${m.contactId}`) ?? null })));
  }

  // Every conversation a batch names, by id alone (ids are unique across tenants), locked in id
  // order before anything of the batch is written (docs/architecture.md, "Who locks what").
  async lockConversations(ids: readonly number[]): Promise<Map<number, LockedConversation>> {
    return this.messages.lockConversations(ids);
  }

  // The messages stored under these messages' keys, created before (a repeat, or another door).
  async findStored(batch: readonly NewMessage[]): Promise<Appended[]> {
    return this.answers(batch, []);
  }

  // Each message's answer: the first of a key created now is `created`; any other finds what its
  // key holds, which is the same message or another (`reused`).
  private async answers(batch: readonly NewMessage[], created: readonly ConversationMessage[]): Promise<Appended[]> {
    const createdByKey = new Map(created.filter((m) => m.clientMessageId !== null).map((m) => [messageKey(m), m]));
    // Without a clientMessageId nothing dedupes: each such message was created, in order.
    const unkeyed = created.filter((m) => m.clientMessageId === null);
    const wanted = batch.filter((m) => m.clientMessageId !== null && !createdByKey.has(messageKey(m)));
    const earlier = await this.messages.findByKeys(
      wanted.map((m) => ({ tenantId: m.tenantId, conversationId: m.conversationId, direction: directionOf(m), clientMessageId: m.clientMessageId! })),
    );
    const storedByKey = new Map(earlier.map((m) => [messageKey(m), m]));
    const firstOfKey = new Set<string>();
    return batch.map((m): Appended => {
      if (m.clientMessageId === null) return { message: unkeyed.shift() ?? null, created: true, reused: false };
      const key = messageKey(m);
      const isNew = createdByKey.has(key) && !firstOfKey.has(key);
      firstOfKey.add(key);
      const message = createdByKey.get(key) ?? storedByKey.get(key) ?? null;
      return { message, created: isNew, reused: message !== null && !isSameMessage(message, m) };
    });
  }

  async getById(principal: Principal, id: number): Promise<ConversationMessage> {
    const message = await this.messages.findById(principal.tenantId, id);
    if (!message) throw notFound(id);
    return message;
  }

  async findByIds(tenantId: number, ids: readonly number[]): Promise<ConversationMessage[]> {
    return this.messages.findByIds(tenantId, ids);
  }

  // The conversation's active messages as a relation: what its ticket's thread starts with.
  transcript(tenantId: number, conversationId: number): ChatRelation {
    return this.messages.transcriptRelation(tenantId, conversationId);
  }

  async firstMessageText(tenantId: number, conversationId: number): Promise<string | null> {
    return this.messages.firstMessageText(tenantId, conversationId);
  }

  // Whether the file is attached to an active public message of the conversation (its widget may
  // then download it): a file on a note alone stays the agents'.
  async isPublicFileAttached(tenantId: number, conversationId: number, fileId: number): Promise<boolean> {
    return this.messages.isPublicFileAttached(tenantId, conversationId, fileId);
  }

  async list(
    tenantId: number,
    spec: ListSpec,
    query: ListQuery,
    conversationId?: number,
  ): Promise<{ messages: ConversationMessage[]; meta: PageMeta }> {
    const { rows, meta } = await this.messages.list(tenantId, spec, query, conversationId);
    return { messages: rows, meta };
  }

  // The customer's history of their conversation: its messages without the notes.
  async history(tenantId: number, conversationId: number, query: ListQuery): Promise<{ messages: ConversationMessage[]; meta: PageMeta }> {
    const { rows, meta } = await this.messages.list(tenantId, HISTORY_LIST, query, conversationId, true);
    return { messages: rows, meta };
  }

  // The caller's mentions in notes, in the list language.
  async mentionsOf(principal: Principal, query: ListQuery): Promise<{ rows: MentionView[]; meta: PageMeta }> {
    const { rows, meta } = await this.messages.listMentions(principal.tenantId, principal.userId, query);
    return {
      rows: rows.map((mention) => ({ ...mention, mentionedBy: mention.message.userId! })),
      meta,
    };
  }

  // Edits `message` and `files`; `updatedAt` moves only when something changed. A delete leaves
  // updatedAt as it was; "active" restores.
  async update(principal: Principal, id: number, input: MessageUpdate): Promise<ConversationMessage> {
    const { tenantId } = principal;
    return this.db.transaction(async () => {
      if ((await this.messages.lockConversationOfMessage(tenantId, id)) === null) throw notFound(id);
      const current = await this.messages.findByIdForUpdate(tenantId, id);
      if (!current) throw notFound(id);
      const fileIds = await this.checkUpdate(tenantId, current, input);
      const changes = changesOf(current, input, fileIds, principal.userId);
      if (Object.keys(changes).length === 0) return this.getById(principal, id);
      await this.messages.update(tenantId, id, changes);
      await this.messages.refreshLastMessageText(tenantId, current.conversationId);
      return this.announce(principal, 'message.updated', id);
    });
  }

  // Soft delete; deleting a deleted message changes nothing.
  async remove(principal: Principal, id: number): Promise<void> {
    const { tenantId, userId } = principal;
    await this.db.transaction(async () => {
      if ((await this.messages.lockConversationOfMessage(tenantId, id)) === null) throw notFound(id);
      if (await this.messages.softDelete(tenantId, id, userId)) {
        const message = await this.announce(principal, 'message.updated', id);
        await this.messages.refreshLastMessageText(tenantId, message.conversationId);
      }
    });
  }

  // A PATCH may not change what a message is of or by; the files it names must be attachable,
  // and it must keep text or files. Answers the new files, when given.
  private async checkUpdate(tenantId: number, current: ConversationMessage, input: MessageUpdate): Promise<number[] | undefined> {
    const errors = new FieldErrorsBuilder();
    const readOnly: [keyof MessageUpdate, unknown][] = [
      ['conversationId', current.conversationId],
      ['userId', current.userId],
      ['contactId', current.contactId],
      ['clientMessageId', current.clientMessageId],
      ['private', current.isPrivate],
    ];
    for (const [field, value] of readOnly) {
      if (input[field] !== undefined && input[field] !== value) errors.add(field, 'is read-only');
    }
    const conversationRef = input.conversation as { id?: unknown } | undefined;
    if (conversationRef !== undefined && conversationRef?.id !== current.conversationId) errors.add('conversation', 'is read-only');
    if (input.mentions !== undefined && !sameMentions(input.mentions, current.mentionIds)) errors.add('mentions', 'is read-only');
    // null, as on a post, is no value: the text or files stay as they are (changesOf reads it so too).
    const fileIds = input.files === undefined || input.files === null ? undefined : await this.files.checkAttachable(tenantId, input.files, attachedBy(current.conversationId, current), errors);
    const message = input.message ?? current.message;
    if (message.trim() === '' && (fileIds ?? current.fileIds).length === 0) errors.add('message', Messages.required);
    errors.throwIfAny();
    return fileIds;
  }

  // The message as it now is, read in the transaction of the change, and the live event of the
  // change written in it too: the agents' JSON on its tenant's channel, the customer's view (a
  // deleted message's tombstone) on its conversation's.
  private async announce(principal: Principal, name: LiveEventName, id: number): Promise<ConversationMessage> {
    const message = await this.getById(principal, id);
    // A note is the agents' alone: no trigger on the conversation's channel.
    const customer = message.isPrivate ? null : { conversationId: message.conversationId, data: presentCustomerMessage(message) };
    await this.live.publish([liveEventBy(principal, name, presentMessage(message), customer)]);
    return message;
  }

  private conversationIdOf(input: MessageInput, errors: FieldErrorsBuilder): number | undefined {
    const byRef = input.conversation?.id;
    if (input.conversationId !== undefined && byRef !== undefined && byRef !== input.conversationId) {
      errors.add('conversation.id', 'must match conversationId');
      return undefined;
    }
    const id = input.conversationId ?? byRef;
    if (id === undefined) errors.add('conversationId', Messages.required);
    return id;
  }

  // Exactly one author. An agent must be active in the tenant; a contact must be an active contact
  // of the conversation's customer. Neither given: the caller.
  private async author(principal: Principal, input: MessageInput, customerId: number | undefined, errors: FieldErrorsBuilder): Promise<Author> {
    if (input.userId !== undefined && input.contactId !== undefined) {
      errors.add('contactId', 'must not be set with userId: a message has one author');
      return { userId: null, contactId: null };
    }
    if (input.contactId !== undefined) {
      const contact = await this.contacts.findActiveContact(principal.tenantId, input.contactId);
      if (!contact) errors.add('contactId', Messages.notFound);
      else if (customerId !== undefined && contact.customerId !== customerId) {
        errors.add('contactId', "must be a contact of the conversation's customer");
      }
      return { userId: null, contactId: input.contactId };
    }
    const userId = input.userId ?? principal.userId;
    if (input.userId !== undefined) {
      const [user] = await this.users.findActiveByIds(principal.tenantId, [userId]);
      if (!user) errors.add('userId', Messages.notFound);
    }
    return { userId, contactId: null };
  }

  // A note is an agent's; only a note mentions, and only active agents of the tenant (each once).
  private async noteOf(tenantId: number, input: MessageInput, author: Author, errors: FieldErrorsBuilder): Promise<Pick<NewMessage, 'isPrivate' | 'mentionIds'>> {
    const isPrivate = input.private === true;
    if (isPrivate && author.contactId !== null) errors.add('private', "must be false for a contact's message: only an agent writes a note");
    const mentions = input.mentions ?? [];
    if (mentions.length > 0 && !isPrivate) errors.add('mentions', 'must be empty unless the message is private (a note)');
    if (mentions.length === 0 || !isPrivate) return { isPrivate, mentionIds: [] };
    const mentionIds = [...new Set(mentions.map((m) => m.id))];
    const found = new Set((await this.users.findActiveByIds(tenantId, mentionIds)).map((user) => user.id));
    mentions.forEach((m, index) => {
      if (!found.has(m.id)) errors.add(`mentions[${index}].id`, Messages.notFound);
    });
    return { isPrivate, mentionIds };
  }
}

// Only an agent's reply (not a note: a note answers nobody) may set its conversation's status.
function checkReplyStatus(input: MessageInput, author: Author, note: Pick<NewMessage, 'isPrivate'>, errors: FieldErrorsBuilder): void {
  if (input.conversationStatus === undefined) return;
  if (author.contactId !== null) errors.add('conversationStatus', 'must be set only on an agent’s message');
  else if (note.isPrivate) errors.add('conversationStatus', 'must not be set on a private note: a note answers nobody');
}

// What a PATCH changes: text and files when they differ, a restore, and then updatedAt; a delete
// on its own (it leaves updatedAt as it was).
function changesOf(current: ConversationMessage, input: MessageUpdate, fileIds: number[] | undefined, userId: number): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  if (input.message !== undefined && input.message !== null && input.message !== current.message) changes.message = input.message;
  if (fileIds !== undefined && !sameIds(fileIds, current.fileIds)) changes.fileIds = fileIds;
  if (input.state === 'active' && current.state === 'deleted') Object.assign(changes, restored());
  if (Object.keys(changes).length > 0) Object.assign(changes, { updatedAt: () => 'now()', updatedBy: userId });
  if (input.state === 'deleted' && current.state === 'active') Object.assign(changes, softDeleted(userId));
  return changes;
}

// A customer's message (a contact its author) may carry only files uploaded for its conversation.
// Without a conversation (already an error) every file is refused alike.
function attachedBy(conversationId: number | undefined, author: { contactId: number | null }): AttachmentScope {
  return { conversationId: conversationId ?? 0, byCustomer: author.contactId !== null };
}

function messageCreated(m: ConversationMessage, socketId: string | null, actorId: number | null): LiveEvent {
  const customer = m.isPrivate ? null : { conversationId: m.conversationId, data: presentCustomerMessage(m) };
  return { tenantId: m.tenantId, name: 'message.created', data: presentMessage(m), customer, socketId, actorId };
}

// On the mentioned agent's own channel only.
function mentionCreated(mention: MentionView, actorId: number | null): LiveEvent {
  return { tenantId: mention.tenantId, name: 'mention.created', data: presentMention(mention), userId: mention.userId, actorId };
}

function notFound(id: number): NotFoundError {
  return new NotFoundError(MessageErrorCode.NotFound, `conversation message ${id} not found`);
}

// The id names another message on this side of the conversation; the 409 says nothing about it.
function clientMessageIdReused(): ConflictError {
  return new ConflictError(
    MessageErrorCode.ClientMessageIdReused,
    'this clientMessageId was used for another message in this conversation; use a new id for a new message',
    { clientMessageId: ['names another message of this conversation'] },
  );
}

// Mentions sent back as read (refs, in any order) are accepted unchanged.
function sameMentions(sent: unknown, stored: readonly number[]): boolean {
  if (!Array.isArray(sent)) return false;
  const ids = sent.map((item: unknown) => (item !== null && typeof item === 'object' ? (item as { id?: unknown }).id : item));
  return ids.length === stored.length && stored.every((id) => ids.includes(id));
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}
