import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';

// How many earlier Message-IDs an email's References names: the thread's latest, oldest first.
const REFERENCES_CAP = 20;

// The thread's email columns (ticket_messages.email_*): the sending side's SQL.
@Injectable()
export class TicketEmailsRepository {
  constructor(private readonly db: Database) {}

  // Marks a thread message as queued to go out with this Message-ID, in the caller's transaction.
  async markQueued(tenantId: number, messageId: number, emailMessageId: string): Promise<void> {
    await this.db.query(
      `UPDATE ticket_messages SET email_message_id = $3, email_status = 'queued', email_error = NULL, email_sent_at = NULL
        WHERE tenant_id = $1 AND id = $2`,
      [tenantId, messageId, emailMessageId],
    );
  }

  // The Message-IDs of the ticket's thread before `beforeId` (all of it when null), oldest first,
  // the latest REFERENCES_CAP of them.
  async threadMessageIds(tenantId: number, ticketId: number, beforeId: number | null): Promise<string[]> {
    const rows = await this.db.query<{ email_message_id: string }[]>(
      `SELECT email_message_id FROM ticket_messages
        WHERE tenant_id = $1 AND ticket_id = $2 AND email_message_id IS NOT NULL AND ($3::bigint IS NULL OR id < $3)
        ORDER BY id DESC
        LIMIT $4`,
      [tenantId, ticketId, beforeId, REFERENCES_CAP],
    );
    return rows.map((r) => r.email_message_id).reverse();
  }

  // What became of the message's email: sent (when), or failed (why). A message sent stays sent.
  async recordOutcome(tenantId: number, messageId: number, outcome: { status: 'sent' | 'failed'; error: string | null }): Promise<void> {
    await this.db.query(
      `UPDATE ticket_messages
          SET email_status = $3, email_error = $4, email_sent_at = CASE WHEN $3 = 'sent' THEN now() ELSE NULL END
        WHERE tenant_id = $1 AND id = $2 AND email_status IS DISTINCT FROM 'sent'`,
      [tenantId, messageId, outcome.status, outcome.error === null ? null : outcome.error.slice(0, 1_024)],
    );
  }
}
