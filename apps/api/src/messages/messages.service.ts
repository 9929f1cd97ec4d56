import { Injectable } from '@nestjs/common';
import { ConflictError, FieldErrorsBuilder, ListQuery, ListSpec, Messages, NotFoundError, PageMeta } from '@app/common';
import { Database } from '@app/database';
import { EntityManager } from 'typeorm';
import { Principal } from '../auth/principal';
import { UsersService } from '../auth/users.service';
import { ContactsService } from '../contacts/contacts.service';
import { presentCustomerMessage } from '../customer-view/customer-view.presenter';
import { AttachmentScope, FilesService } from '../files/files.service';
import { LiveEvent, LiveEventName, LiveEvents, liveEventBy } from '../live/live-events';
import { TicketsService } from '../tickets/tickets.service';
import { ConversationMessage, MessageType } from './conversation-message.entity';
import { presentMessage } from './message.presenter';
import { MessageErrorCode } from './messages.errors';
import { isSameMessage, MessagesRepository } from './messages.repository';

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
}

export interface PostedMessage {
  message: ConversationMessage;
  // False when the clientMessageId was already stored: `message` is that first one.
  created: boolean;
}

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
  ) {}

  // Adds a message to an active conversation of the tenant and, in the same transaction, moves the
  // conversation's last-message time and updatedAt. A clientMessageId already stored on the same
  // side of that conversation returns the stored message instead, and tells nobody; used there for
  // another message (another author, text or files), it is a conflict and nothing is written.
  async post(principal: Principal, input: MessageInput): Promise<PostedMessage> {
    const { tenantId, userId: actorId } = principal;
    return this.db.transaction(async (manager) => {
      const errors = new FieldErrorsBuilder();
      const conversationId = this.conversationIdOf(input, errors);
      const conversation = conversationId === undefined ? null : await this.messages.lockConversation(manager, tenantId, conversationId);
      if (conversationId !== undefined && !conversation) errors.add(input.conversationId !== undefined ? 'conversationId' : 'conversation.id', Messages.notFound);
      if (conversation?.state === 'deleted') errors.add('conversationId', 'must be an active conversation');

      const author = await this.author(manager, principal, input, conversation?.customerId, errors);
      const fileIds = await this.files.checkAttachable(tenantId, input.files ?? [], attachedBy(conversationId, author), errors);
      if ((input.message ?? '').trim() === '' && fileIds.length === 0) errors.add('message', Messages.required);
      errors.throwIfAny();

      const candidate = {
        tenantId,
        conversationId: conversationId!,
        ...author,
        message: input.message ?? '',
        fileIds,
        clientMessageId: input.clientMessageId ?? null,
        actorId,
        messageType: input.messageType,
      };
      const result = await this.messages.insert(manager, candidate);
      if (!result.created && !isSameMessage(result.message, candidate)) throw clientMessageIdReused();
      if (!result.created) return result;
      // A converted conversation's message joins its ticket's thread too: nothing is left behind.
      if (conversation!.ticketId !== null) await this.tickets.copyChatMessages([result.message], principal);
      await this.messages.touchConversation(manager, tenantId, conversationId!, result.message.id, actorId);
      await this.live.publish([messageEvent(principal, 'message.created', result.message)]);
      return result;
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

  async list(
    tenantId: number,
    spec: ListSpec,
    query: ListQuery,
    conversationId?: number,
  ): Promise<{ messages: ConversationMessage[]; meta: PageMeta }> {
    const { rows, meta } = await this.messages.list(tenantId, spec, query, conversationId);
    return { messages: rows, meta };
  }

  // Edits `message` and `files`; `updatedAt` moves only when something changed. A delete leaves
  // updatedAt as it was; "active" restores.
  async update(principal: Principal, id: number, input: MessageUpdate): Promise<ConversationMessage> {
    const { tenantId, userId } = principal;
    return this.db.transaction(async (manager) => {
      if ((await this.messages.lockConversationOfMessage(manager, tenantId, id)) === null) throw notFound(id);
      const current = await manager
        .createQueryBuilder(ConversationMessage, 'm')
        .where('m.tenant_id = :tenantId AND m.id = :id', { tenantId, id })
        .setLock('for_no_key_update')
        .getOne();
      if (!current) throw notFound(id);

      const errors = new FieldErrorsBuilder();
      const readOnly: [keyof MessageUpdate, unknown][] = [
        ['conversationId', current.conversationId],
        ['userId', current.userId],
        ['contactId', current.contactId],
        ['clientMessageId', current.clientMessageId],
      ];
      for (const [field, value] of readOnly) {
        if (input[field] !== undefined && input[field] !== value) errors.add(field, 'is read-only');
      }
      const conversationRef = input.conversation as { id?: unknown } | undefined;
      if (conversationRef !== undefined && conversationRef?.id !== current.conversationId) errors.add('conversation', 'is read-only');
      const fileIds = input.files === undefined ? undefined : await this.files.checkAttachable(tenantId, input.files, attachedBy(current.conversationId, current), errors);
      const message = input.message ?? current.message;
      if (message.trim() === '' && (fileIds ?? current.fileIds).length === 0) errors.add('message', Messages.required);
      errors.throwIfAny();

      const changes: Record<string, unknown> = {};
      if (input.message !== undefined && input.message !== current.message) changes.message = input.message;
      if (fileIds !== undefined && !sameIds(fileIds, current.fileIds)) changes.fileIds = fileIds;
      if (input.state === 'active' && current.state === 'deleted') Object.assign(changes, { state: 'active', deletedAt: null, deletedBy: null });
      if (Object.keys(changes).length > 0) Object.assign(changes, { updatedAt: () => 'now()', updatedBy: userId });
      if (input.state === 'deleted' && current.state === 'active') Object.assign(changes, deletedNow(userId));
      if (Object.keys(changes).length === 0) return this.getById(principal, id);
      await manager.update(ConversationMessage, { tenantId, id }, changes);
      await this.messages.refreshLastMessageText(manager, tenantId, current.conversationId);
      return this.announce(principal, 'message.updated', id);
    });
  }

  // Soft delete; deleting a deleted message changes nothing.
  async remove(principal: Principal, id: number): Promise<void> {
    const { tenantId, userId } = principal;
    await this.db.transaction(async (manager) => {
      if ((await this.messages.lockConversationOfMessage(manager, tenantId, id)) === null) throw notFound(id);
      const result = await manager.update(ConversationMessage, { tenantId, id, state: 'active' }, deletedNow(userId));
      if (result.affected !== 0) {
        const message = await this.announce(principal, 'message.updated', id);
        await this.messages.refreshLastMessageText(manager, tenantId, message.conversationId);
      }
    });
  }

  // The message as it now is, read in the transaction of the change, and the live event of the
  // change written in it too: the agents' JSON on its tenant's channel, the customer's view (a
  // deleted message's tombstone) on its conversation's.
  private async announce(principal: Principal, name: LiveEventName, id: number): Promise<ConversationMessage> {
    const message = await this.getById(principal, id);
    await this.live.publish([messageEvent(principal, name, message)]);
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
  private async author(
    manager: EntityManager,
    principal: Principal,
    input: MessageInput,
    customerId: number | undefined,
    errors: FieldErrorsBuilder,
  ): Promise<{ userId: number | null; contactId: number | null }> {
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
}

// A customer's message (a contact its author) may carry only files uploaded for its conversation.
// Without a conversation (already an error) every file is refused alike.
function attachedBy(conversationId: number | undefined, author: { contactId: number | null }): AttachmentScope {
  return { conversationId: conversationId ?? 0, byCustomer: author.contactId !== null };
}

function messageEvent(principal: Principal, name: LiveEventName, message: ConversationMessage): LiveEvent {
  return liveEventBy(principal, name, presentMessage(message), { conversationId: message.conversationId, data: presentCustomerMessage(message) });
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

function deletedNow(userId: number) {
  return { state: 'deleted' as const, deletedAt: () => 'now()', deletedBy: userId };
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}
