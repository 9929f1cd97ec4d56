import { Injectable } from '@nestjs/common';
import { BadRequestError, ForbiddenError, NotFoundError, ValidationError } from '@app/common';
import { Database } from '@app/database';
import { Principal } from '../auth/principal';
import { ConversationSearchService } from '../conversations/conversation-search.service';
import { ConversationSummary, MessageSummary, SearchCriteria } from '../conversations/conversation-search.types';
import { ConversationsService, ConversationUpdate, WorkflowInput } from '../conversations/conversations.service';
import { ContactsService } from '../contacts/contacts.service';
import { FilesService } from '../files/files.service';
import { MessageType } from '../conversations/messages/conversation-message.entity';
import { MessagesService } from '../conversations/messages/messages.service';
import { CreateConversationDto, UpdateConversationDto } from './dto/conversation.dto';
import { DELIVERABLE_TYPES, SendMessageDto } from './dto/send-message.dto';
import { HighLevelErrorCode } from './highlevel.errors';
import { invalid } from './highlevel-validation';

export interface MessagesPage {
  lastMessageId: string | null;
  nextPage: boolean;
  messages: MessageSummary[];
}

export interface MessagesQuery {
  lastMessageId?: string;
  limit: number;
  types?: string[];
}

export interface SentMessage {
  conversationId: number;
  messageId: number;
}

// The channel each deliverable send type is stored as.
const STORED_TYPE: Record<(typeof DELIVERABLE_TYPES)[number], MessageType> = {
  Live_Chat: 'TYPE_LIVE_CHAT',
  Custom: 'TYPE_CUSTOM_PROVIDER_SMS',
};

// HighLevel's Conversations API over the same services as the Desk dialect: ids are the Desk
// ids as strings, the location is the caller's tenant, and every write goes through the service
// that owns the rows (so its checks, transaction and live updates are the Desk dialect's too).
@Injectable()
export class HighLevelService {
  constructor(
    private readonly db: Database,
    private readonly conversationSearch: ConversationSearchService,
    private readonly contacts: ContactsService,
    private readonly conversations: ConversationsService,
    private readonly messages: MessagesService,
    private readonly files: FilesService,
  ) {}

  // A location other than the key's tenant is refused before anything is looked up in it.
  assertLocation(principal: Principal, locationId: string): void {
    if (locationId !== principal.locationId) {
      throw new ForbiddenError(HighLevelErrorCode.LocationForbidden, 'The token does not have access to this location');
    }
  }

  // A contact has one open conversation at a time, as in HighLevel: a second is refused, naming
  // the first. The contact's row is locked while this is decided, so two at once create one.
  async createConversation(principal: Principal, dto: CreateConversationDto): Promise<ConversationSummary> {
    this.assertLocation(principal, dto.locationId);
    const contactId = parseId(dto.contactId);
    return this.db.transaction(async () => {
      if (contactId === null || !(await this.contacts.lockActiveContact(principal.tenantId, contactId))) {
        throw invalid([`contactId ${dto.contactId} is not a contact of this location`]);
      }
      const open = await this.conversationSearch.openConversationOf(principal.tenantId, contactId);
      if (open !== null) {
        throw new BadRequestError(
          HighLevelErrorCode.ConversationExists,
          `Conversation with the contact id:${contactId} already exists! conversationId: ${open}`,
        );
      }
      const view = await this.conversations.create(principal, { contactId });
      return this.summary(principal, view.conversation.id);
    });
  }

  // Deleted conversations too: HighLevel shows them with `deleted: true`.
  async getConversation(principal: Principal, conversationId: string): Promise<ConversationSummary> {
    return this.summary(principal, idOf(conversationId));
  }

