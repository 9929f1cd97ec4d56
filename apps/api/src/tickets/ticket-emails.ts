import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { ContactsService } from '../contacts/contacts.service';
import { outgoingMessageId } from '../email/email-addresses';
import { Outbox, OutboxEntry } from '../live/outbox';
import { TicketSettingsService } from './settings/ticket-settings.service';
import { TicketEmailsRepository } from './ticket-emails.repository';
import type { TicketMessage } from './ticket-message.entity';
import type { EditMethod, Ticket } from './ticket.entity';
import { TicketsRepository } from './tickets.repository';

export const CUSTOMER_NOTIFICATION_TOPIC = 'ticket.customer_notification';
export const SCHEDULED_EMAIL_TOPIC = 'ticket.scheduled_email';
export const REPLY_TOPIC = 'ticket.reply';
export const EMAIL_TOPICS = [CUSTOMER_NOTIFICATION_TOPIC, SCHEDULED_EMAIL_TOPIC, REPLY_TOPIC] as const;

// What the email sender needs of a ticket to write one of its emails.
export interface TicketEmailContext {
  ticketId: number;
  subject: string;
  editMethod: EditMethod;
  // The thread message the email carries (a reply, or the opening message a notification shows).
  message: Pick<TicketMessage, 'id' | 'message' | 'editMethod' | 'fileIds' | 'cc' | 'bcc' | 'emailMessageId' | 'emailStatus'> | null;
  // The Message-IDs of the thread before it, oldest first: In-Reply-To and References.
  references: string[];
}

// The sending side of a ticket's email (the email module sends; this queues and records): which
// thread messages go out, with which Message-ID, from which address, and what became of them.
@Injectable()
export class TicketEmails {
  constructor(
    private readonly db: Database,
    private readonly outbox: Outbox,
    private readonly emails: TicketEmailsRepository,
    private readonly tickets: TicketsRepository,
    private readonly contacts: ContactsService,
    private readonly settings: TicketSettingsService,
  ) {}

  // A new ticket's emails (TicketComposer's), in its transaction: the customer notification
  // carries the opening message, which gets its Message-ID now so that the customer's answer
  // threads to it.
  async queueForNewTicket(tenantId: number, ticketId: number, entries: readonly OutboxEntry[], openingId: number | null, actorId: number): Promise<void> {
    const queued: OutboxEntry[] = [];
    for (const entry of entries) {
      const from = entry.payload.from as string | null;
      if (entry.topic !== CUSTOMER_NOTIFICATION_TOPIC || openingId === null || !from) {
        queued.push(entry);
        continue;
      }
      const emailMessageId = outgoingMessageId({ tenantId, ticketId, messageId: openingId }, from);
      await this.emails.markQueued(tenantId, openingId, emailMessageId);
      queued.push({ ...entry, payload: { ...entry.payload, messageId: openingId } });
    }
    await this.outbox.enqueueForTicket(tenantId, ticketId, queued, actorId);
  }

  // An agent's reply (never a note, never the customer side's message) goes to the ticket's
  // customer when the customer has an email address and the ticket an address to send from (its
  // sendFrom, else its inbox's): queued in the reply's transaction. Answers whether it was.
  async queueReply(tenantId: number, ticket: Ticket, message: Pick<TicketMessage, 'id' | 'threadType' | 'userId'>, actorId: number): Promise<boolean> {
    if (message.threadType !== 'message' || message.userId === null) return false;
    const customer = await this.contacts.findCustomer(tenantId, ticket.customerId);
    const from = ticket.sendFrom ?? (await this.settings.findActive(tenantId, 'inboxes', ticket.inboxId))?.email ?? null;
    if (!customer?.email || !from) return false;
    const emailMessageId = outgoingMessageId({ tenantId, ticketId: ticket.id, messageId: message.id }, from);
    await this.emails.markQueued(tenantId, message.id, emailMessageId);
    const entry: OutboxEntry = { topic: REPLY_TOPIC, availableAt: null, payload: { messageId: message.id, to: customer.email, from, subject: `Re: ${ticket.subject}` } };
    await this.outbox.enqueueForTicket(tenantId, ticket.id, [entry], actorId);
    return true;
  }

  // The ticket and thread message an email is written from; null when the ticket was deleted (a
  // deleted ticket's queued and scheduled emails never go).
  async contextOf(tenantId: number, ticketId: number, messageId: number | null): Promise<TicketEmailContext | null> {
    const ticket = await this.tickets.findById(tenantId, ticketId);
    if (!ticket || ticket.state === 'deleted') return null;
    const message = messageId === null ? null : await this.tickets.findMessageById(tenantId, messageId);
    const references = await this.emails.threadMessageIds(tenantId, ticketId, message?.id ?? null);
    return { ticketId, subject: ticket.subject, editMethod: ticket.editMethod, message, references };
  }

  // The message's email went (or never will), in the caller's transaction.
  async recordOutcome(tenantId: number, messageId: number, outcome: { status: 'sent' | 'failed'; error: string | null }): Promise<void> {
    if (!this.db.inTransaction) throw new Error("an email's outcome is recorded with its outbox entry's");
    await this.emails.recordOutcome(tenantId, messageId, outcome);
  }
}
