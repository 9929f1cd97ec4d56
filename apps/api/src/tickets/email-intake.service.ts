import { Injectable } from '@nestjs/common';
import { LiveEvents } from '../live/live-events';
import { TicketSettingsService } from './settings/ticket-settings.service';
import { EmailIntakeRepository } from './email-intake.repository';
import type { InboundThreadMessage, ThreadMessageRef } from './inbound-thread-message';
import { TicketMessage } from './ticket-message.entity';
import { previewOf } from './ticket-text';
import { TicketView } from './ticket.view';
import { TicketsRepository } from './tickets.repository';
import { presentTicket } from './tickets.presenter';
import { TicketsService } from './tickets.service';

// The customer's side of a ticket as email brings it (POST inbound/email.json): each method runs
// in the caller's transaction, which takes the locks in the house's order (docs/architecture.md,
// "Who locks what"): the Message-ID, then the ticket, then the customer's contact.
@Injectable()
export class TicketEmailIntake {
  constructor(
    private readonly intake: EmailIntakeRepository,
    private readonly tickets: TicketsRepository,
    private readonly ticketsService: TicketsService,
    private readonly settings: TicketSettingsService,
    private readonly live: LiveEvents,
  ) {}

  async lockEmailMessageId(tenantId: number, emailMessageId: string): Promise<void> {
    await this.intake.lockEmailMessageId(tenantId, emailMessageId);
  }

  // Where an earlier delivery of this mail was stored.
  async findByEmailMessageId(tenantId: number, emailMessageId: string): Promise<ThreadMessageRef | null> {
    return this.intake.findByEmailMessageId(tenantId, emailMessageId);
  }

  async findTicketByEmailMessageIds(tenantId: number, emailMessageIds: readonly string[]): Promise<number | null> {
    return this.intake.findTicketByEmailMessageIds(tenantId, emailMessageIds);
  }

  // Locks the tenant's active ticket a reply goes to; its customer, or null when there is none.
  async lockActiveTicket(tenantId: number, ticketId: number): Promise<{ customerId: number } | null> {
    const ticket = await this.tickets.findByIdForUpdate(tenantId, ticketId);
    return ticket?.state === 'active' ? { customerId: ticket.customerId } : null;
  }

  // The customer's reply on the ticket the caller locked: counted, the ticket's updatedAt moved,
  // and its ticket.updated to the tenant's agents.
  async append(tenantId: number, ticketId: number, contactId: number, message: InboundThreadMessage): Promise<ThreadMessageRef> {
    const messageId = await this.intake.insertCustomerMessage(tenantId, ticketId, contactId, message);
    await this.tickets.recordThreadMessage(tenantId, ticketId, null, null);
    await this.announce(tenantId, 'ticket.updated', ticketId);
    return { ticketId, messageId };
  }

  // A new ticket in the inbox, opened by the customer's mail: the tenant's default status, the
  // Email source (else the default one), the mail as its first thread message.
  async open(tenantId: number, inboxId: number, customer: { customerId: number; contactId: number }, subject: string, message: InboundThreadMessage): Promise<ThreadMessageRef> {
    const status = await this.settings.findDefault(tenantId, 'ticketstatuses');
    if (!status) throw new Error(`tenant ${tenantId} has no default ticket status`);
    const source = (await this.settings.findByCode(tenantId, 'ticketsources', 'email')) ?? (await this.settings.findDefault(tenantId, 'ticketsources'));
    const ticketId = await this.tickets.insertTicket({
      tenantId,
      subject,
      previewText: previewOf(message.message, message.editMethod),
      customerId: customer.customerId,
      contactId: customer.contactId,
      inboxId,
      statusId: status.id,
      sourceId: source?.id ?? null,
      fileIds: message.fileIds,
      editMethod: message.editMethod,
      messageCount: 1,
    });
    const messageId = await this.intake.insertCustomerMessage(tenantId, ticketId, customer.contactId, message);
    await this.announce(tenantId, 'ticket.created', ticketId);
    return { ticketId, messageId };
  }

  // The ticket and the thread message as the answer shows them.
  async read(tenantId: number, ref: ThreadMessageRef): Promise<{ ticket: TicketView; message: TicketMessage }> {
    const [ticket] = await this.ticketsService.findViewsByIds(tenantId, [ref.ticketId]);
    const message = await this.tickets.findMessageById(tenantId, ref.messageId);
    return { ticket, message: message! };
  }

  private async announce(tenantId: number, name: 'ticket.created' | 'ticket.updated', ticketId: number): Promise<void> {
    const [view] = await this.ticketsService.findViewsByIds(tenantId, [ticketId]);
    await this.live.publish([{ tenantId, name, data: presentTicket(view), socketId: null, actorId: null }]);
  }
}