  async updateConversation(principal: Principal, conversationId: string, dto: UpdateConversationDto): Promise<ConversationSummary> {
    this.assertLocation(principal, dto.locationId);
    if (dto.feedback !== undefined && Buffer.byteLength(JSON.stringify(dto.feedback)) > 16_384) {
      throw invalid(['feedback must be at most 16384 bytes of JSON']);
    }
    const id = idOf(conversationId);
    const assignee = assigneeOf(dto.assignedTo);
    // One change: one conversation.updated, whichever of its fields moved.
    return this.conversations.change(async () => {
      await inHighLevelTerms(this.conversations.updateInboxState(principal, id, { unreadCount: dto.unreadCount, starred: dto.starred, feedback: dto.feedback }));
      if (assignee !== undefined) await this.assign(principal, id, assignee, dto.assignedTo);
      return this.summary(principal, id);
    });
  }

  // `assignedTo` is the Desk dialect's `assignee`, set through the same update (its checks, its
  // activity, its live event); the Desk field's errors are said in HighLevel's words.
  private async assign(principal: Principal, id: number, assignee: WorkflowInput['assignee'], given: unknown): Promise<void> {
    const change: ConversationUpdate = { assignee };
    try {
      await inHighLevelTerms(this.conversations.update(principal, id, change));
    } catch (error) {
      const fields = error instanceof ValidationError ? Object.keys(error.fields ?? {}) : [];
      if (fields.some((field) => field.startsWith('assignee'))) throw invalid([`assignedTo ${String(given)} is not an agent of this location`]);
      throw error;
    }
  }

  // Soft delete, as the Desk dialect's; deleting a deleted conversation succeeds and changes nothing.
  async deleteConversation(principal: Principal, conversationId: string): Promise<void> {
    await inHighLevelTerms(this.conversations.remove(principal, idOf(conversationId)));
  }

  async search(principal: Principal, criteria: SearchCriteria): Promise<{ rows: ConversationSummary[]; total: number }> {
    return this.conversationSearch.search(principal.tenantId, criteria);
  }

  // Newest first; `lastMessageId` (the last of the previous page) continues after that message.
  async listMessages(principal: Principal, conversationId: string, query: MessagesQuery): Promise<MessagesPage> {
    const id = idOf(conversationId);
    await inHighLevelTerms(this.conversations.assertExists(principal.tenantId, id));
    let beforeId: number | undefined;
    if (query.lastMessageId !== undefined) {
      const cursorId = parseId(query.lastMessageId);
      const cursor = cursorId === null ? null : await this.conversationSearch.message(principal.tenantId, cursorId);
      if (!cursor || cursor.conversationId !== id) throw invalid([`lastMessageId ${query.lastMessageId} is not a message of this conversation`]);
      beforeId = cursor.id;
    }
    const rows = await this.conversationSearch.messagesPage(principal.tenantId, id, { beforeId, types: query.types, limit: query.limit + 1 });
    const messages = rows.slice(0, query.limit);
    return { lastMessageId: messages.length > 0 ? String(messages.at(-1)!.id) : null, nextPage: rows.length > query.limit, messages };
  }

  async getMessage(principal: Principal, messageId: string): Promise<MessageSummary> {
    const id = parseId(messageId);
    const row = id === null ? null : await this.conversationSearch.message(principal.tenantId, id);
    if (!row) throw new BadRequestError(HighLevelErrorCode.MessageNotFound, 'Message not found');
    return row;
  }

