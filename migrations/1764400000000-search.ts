import { MigrationInterface, QueryRunner } from 'typeorm';

// HighLevel's search (`query` over the contact's name, email, phone and the last message) through
// indexes instead of reading every conversation (bench: 3.5 s at 100,000 conversations):
// - trigram indexes (pg_trgm, a trusted extension a database owner may create) serve ILIKE
//   '%term%' on a customer's search text, on contact values, and on a conversation's last message;
// - `last_message_text`, the latest active message's text, kept with `last_message_at` by the
//   statements that already touch the conversation, so the last message is not looked up per row;
// - the search's order, whole milliseconds of the last activity (UTC) then id, as an index.
export class Search1764400000000 implements MigrationInterface {
  name = 'Search1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);
    await run(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await run(`ALTER TABLE conversations ADD COLUMN last_message_text text NULL`);
    await run(`
      UPDATE conversations c SET last_message_text = lm.message
        FROM (SELECT DISTINCT ON (tenant_id, conversation_id) tenant_id, conversation_id, message
                FROM conversation_messages WHERE state = 'active'
               ORDER BY tenant_id, conversation_id, created_at DESC, id DESC) lm
       WHERE c.tenant_id = lm.tenant_id AND c.id = lm.conversation_id`);
    await run(`CREATE INDEX ix_customers_search ON customers USING gin ((${CUSTOMER_SEARCH_TEXT}) gin_trgm_ops)`);
    await run(`CREATE INDEX ix_customer_contacts_search ON customer_contacts USING gin (value gin_trgm_ops) WHERE state = 'active'`);
    await run(`CREATE INDEX ix_conversations_last_message_text ON conversations USING gin (last_message_text gin_trgm_ops)`);
    await run(`CREATE INDEX ix_conversations_search_order ON conversations (tenant_id, (${SEARCH_ORDER}), id) WHERE state = 'active'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const index of ['ix_conversations_search_order', 'ix_conversations_last_message_text', 'ix_customer_contacts_search', 'ix_customers_search']) {
      await queryRunner.query(`DROP INDEX ${index}`);
    }
    await queryRunner.query(`ALTER TABLE conversations DROP COLUMN last_message_text`);
  }
}

// The expressions the indexes are built on; the search repeats them word for word so the planner
// matches them (apps/api/src/highlevel/highlevel.repository.ts). Fields are joined by U+001F, which
// no search term holds, so a term never matches across two fields.
const CUSTOMER_SEARCH_TEXT = `first_name || ' ' || last_name || E'\\x1f' || coalesce(email, '') || E'\\x1f' || coalesce(phone, '') || E'\\x1f' || coalesce(mobile, '')`;
const SEARCH_ORDER = `date_trunc('milliseconds', coalesce(last_message_at, created_at) AT TIME ZONE 'UTC')`;
