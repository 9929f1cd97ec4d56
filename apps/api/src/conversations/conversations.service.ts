import { Injectable } from '@nestjs/common';
import {
  assertExpectedVersion,
  ExpectedVersions,
  FieldErrorsBuilder,
  issueSecret,
  ListQuery,
  PageMeta,
  Messages,
  NotFoundError,
  secretLookup,
  secretMatches,
  softDeleted,
  restored,
} from '@app/common';
import { Principal } from '../auth/principal';
import { UsersService } from '../auth/users.service';
import { ContactInput, ContactsService } from '../contacts/contacts.service';
import { CustomersService } from '../contacts/customers.service';
import { FileContent, FilesService } from '../files/files.service';
import { MessagesService } from './messages/messages.service';
import { Conversation } from './conversation.entity';
import { byUser } from './activities/activity.types';
import { ConversationWorkflow } from './workflow/conversation-workflow';
import { NEW_CONVERSATION, planWorkflow, WorkflowInput } from './workflow/workflow-rules';
import { ConversationErrorCode } from './conversations.errors';
import { ConversationsRepository, MemberChange, WidgetChange } from './conversations.repository';
import { LiveEventName } from '../live/live-events';
import { conversationVersion } from './conversation.presenter';
import { ConversationView } from './conversation.view';
import { conversationNotFound, ConversationViews } from './conversation-views';
import type { ChatRelation } from '../tickets/chat-message-row';

export interface UserRefInput {
  id: number;
  delete?: boolean;
}

export interface ConversationInput extends WorkflowInput {
  contactId?: number;
  contact?: { id?: number; type?: ContactInput['type']; value?: string };
  socket_id?: string | null;
  users?: UserRefInput[];
}

export interface ConversationUpdate extends ConversationInput {
  state?: 'active' | 'deleted';
}

// The workflow's fields, as create and PATCH take them (the rules beside them, in workflow/).
export type { WorkflowInput };

export interface InboxStateUpdate {
  unreadCount?: number;
  starred?: boolean;
  feedback?: object;
}

// What converting a conversation takes from it (see conversion/).
export interface ConversionSource {
  conversation: Conversation;
  customerId: number;
  userIds: number[];
  firstMessage: string | null;
  // Its active messages, as a relation the ticket's thread is copied from.
  transcript: ChatRelation;
}

export interface IssuedConversationToken {
  view: ConversationView;
  // Shown once; only its hash is stored.
  token: string;
}

