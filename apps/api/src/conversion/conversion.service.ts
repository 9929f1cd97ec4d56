import { Injectable } from '@nestjs/common';
import { ConflictError } from '@app/common';
import { Principal } from '../auth/principal';
import { ConversationView } from '../conversations/conversation.view';
import { ConversationsService } from '../conversations/conversations.service';
import { TicketInput } from '../tickets/ticket-input';
import { TicketsService } from '../tickets/tickets.service';
import { ConversionErrorCode } from './conversion.errors';

// Teamwork Desk API v2's POST /conversations/{id}/convert.json: a live chat becomes a ticket
// whose thread is the chat's transcript. One transaction, the conversation locked first: either the ticket, its
// thread, tags, fields, emails and the conversation's ticket_id all exist, or none does; and of
// any number of simultaneous conversions of one conversation, one makes the ticket. The live
// updates (`ticket.created`, then `conversation.converted`) are written in that transaction too.
@Injectable()
export class ConversionService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly tickets: TicketsService,
  ) {}

  async convert(principal: Principal, conversationId: number, input: TicketInput): Promise<ConversationView> {
    const { tenantId, userId } = principal;
    // One change: conversation.converted carries the `converted` activity.
    return this.conversations.change(async () => {
      const source = await this.conversations.lockForConversion(tenantId, conversationId);
      const { conversation } = source;
      if (conversation.ticketId !== null) {
        throw new ConflictError(
          ConversionErrorCode.AlreadyConverted,
          `conversation ${conversationId} is already converted to ticket ${conversation.ticketId}`,
          { ticket_id: [`already converted to ticket ${conversation.ticketId}`] },
        );
      }
      const ticketId = await this.tickets.createIn(principal, input, {
        conversationId,
        customerId: source.customerId,
        contactId: conversation.contactId,
        agentId: source.userIds.length === 1 ? source.userIds[0] : null,
        firstMessage: source.firstMessage,
        transcript: source.transcript,
      });
      await this.conversations.markConverted(tenantId, conversationId, ticketId, userId);
      await this.tickets.announce(principal, 'ticket.created', ticketId);
      return this.conversations.announce(principal, 'conversation.converted', conversationId);
    });
  }
}
