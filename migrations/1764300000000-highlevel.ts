import { MigrationInterface, QueryRunner } from 'typeorm';

// What HighLevel's Conversations API shows and the Desk model lacked, stored for real:
// - conversations: `unread_count` (the customer's messages since an agent last read or replied),
//   `starred`, `inbox` (false while deleted), `type` (HighLevel's channel number; 1, Phone, is the
//   one that carries live chat) and `feedback` (an object a client stores with PUT; the service
//   takes 16 KB of JSON, which jsonb's text, with its spaces, writes in at most half again);
// - messages: `direction` (inbound from the customer, outbound from an agent: a function of the
//   author, so generated and never out of step), `status` (delivered when a customer's message
//   arrives, sent when an agent's goes out), `message_type` (HighLevel's TYPE_* name) and `source`
//   (api for REST in either dialect, app for the live-chat widget through Pusher's webhooks).
export class HighLevel1764300000000 implements MigrationInterface {
  name = 'HighLevel1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);
    await run(`
      ALTER TABLE conversations
        ADD COLUMN unread_count integer NOT NULL DEFAULT 0,
        ADD COLUMN starred boolean NOT NULL DEFAULT false,
        ADD COLUMN inbox boolean NOT NULL DEFAULT true,
        ADD COLUMN type smallint NOT NULL DEFAULT 1,
        ADD COLUMN feedback jsonb NULL,
        ADD CONSTRAINT ck_conversations_unread_count CHECK (unread_count >= 0),
        ADD CONSTRAINT ck_conversations_type CHECK (type BETWEEN 1 AND 6),
        ADD CONSTRAINT ck_conversations_feedback CHECK (jsonb_typeof(feedback) = 'object' AND octet_length(feedback::text) <= 32768)`);
    await run(`UPDATE conversations SET inbox = false WHERE state = 'deleted'`);
    // Backfill: customer messages after the conversation's latest agent message are unread.
    await run(`
      UPDATE conversations c SET unread_count = u.n
        FROM (SELECT m.tenant_id, m.conversation_id, count(*)::int AS n
                FROM conversation_messages m
               WHERE m.contact_id IS NOT NULL AND m.state = 'active'
                 AND NOT EXISTS (
                   SELECT 1 FROM conversation_messages a
                    WHERE a.tenant_id = m.tenant_id AND a.conversation_id = m.conversation_id
                      AND a.user_id IS NOT NULL AND (a.created_at, a.id) > (m.created_at, m.id))
               GROUP BY m.tenant_id, m.conversation_id) u
       WHERE c.tenant_id = u.tenant_id AND c.id = u.conversation_id`);
    await run(`CREATE INDEX ix_conversations_starred ON conversations (tenant_id, id) WHERE starred`);

    await run(`
      ALTER TABLE conversation_messages
        ADD COLUMN direction text GENERATED ALWAYS AS (CASE WHEN contact_id IS NULL THEN 'outbound' ELSE 'inbound' END) STORED,
        ADD COLUMN status text NOT NULL DEFAULT 'delivered',
        ADD COLUMN message_type text NOT NULL DEFAULT 'TYPE_LIVE_CHAT',
        ADD COLUMN source text NOT NULL DEFAULT 'api',
        ADD CONSTRAINT ck_conversation_messages_status CHECK (status IN ('pending', 'sent', 'delivered', 'read', 'failed')),
        ADD CONSTRAINT ck_conversation_messages_message_type CHECK (message_type IN ('TYPE_LIVE_CHAT', 'TYPE_CUSTOM_PROVIDER_SMS')),
        ADD CONSTRAINT ck_conversation_messages_source CHECK (source IN ('api', 'app'))`);
    await run(`UPDATE conversation_messages SET status = 'sent' WHERE user_id IS NOT NULL`);
    // Widget messages came through Pusher's webhooks, which recorded every message event.
    await run(`
      UPDATE conversation_messages m SET source = 'app'
        FROM webhook_events e
       WHERE e.outcome = 'message' AND e.tenant_id = m.tenant_id AND e.conversation_id = m.conversation_id
         AND e.dedupe_key = 'message:' || m.conversation_id || ':' || m.client_message_id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE conversation_messages DROP COLUMN source, DROP COLUMN message_type, DROP COLUMN status, DROP COLUMN direction`,
    );
    await queryRunner.query(`DROP INDEX ix_conversations_starred`);
    await queryRunner.query(
      `ALTER TABLE conversations DROP COLUMN feedback, DROP COLUMN type, DROP COLUMN inbox, DROP COLUMN starred, DROP COLUMN unread_count`,
    );
  }
}
