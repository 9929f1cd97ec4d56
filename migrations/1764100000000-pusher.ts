import { MigrationInterface, QueryRunner } from 'typeorm';

// Pusher: the events its webhooks delivered (each stored once), who is on a conversation's
// channels, and the outbox's live updates to send.
export class Pusher1764100000000 implements MigrationInterface {
  name = 'Pusher1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);

    // A webhook names a conversation by its channel, `private-conversation-{id}`, without a tenant.
    // Ids come from one identity, so they are unique across tenants already; this makes it findable.
    await run(`CREATE UNIQUE INDEX uq_conversations_id ON conversations (id)`);

    // Whether the widget is subscribed (channel_occupied / channel_vacated), and as of when: an event
    // older than the one recorded changes nothing, whatever order Pusher delivers them in.
    await run(`
      ALTER TABLE conversations
        ADD COLUMN widget_online boolean NOT NULL DEFAULT false,
        ADD COLUMN widget_online_at timestamptz NULL`);

    // Who is on a conversation's presence channel (member_added / member_removed): agents as
    // `user-{id}`, the customer's contacts as `contact-{id}`.
    await run(`
      CREATE TABLE conversation_members (
        tenant_id bigint NOT NULL,
        conversation_id bigint NOT NULL,
        member text NOT NULL,
        online boolean NOT NULL,
        changed_at timestamptz NOT NULL,
        CONSTRAINT pk_conversation_members PRIMARY KEY (tenant_id, conversation_id, member),
        CONSTRAINT fk_conversation_members_conversation FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id),
        CONSTRAINT ck_conversation_members_member CHECK (member ~ '^(user|contact)-[0-9]{1,19}$')
      )`);

    // Every event a webhook delivered, once: the unique dedupe key is what makes a batch sent again,
    // in part, reordered, or to two processes at once, change nothing the second time. Events of
    // channels that are not ours have no tenant.
    await run(`
      CREATE TABLE webhook_events (
        tenant_id bigint NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        dedupe_key text NOT NULL,
        conversation_id bigint NULL,
        name text NOT NULL,
        channel text NULL,
        event text NULL,
        user_id text NULL,
        socket_id text NULL,
        data text NULL,
        time_ms bigint NOT NULL,
        outcome text NOT NULL,
        reason text NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_webhook_events PRIMARY KEY (id),
        CONSTRAINT fk_webhook_events_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
        CONSTRAINT ck_webhook_events_outcome CHECK (outcome IN ('message', 'applied', 'ignored')),
        CONSTRAINT ck_webhook_events_tenant CHECK ((conversation_id IS NULL) OR (tenant_id IS NOT NULL))
      )`);
    await run(`CREATE UNIQUE INDEX uq_webhook_events_dedupe_key ON webhook_events (dedupe_key)`);
    await run(`CREATE INDEX ix_webhook_events_conversation ON webhook_events (tenant_id, conversation_id, id) WHERE conversation_id IS NOT NULL`);
    // Past the retry window a replay is refused by its time_ms, so older keys can be swept.
    await run(`CREATE INDEX ix_webhook_events_received ON webhook_events (received_at)`);

    // The outbox now also carries live updates for Pusher; a send that can never succeed is given
    // up (failed_at) instead of retried for ever.
    await run(`
      ALTER TABLE outbox
        ADD COLUMN last_error text NULL,
        ADD COLUMN failed_at timestamptz NULL`);
    await run(`DROP INDEX ix_outbox_due`);
    // A dispatcher picks due work of its topic across tenants, so this index cannot lead with tenant_id.
    await run(`CREATE INDEX ix_outbox_due ON outbox (topic, available_at, id) WHERE delivered_at IS NULL AND failed_at IS NULL`);
    await run(`CREATE INDEX ix_outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);
    await run(`DROP INDEX ix_outbox_delivered`);
    await run(`DROP INDEX ix_outbox_due`);
    await run(`CREATE INDEX ix_outbox_due ON outbox (available_at, tenant_id, id) WHERE delivered_at IS NULL`);
    await run(`ALTER TABLE outbox DROP COLUMN failed_at, DROP COLUMN last_error`);
    await run(`DROP TABLE webhook_events`);
    await run(`DROP TABLE conversation_members`);
    await run(`ALTER TABLE conversations DROP COLUMN widget_online_at, DROP COLUMN widget_online`);
    await run(`DROP INDEX uq_conversations_id`);
  }
}
