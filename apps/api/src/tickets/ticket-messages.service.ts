import { Injectable } from '@nestjs/common';
import { FieldErrorsBuilder, ListQuery, Messages, NotFoundError, PageMeta } from '@app/common';
import { Database } from '@app/database';
import { Principal } from '../auth/principal';
import { ContactsService } from '../contacts/contacts.service';
import { FilesService } from '../files/files.service';
import { ThreadMessageInput } from './ticket-input';
import { TICKET_MESSAGE_LIST } from './ticket-list.definition';
import { TicketEmails } from './ticket-emails';
import { TicketMessage } from './ticket-message.entity';
import { TicketRefs } from './ticket-refs';
import { hasContent } from './ticket-text';
import { Ticket } from './ticket.entity';
import { TicketErrorCode } from './tickets.errors';
import { NewThreadMessage, TicketsRepository } from './tickets.repository';
import { deleted, notFound, TicketsService } from './tickets.service';

// A ticket's thread: replies and internal notes.
@Injectable()
export class TicketMessagesService {
  constructor(
    private readonly db: Database,
    private readonly tickets: TicketsRepository,
    private readonly refs: TicketRefs,
    private readonly contacts: ContactsService,
    private readonly files: FilesService,
    private readonly ticketsService: TicketsService,
    private readonly emails: TicketEmails,
  ) {}

  // Oldest first by default; deleted tickets' threads stay readable.
  async list(principal: Principal, ticketId: number, query: ListQuery): Promise<{ messages: TicketMessage[]; meta: PageMeta }> {
    if (!(await this.tickets.findById(principal.tenantId, ticketId))) throw notFound(ticketId);
    const { rows, meta } = await this.tickets.listMessages(principal.tenantId, ticketId, TICKET_MESSAGE_LIST, query);
    return { messages: rows, meta };
  }

  // Adds a reply or note by the caller (or, with `contact`, by the customer's side), moves the
  // ticket's messageCount and updatedAt, and with `status` the ticket's status: one transaction,
  // which also writes the ticket's live update.
  async post(principal: Principal, ticketId: number, input: ThreadMessageInput): Promise<TicketMessage> {
    const { tenantId, userId } = principal;
    return this.db.transaction(async () => {
      const ticket = await this.tickets.findByIdForUpdate(tenantId, ticketId);
      if (!ticket) throw notFound(ticketId);
      if (ticket.state === 'deleted') throw deleted(ticketId);
      const fileIds = await this.check(tenantId, ticket, input);
      const written = threadMessage(principal, ticket, input, fileIds);
      const [messageId] = await this.tickets.insertMessages(tenantId, ticketId, [written], userId);
      await this.emails.queueReply(tenantId, ticket, { id: messageId, ...written }, userId);
      await this.tickets.recordThreadMessage(tenantId, ticketId, input.status?.id ?? null, userId);
      await this.ticketsService.announce(principal, 'ticket.updated', ticketId);
      return this.getById(principal, messageId);
    });
  }

  async getById(principal: Principal, id: number): Promise<TicketMessage> {
    const message = await this.tickets.findMessageById(principal.tenantId, id);
    if (!message) throw new NotFoundError(TicketErrorCode.MessageNotFound, `ticket message ${id} not found`);
    return message;
  }

  async findByIds(tenantId: number, ids: readonly number[]): Promise<TicketMessage[]> {
    return this.tickets.findMessagesByIds(tenantId, ids);
  }

  // Every problem of the body at once; answers its checked file ids.
  private async check(tenantId: number, ticket: Ticket, input: ThreadMessageInput): Promise<number[]> {
    const errors = new FieldErrorsBuilder();
    const fileIds = await this.files.checkActiveIds(tenantId, input.files ?? [], errors);
    if (!hasContent(input.message, fileIds)) errors.add('message', Messages.required);
    if (input.contact) await this.checkCustomerSide(tenantId, ticket, input, errors);
    if (input.status) await this.refs.setting(tenantId, 'status', input.status.id, 'status.id', errors);
    errors.throwIfAny();
    return fileIds;
  }

  // A message by the customer's side: written by a contact of the ticket's customer, never a note.
  private async checkCustomerSide(tenantId: number, ticket: Ticket, input: ThreadMessageInput, errors: FieldErrorsBuilder): Promise<void> {
    const contact = await this.contacts.findActiveContact(tenantId, input.contact!.id);
    if (!contact) errors.add('contact.id', Messages.notFound);
    else if (contact.customerId !== ticket.customerId) errors.add('contact.id', "must be a contact of the ticket's customer");
    if (input.threadType === 'note') errors.add('threadType', 'must be "message": notes are written by agents');
  }
}

function threadMessage(principal: Principal, ticket: Ticket, input: ThreadMessageInput, fileIds: number[]): NewThreadMessage {
  return {
    threadType: input.threadType ?? 'message',
    message: input.message ?? '',
    editMethod: input.editMethod ?? ticket.editMethod,
    userId: input.contact ? null : principal.userId,
    contactId: input.contact?.id ?? null,
    cc: input.cc ?? [],
    bcc: input.bcc ?? [],
    fileIds,
  };
}