@Injectable()
export class ConversationsService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly contacts: ContactsService,
    private readonly users: UsersService,
    private readonly customers: CustomersService,
    private readonly views: ConversationViews,
    private readonly messages: MessagesService,
    private readonly files: FilesService,
    private readonly workflow: ConversationWorkflow,
  ) {}

  async create(principal: Principal, input: ConversationInput): Promise<ConversationView> {
    return this.workflow.change(async () => {
      const id = await this.insert(principal, input);
      return this.announce(principal, 'conversation.created', id);
    });
  }

  // With an id: a fresh token for that conversation, and the old one stops working; other given
  // properties change as in a PATCH. Without: a new conversation for the given contact, with its
  // first token.
  async issueToken(principal: Principal, input: ConversationInput & { id?: number }): Promise<IssuedConversationToken> {
    const secret = issueSecret('hdc');
    const token = { tokenLookup: secret.lookup, tokenHash: secret.hash, tokenIssuedAt: new Date() };
    const view = await this.workflow.change(async () => {
      if (input.id === undefined) {
        const id = await this.insert(principal, input, token);
        return this.announce(principal, 'conversation.created', id);
      }
      const current = await this.conversations.findByIdForUpdate(principal.tenantId, input.id);
      if (!current) throw this.notFound(input.id);
      if (current.state !== 'active') new FieldErrorsBuilder().add('id', 'must be an active conversation').throwIfAny();
      // `state` is read-only here: issuing a token never deletes or restores.
      await this.applyUpdate(principal, current, { ...input, state: undefined }, token);
      return this.announce(principal, 'conversation.updated', current.id);
    });
    return { view, token: secret.plaintext };
  }

  async getById(principal: Principal, id: number): Promise<ConversationView> {
    return this.views.getById(principal.tenantId, id);
  }

  // The tenant's conversations of these ids, as the wire form shows them; absent ones are left out.
  async findViewsByIds(tenantId: number, ids: readonly number[]): Promise<ConversationView[]> {
    return this.views.findByIds(tenantId, ids);
  }

  // The conversation whose current token this is; the widget's only credential.
  async getByToken(token: string): Promise<ConversationView> {
    const conversation = await this.findByToken(token);
    const [view] = await this.views.of(conversation.tenantId, [conversation]);
    return view;
  }

  // The same, without what the wire form shows: for a widget's calls that need only to know it.
  async findByToken(token: string): Promise<Conversation> {
    const lookup = secretLookup('hdc', token);
    const conversation = lookup ? await this.conversations.findActiveByTokenLookup(lookup) : null;
    if (!conversation?.tokenHash || !secretMatches(token, conversation.tokenHash)) {
      throw new NotFoundError(ConversationErrorCode.TokenNotFound, 'no conversation has this token');
    }
    return conversation;
  }

  async list(principal: Principal, query: ListQuery): Promise<{ views: ConversationView[]; meta: PageMeta }> {
    const { rows, meta } = await this.conversations.list(principal.tenantId, query, principal.userId);
    return { views: await this.views.of(principal.tenantId, rows), meta };
  }

  // The conversations with any contact of this customer (deleted customers too); a 404 for a
  // customer the tenant does not have.
  async listOfCustomer(principal: Principal, customerId: number, query: ListQuery): Promise<{ views: ConversationView[]; meta: PageMeta }> {
    await this.customers.assertExists(principal.tenantId, customerId);
    const { rows, meta } = await this.conversations.list(principal.tenantId, query, principal.userId, customerId);
    return { views: await this.views.of(principal.tenantId, rows), meta };
  }

  // Only the given properties change; `updatedAt`/`updatedBy` move only when something did.
  // With `expected`, only over one of those versions: checked on the locked row, so of two
  // writes expecting the same version one applies and the other fails.
  async update(principal: Principal, id: number, input: ConversationUpdate, expected?: ExpectedVersions): Promise<ConversationView> {
    return this.workflow.change(async () => {
      const current = await this.conversations.findByIdForUpdate(principal.tenantId, id);
      if (!current) throw this.notFound(id);
      await assertExpectedVersion(expected, async () => conversationVersion(await this.getById(principal, id)), `conversation ${id}`);
      const changed = await this.applyUpdate(principal, current, input);
      if (changed === 'unchanged') return this.getById(principal, id);
      return this.announce(principal, 'conversation.updated', id, { customer: changed === 'customer' });
    });
  }

  // What an inbox shows of a conversation (HighLevel's PUT): its unread count (0 marks it read),
  // its star, the client's feedback. `updatedAt` moves only when something changed.
  async updateInboxState(principal: Principal, id: number, input: InboxStateUpdate): Promise<ConversationView> {
    return this.workflow.change(async () => {
      const current = await this.conversations.findByIdForUpdate(principal.tenantId, id);
      if (!current) throw this.notFound(id);
      const changes: Partial<Record<keyof Conversation, unknown>> = {};
      if (input.unreadCount !== undefined && input.unreadCount !== current.unreadCount) changes.unreadCount = input.unreadCount;
      if (input.starred !== undefined && input.starred !== current.starred) changes.starred = input.starred;
      if (input.feedback !== undefined && JSON.stringify(input.feedback) !== JSON.stringify(current.feedback)) changes.feedback = input.feedback;
      if (Object.keys(changes).length === 0) return this.getById(principal, id);
      Object.assign(changes, { updatedAt: () => 'now()', updatedBy: principal.userId });
      await this.conversations.update(principal.tenantId, id, changes as Partial<Conversation>);
      return this.announce(principal, 'conversation.updated', id);
    });
  }

  // Soft delete; deleting a deleted conversation changes nothing. The widget's token dies with it.
  async remove(principal: Principal, id: number): Promise<void> {
    const { tenantId, userId } = principal;
    await this.workflow.change(async () => {
      const current = await this.conversations.findByIdForUpdate(tenantId, id);
      if (!current) throw this.notFound(id);
      if (current.state !== 'active') return;
      await this.conversations.update(tenantId, id, { ...deletedNow(userId), ...NO_TOKEN });
      await this.workflow.applied([{ tenantId, conversationId: id, before: current, after: { ...current, state: 'deleted' }, changes: [], actor: byUser(userId) }]);
      await this.announce(principal, 'conversation.updated', id);
    });
  }

  // The active conversation, locked for the rest of the caller's transaction so that conversions
  // of it apply one after another; a 404 when the tenant has none active with this id.
  // With it, the first message's text and its transcript.
  async lockForConversion(tenantId: number, id: number): Promise<ConversionSource> {
    const conversation = await this.conversations.findByIdForUpdate(tenantId, id);
    if (!conversation || conversation.state !== 'active') throw this.notFound(id);
    const [contact] = await this.contacts.findContactsByIds(tenantId, [conversation.contactId]);
    const participants = await this.conversations.participantIds(tenantId, [id]);
    const firstMessage = await this.messages.firstMessageText(tenantId, id);
    const transcript = this.messages.transcript(tenantId, id);
    return { conversation, customerId: contact.customerId, userIds: participants.get(id) ?? [], firstMessage, transcript };
  }

  // Records the ticket a conversation became, with its activity, in the caller's transaction.
  async markConverted(tenantId: number, id: number, ticketId: number, actorId: number): Promise<void> {
    await this.conversations.update(tenantId, id, { ticketId, updatedAt: () => 'now()', updatedBy: actorId });
    await this.workflow.recordConversion(tenantId, id, ticketId, byUser(actorId));
  }

  // Presence from Pusher (the widget online, members on the presence channel), each unless a
  // later state is recorded already, in conversations the caller has locked; each conversation
  // whose presence changed is announced as it now is.
  async setPresence(widgets: readonly WidgetChange[], members: readonly MemberChange[], at: Date): Promise<void> {
    const changed = [...(await this.conversations.setWidgetOnline(widgets, at)), ...(await this.conversations.setMembers(members, at))];
    await this.views.announceUpdated(changed, { customer: true });
  }

  // What the widget may download by the conversation's token: an active file uploaded for the
  // conversation or attached to one of its active public messages (not a note); anything else is the 404 of an unknown id.
  async openFileByToken(token: string, fileId: number): Promise<FileContent> {
    const { tenantId, id } = await this.findByToken(token);
    const attached = await this.messages.isPublicFileAttached(tenantId, id, fileId);
    return this.files.openForConversation(tenantId, id, fileId, attached);
  }

  // Whether the tenant has this conversation, not deleted (an agent may join its channels).
  async isActive(tenantId: number, id: number): Promise<boolean> {
    return this.conversations.isActive(tenantId, id);
  }

  // A 404 unless the tenant has this conversation (deleted ones too).
  async assertExists(tenantId: number, id: number): Promise<void> {
    if (!(await this.conversations.findById(tenantId, id))) throw this.notFound(id);
  }

  // Changes of many conversations in the caller's transaction (a webhook batch): routing and the
  // conversations' events held to the end of `work`, then routed once, every team in id order.
  async batch<T>(work: () => Promise<T>): Promise<T> {
    return this.workflow.batch(work);
  }

  // A change through one door that may touch a conversation more than once (HighLevel's PUT, a
  // conversion), in one transaction: each conversation announced once, at the end, with the
  // activities of the whole change.
  async change<T>(work: () => Promise<T>): Promise<T> {
    return this.workflow.change(work);
  }

  // The conversation as it now is, with the change's live event, in the caller's transaction.
  async announce(principal: Principal, name: LiveEventName, id: number, options: { customer?: boolean } = {}): Promise<ConversationView> {
    return this.views.announce(principal, name, id, options);
  }

  // The body of a PATCH, on a row already locked by the caller's transaction. `extra` columns
  // (a new token) count as a change. Answers whether anything changed, and whether the customer
  // sees it (workflow fields are the agents' alone).
  private async applyUpdate(principal: Principal, current: Conversation, input: ConversationUpdate, extra: Partial<Conversation> = {}): Promise<UpdateOutcome> {
    const { tenantId, userId } = principal;
    const errors = new FieldErrorsBuilder();
    const contactId = await this.resolveContactId(principal, input, errors, false);
    const { add, remove } = await this.participantChanges(tenantId, input.users ?? [], errors);
    const workflow = await this.workflow.check(tenantId, input, errors, current);
    errors.throwIfAny();

    const changes: Partial<Record<keyof Conversation, unknown>> = { ...extra, ...visibleChanges(current, input, contactId) };
    const added = await this.conversations.addParticipants(tenantId, current.id, add, userId);
    const removed = await this.conversations.removeParticipants(tenantId, current.id, remove);
    const seen = Object.keys(changes).length > 0 || added + removed > 0;
    const plan = planWorkflow(current, workflow);
    Object.assign(changes, plan.columns);
    if (seen || Object.keys(plan.columns).length > 0) Object.assign(changes, { updatedAt: () => 'now()', updatedBy: userId });
    // A delete leaves updatedAt as it was (as Teamwork Desk API v2 documents updatedAt), so it is
    // applied on its own.
    const deleting = input.state === 'deleted' && current.state === 'active';
    if (deleting) Object.assign(changes, deletedNow(userId), NO_TOKEN);
    if (Object.keys(changes).length === 0) return 'unchanged';
    await this.conversations.update(tenantId, current.id, changes as Partial<Conversation>);
    const after = { ...plan.after, state: input.state ?? current.state };
    await this.workflow.applied([{ tenantId, conversationId: current.id, before: current, after, changes: plan.changes, actor: byUser(userId) }], principal.socketId ?? null);
    return seen || deleting ? 'customer' : 'agents';
  }

  private async insert(principal: Principal, input: ConversationInput, extra: Partial<Conversation> = {}): Promise<number> {
    const errors = new FieldErrorsBuilder();
    const contactId = await this.resolveContactId(principal, input, errors, true);
    const { add } = await this.participantChanges(principal.tenantId, input.users ?? [], errors);
    const workflow = await this.workflow.check(principal.tenantId, input, errors);
    errors.throwIfAny();

    const plan = planWorkflow(NEW_CONVERSATION, workflow);
    const conversation = await this.conversations.insert({
      tenantId: principal.tenantId,
      contactId,
      socketId: input.socket_id ?? null,
      createdBy: principal.userId,
      updatedBy: principal.userId,
      ...(plan.columns as Partial<Conversation>),
      ...extra,
    });
    const { tenantId, id } = conversation;
    await this.conversations.addParticipants(tenantId, id, add, principal.userId);
    const after = { ...plan.after, state: conversation.state };
    await this.workflow.applied([{ tenantId, conversationId: id, before: null, after, changes: plan.changes, actor: byUser(principal.userId) }], principal.socketId ?? null);
    return id;
  }

  // `contactId`, or `contact` by id or by type and value (found or created). Undefined when
  // neither is given and none is required.
  private async resolveContactId(
    principal: Principal,
    input: ConversationInput,
    errors: FieldErrorsBuilder,
    required: boolean,
  ): Promise<number | undefined> {
    const { tenantId, userId } = principal;
    const byId = input.contactId ?? input.contact?.id;
    const key = input.contactId !== undefined ? 'contactId' : 'contact.id';
    if (input.contactId !== undefined && input.contact?.id !== undefined && input.contact.id !== input.contactId) {
      errors.add('contact.id', 'must match contactId');
      return undefined;
    }
    if (byId !== undefined) {
      const contact = await this.contacts.findActiveContact(tenantId, byId);
      if (!contact) errors.add(key, Messages.notFound);
      return contact?.id;
    }
    if (input.contact?.type !== undefined && input.contact.value !== undefined) {
      const contact = await this.contacts.findOrCreateContact(
        tenantId,
        { type: input.contact.type, value: input.contact.value },
        userId,
        'contact.value',
      );
      return contact.id;
    }
    if (required) errors.add('contactId', Messages.required);
    return undefined;
  }

  // Refs to add must be active agents of the tenant; refs with `delete: true` are removed.
  private async participantChanges(
    tenantId: number,
    refs: UserRefInput[],
    errors: FieldErrorsBuilder,
  ): Promise<{ add: number[]; remove: number[] }> {
    const add = refs.filter((userRef) => !userRef.delete).map((userRef) => userRef.id);
    const remove = refs.filter((userRef) => userRef.delete).map((userRef) => userRef.id);
    const found = new Set((await this.users.findActiveByIds(tenantId, add)).map((user) => user.id));
    refs.forEach((userRef, index) => {
      if (!userRef.delete && !found.has(userRef.id)) errors.add(`users[${index}].id`, Messages.notFound);
    });
    return { add: [...new Set(add)], remove: [...new Set(remove)] };
  }

  private notFound(id: number): NotFoundError {
    return conversationNotFound(id);
  }
}

// What an update changed: nothing, something the customer sees too, or the agents' fields alone.
type UpdateOutcome = 'unchanged' | 'customer' | 'agents';

// A PATCH's changes the customer's view shows: its contact, its socket, a restore.
function visibleChanges(current: Conversation, input: ConversationUpdate, contactId: number | undefined): Partial<Record<keyof Conversation, unknown>> {
  const changes: Partial<Record<keyof Conversation, unknown>> = {};
  if (contactId !== undefined && contactId !== current.contactId) changes.contactId = contactId;
  if (input.socket_id !== undefined && input.socket_id !== current.socketId) changes.socketId = input.socket_id;
  if (input.state === 'active' && current.state === 'deleted') Object.assign(changes, restored(), { inbox: true });
  return changes;
}

// A deleted conversation leaves the inbox (HighLevel's `inbox`); a restored one returns to it.
const deletedNow = (userId: number) => ({ ...softDeleted(userId), inbox: false });
const NO_TOKEN = { tokenLookup: null, tokenHash: null, tokenIssuedAt: null };

