import { MigrationInterface, QueryRunner } from 'typeorm';

// Keys that can no longer be served to someone else (issue 18):
// - idempotency_keys belong to an API key, not to the tenant: two keys choosing the same
//   Idempotency-Key each execute once, and a stored answer is replayed only to the key that
//   caused it. Stored answers are a 24-hour cache; the ones of the old scope are dropped.
// - a clientMessageId is unique per side of the conversation (`direction`: inbound from the
//   customer, outbound from an agent), so the customer cannot squat an id an agent will send.
//   The webhook's dedupe key of a message names the side too; recorded ones are renamed to match.
// - a webhook event whose clientMessageId was used for another message is recorded as a conflict.
export class ScopedIdempotency1764600000000 implements MigrationInterface {
  name = 'ScopedIdempotency1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);
    await run(`DELETE FROM idempotency_keys`);
    await run(`
      ALTER TABLE idempotency_keys
        ADD COLUMN api_key_id bigint NOT NULL,
        DROP CONSTRAINT pk_idempotency_keys,
        ADD CONSTRAINT pk_idempotency_keys PRIMARY KEY (tenant_id, api_key_id, key),
        ADD CONSTRAINT fk_idempotency_keys_api_key FOREIGN KEY (tenant_id, api_key_id) REFERENCES api_keys (tenant_id, id) ON DELETE CASCADE`);

    await run(`DROP INDEX uq_conversation_messages_client_id`);
    await run(
      `CREATE UNIQUE INDEX uq_conversation_messages_client_id ON conversation_messages (tenant_id, conversation_id, direction, client_message_id)
        WHERE client_message_id IS NOT NULL`,
    );
    await run(`
      UPDATE webhook_events e SET dedupe_key = 'message:' || m.conversation_id || ':' || m.direction || ':' || m.client_message_id
        FROM conversation_messages m
       WHERE e.outcome = 'message' AND e.tenant_id = m.tenant_id AND e.conversation_id = m.conversation_id
         AND e.dedupe_key = 'message:' || m.conversation_id || ':' || m.client_message_id`);
    await run(`ALTER TABLE webhook_events DROP CONSTRAINT ck_webhook_events_outcome`);
    await run(`ALTER TABLE webhook_events ADD CONSTRAINT ck_webhook_events_outcome CHECK (outcome IN ('message', 'applied', 'ignored', 'conflict'))`);
  }

  // Fails, as it should, where both sides of a conversation used one clientMessageId.
  async down(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);
    await run(`DELETE FROM webhook_events WHERE outcome = 'conflict'`);
    await run(`ALTER TABLE webhook_events DROP CONSTRAINT ck_webhook_events_outcome`);
    await run(`ALTER TABLE webhook_events ADD CONSTRAINT ck_webhook_events_outcome CHECK (outcome IN ('message', 'applied', 'ignored'))`);
    await run(`
      UPDATE webhook_events e SET dedupe_key = 'message:' || m.conversation_id || ':' || m.client_message_id
        FROM conversation_messages m
       WHERE e.outcome = 'message' AND e.tenant_id = m.tenant_id AND e.conversation_id = m.conversation_id
         AND e.dedupe_key = 'message:' || m.conversation_id || ':' || m.direction || ':' || m.client_message_id`);
    await run(`DROP INDEX uq_conversation_messages_client_id`);
    await run(
      `CREATE UNIQUE INDEX uq_conversation_messages_client_id ON conversation_messages (tenant_id, conversation_id, client_message_id)
        WHERE client_message_id IS NOT NULL`,
    );
    await run(`DELETE FROM idempotency_keys`);
    await run(`
      ALTER TABLE idempotency_keys
        DROP CONSTRAINT fk_idempotency_keys_api_key,
        DROP CONSTRAINT pk_idempotency_keys,
        DROP COLUMN api_key_id,
        ADD CONSTRAINT pk_idempotency_keys PRIMARY KEY (tenant_id, key)`);
  }
}