  // An agent's message (the key's) to the contact, on the given conversation or the contact's
  // open one, started when there is none: all in one transaction, with the contact locked so two
  // first messages at once start one conversation. A conversation converted to a ticket is no
  // longer open (a send without conversationId starts a new one), but one named by
  // conversationId still takes the message, which then joins the ticket's thread as well.
  // Locks: the contact, then (in MessagesService.post) the conversation.
  async sendMessage(principal: Principal, dto: SendMessageDto, fileIdOf: (url: string) => number | null): Promise<SentMessage> {
    const problems: string[] = [];
    if (!(DELIVERABLE_TYPES as readonly string[]).includes(dto.type)) {
      problems.push(`type ${dto.type} cannot be delivered by this service: it sends ${DELIVERABLE_TYPES.join(' and ')} messages`);
    }
    if (dto.scheduledTimestamp !== undefined) problems.push('scheduledTimestamp is not supported: messages are sent at once');
    const urls = dto.attachments ?? [];
    const fileIds = urls.map(fileIdOf);
    fileIds.forEach((fileId, index) => {
      if (fileId === null) problems.push(`attachments.${index} must be the URL of a file uploaded to this service`);
    });
    if ((dto.message ?? '').trim() === '' && urls.length === 0) problems.push('message must not be empty when there are no attachments');
    if (problems.length > 0) throw invalid(problems);

    const contactId = parseId(dto.contactId);
    return this.db.transaction(async () => {
      if (contactId === null || !(await this.contacts.lockActiveContact(principal.tenantId, contactId))) {
        throw invalid([`contactId ${dto.contactId} is not a contact of this location`]);
      }
      const conversationId = await this.conversationFor(principal, contactId, dto.conversationId);
      // An agent's files, or files uploaded for this conversation (a new one started above is rolled back).
      const allowed = await this.files.attachableIds(principal.tenantId, fileIds as number[], { conversationId, byCustomer: false });
      const missing = fileIds.flatMap((fileId, index) => (allowed.has(fileId!) ? [] : [`attachments.${index} is not a file of this location`]));
      if (missing.length > 0) throw invalid(missing);
      const { message } = await this.messages.post(principal, {
        conversationId,
        message: dto.message ?? '',
        files: fileIds as number[],
        messageType: STORED_TYPE[dto.type as keyof typeof STORED_TYPE],
      });
      return { conversationId, messageId: message.id };
    });
  }

  private async conversationFor(principal: Principal, contactId: number, given: string | undefined): Promise<number> {
    if (given !== undefined) {
      const id = parseId(given);
      const [summary] = id === null ? [] : await this.conversationSearch.summaries(principal.tenantId, [id]);
      if (!summary || summary.state !== 'active' || summary.contactId !== contactId) {
        throw invalid([`conversationId ${given} is not an active conversation of contactId ${contactId}`]);
      }
      return summary.id;
    }
    const open = await this.conversationSearch.openConversationOf(principal.tenantId, contactId);
    return open ?? (await this.conversations.create(principal, { contactId })).conversation.id;
  }

  private async summary(principal: Principal, id: number): Promise<ConversationSummary> {
    const [summary] = await this.conversationSearch.summaries(principal.tenantId, [id]);
    if (!summary) throw conversationNotFound();
    return summary;
  }
}

// `assignedTo` as the Desk dialect's assignee: undefined leaves it, null or "" unassigns, an id
// assigns; anything else is a 422 (an agent id is a Desk id written as a string).
function assigneeOf(assignedTo: string | null | undefined): WorkflowInput['assignee'] | undefined {
  if (assignedTo === undefined) return undefined;
  if (assignedTo === null || assignedTo === '') return null;
  const id = parseId(assignedTo);
  if (id === null) throw invalid([`assignedTo ${assignedTo} is not an agent of this location`]);
  return { id };
}

// HighLevel's ids here are the Desk ids written as strings; anything else names nothing.
export function parseId(value: string): number | null {
  return /^[1-9]\d{0,14}$/.test(value) ? Number(value) : null;
}

// HighLevel answers an id it does not know, or that is another location's, with a 400.
function conversationNotFound(): BadRequestError {
  return new BadRequestError(HighLevelErrorCode.ConversationNotFound, 'Conversation not found');
}

// A conversation id of the path; one that cannot be ours names nothing.
function idOf(conversationId: string): number {
  const id = parseId(conversationId);
  if (id === null) throw conversationNotFound();
  return id;
}

// The Desk services' 404 for a conversation the tenant lacks, as HighLevel says it.
async function inHighLevelTerms<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw error instanceof NotFoundError ? conversationNotFound() : error;
  }
}
