import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import type { InboundThreadMessage, ThreadMessageRef } from './inbound-thread-message';

// The SQL of email coming in (ticket_messages.email_message_id), beside the tickets repository's.
@Injectable()
export class EmailIntakeRepository {
  constructor(private readonly db: Database) {}

  // Deliveries of one Message-ID to one tenant take turns until their transaction ends, so the
  // second finds what the first stored (uq_ticket_messages_email_message_id is the backstop).
  async lockEmailMessageId(tenantId: number, emailMessageId: string): Promise<void> {
    await this.db.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`inbound-email:${tenantId}:${emailMessageId}`]);
  }

  async findByEmailMessageId(tenantId: number, emailMessageId: string): Promise<ThreadMessageRef | null> {
    const rows = await this.db.query<ThreadMessageRef[]>(
      `SELECT ticket_id AS "ticketId", id AS "messageId" FROM ticket_messages WHERE tenant_id = $1 AND email_message_id = $2`,
      [tenantId, emailMessageId],
    );
    return rows[0] ?? null;
  }

  // The active ticket whose thread holds the latest of these Message-IDs (ours going out, or
  // the customer's coming in).
  async findTicketByEmailMessageIds(tenantId: number, emailMessageIds: readonly string[]): Promise<number | null> {
    if (emailMessageIds.length === 0) return null;
    const rows = await this.db.query<{ ticketId: number }[]>(
      `SELECT tm.ticket_id AS "ticketId"
         FROM ticket_messages tm JOIN tickets t ON t.tenant_id = tm.tenant_id AND t.id = tm.ticket_id
        WHERE tm.tenant_id = $1 AND tm.email_message_id = ANY($2::text[]) AND t.state = 'active'
        ORDER BY tm.id DESC LIMIT 1`,
      [tenantId, [...emailMessageIds]],
    );
    return rows[0]?.ticketId ?? null;
  }

  // One thread entry by the customer's contact, with its Message-ID.
  async insertCustomerMessage(tenantId: number, ticketId: number, contactId: number, message: InboundThreadMessage): Promise<number> {
    const [{ id }] = await this.db.query<{ id: number }[]>(
      `INSERT INTO ticket_messages (tenant_id, ticket_id, thread_type, message, edit_method, contact_id, cc, file_ids, email_message_id)
       VALUES ($1, $2, 'message', $3, $4, $5, $6::text[], $7::bigint[], $8)
       RETURNING id`,
      [tenantId, ticketId, message.message, message.editMethod, contactId, message.cc, message.fileIds, message.emailMessageId],
    );
    return id;
  }
}
