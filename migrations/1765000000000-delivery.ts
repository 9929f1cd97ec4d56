import { MigrationInterface, QueryRunner } from 'typeorm';

// Delivery out and in (docs/api.md, "Webhooks" and "Email"):
// - webhook subscriptions per tenant, their signing secrets sealed (they sign, so they cannot be
//   hashed) with SECRETS_KEY, a rotated-out secret kept until it expires;
// - webhook deliveries, one per event and subscription: the log the API lists, and the queue the
//   dispatcher claims from, in lanes (one conversation or ticket to one subscription) sent in order;
// - the outbox's live updates marked for the webhooks' fan-out, and each claim's holder, so that a
//   dispatcher that lost the database takes its own rows back at once;
// - email: the Message-ID of every thread message that went out or came in (threading, and a
//   duplicate inbound delivery stored once), its sending state, and each inbox's inbound secret;
// - the emails queued before this release that nothing sent: see the last statement.
export class Delivery1765000000000 implements MigrationInterface {
  name = 'Delivery1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);
    await run(`
      CREATE TABLE webhook_subscriptions (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        url text NOT NULL,
        events text[] NOT NULL,
        state text NOT NULL DEFAULT 'active',
        -- SecretBox-sealed 'whsec_…' secrets: the current one, and the one it replaced, which signs
        -- too until previous_secret_expires_at.
        secret_sealed text NOT NULL,
        previous_secret_sealed text NULL,
        previous_secret_expires_at timestamptz NULL,
        -- Since when every delivery attempt failed (null once one succeeds); and why it was disabled.
        failing_since timestamptz NULL,
        disabled_reason text NULL,
        disabled_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by bigint NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by bigint NULL,
        CONSTRAINT pk_webhook_subscriptions PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_webhook_subscriptions_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
        CONSTRAINT ck_webhook_subscriptions_url CHECK (length(url) BETWEEN 1 AND 2048),
        CONSTRAINT ck_webhook_subscriptions_events CHECK (cardinality(events) BETWEEN 1 AND 50),
        CONSTRAINT ck_webhook_subscriptions_state CHECK (state IN ('active', 'disabled', 'deleted')),
        CONSTRAINT ck_webhook_subscriptions_previous_secret
          CHECK ((previous_secret_sealed IS NULL) = (previous_secret_expires_at IS NULL))
      )`);
    // The fan-out looks up a tenant's active subscriptions.
    await run(`CREATE INDEX ix_webhook_subscriptions_active ON webhook_subscriptions (tenant_id, id) WHERE state = 'active'`);

    await run(`
      CREATE TABLE webhook_deliveries (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        subscription_id bigint NOT NULL,
        -- webhook-id: the same on every attempt of this delivery.
        message_id text NOT NULL,
        event text NOT NULL,
        -- What is delivered in order: 'conversation:{id}', 'ticket:{id}', or null (a ping: alone).
        lane text NULL,
        -- The outbox row it was fanned out from (null for a ping or a redelivery's copy).
        source_id bigint NULL,
        -- The body, {type, timestamp, data}, exactly as signed.
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        -- Due at (pending); while claimed, the claim's lease end.
        next_attempt_at timestamptz NULL DEFAULT now(),
        claimed_by text NULL,
        last_attempt_at timestamptz NULL,
        last_status_code integer NULL,
        last_duration_ms integer NULL,
        -- At most 1 KB of the receiver's answer, or what went wrong before one.
        last_response text NULL,
        last_error text NULL,
        delivered_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_webhook_deliveries PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_webhook_deliveries_subscription FOREIGN KEY (tenant_id, subscription_id) REFERENCES webhook_subscriptions (tenant_id, id),
        CONSTRAINT ck_webhook_deliveries_status CHECK (status IN ('pending', 'delivered', 'failed')),
        CONSTRAINT ck_webhook_deliveries_due CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL)),
        CONSTRAINT ck_webhook_deliveries_response CHECK (length(last_response) <= 1024),
        CONSTRAINT ck_webhook_deliveries_error CHECK (length(last_error) <= 1024)
      )`);
    await run(`CREATE INDEX ix_webhook_deliveries_subscription ON webhook_deliveries (tenant_id, subscription_id, id)`);
    // The dispatcher: due work across tenants, and each lane's head (its oldest pending delivery).
    await run(`CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at, tenant_id, id) WHERE status = 'pending'`);
    await run(`CREATE INDEX ix_webhook_deliveries_lane ON webhook_deliveries (tenant_id, subscription_id, lane, id) WHERE status = 'pending'`);
    // A fanned-out event is one delivery per subscription, however often the fan-out runs.
    await run(`CREATE UNIQUE INDEX uq_webhook_deliveries_source ON webhook_deliveries (tenant_id, subscription_id, source_id) WHERE source_id IS NOT NULL`);
    await run(`CREATE INDEX ix_webhook_deliveries_settled ON webhook_deliveries (created_at) WHERE status <> 'pending'`);

    // Live updates the webhooks' fan-out has still to read (the agents' rows only); and who holds
    // a claimed row.
    await run(`ALTER TABLE outbox ADD COLUMN webhooks_pending boolean NOT NULL DEFAULT false, ADD COLUMN claimed_by text NULL`);
    await run(`CREATE INDEX ix_outbox_webhooks_pending ON outbox (id) WHERE webhooks_pending`);

    // Email on the thread: its Message-ID (ours going out, the sender's coming in), whether it went.
    await run(`
      ALTER TABLE ticket_messages
        ADD COLUMN email_message_id text NULL,
        ADD COLUMN email_status text NULL,
        ADD COLUMN email_error text NULL,
        ADD COLUMN email_sent_at timestamptz NULL,
        ADD CONSTRAINT ck_ticket_messages_email_status CHECK (email_status IN ('queued', 'sent', 'failed')),
        ADD CONSTRAINT ck_ticket_messages_email_message_id CHECK (length(email_message_id) <= 998),
        ADD CONSTRAINT ck_ticket_messages_email_error CHECK (length(email_error) <= 1024)`);
    await run(`CREATE UNIQUE INDEX uq_ticket_messages_email_message_id ON ticket_messages (tenant_id, email_message_id) WHERE email_message_id IS NOT NULL`);

    // An inbox's secret for POST inbound/email.json, shown once: its lookup part and its hash.
    await run(`ALTER TABLE inboxes ADD COLUMN inbound_secret_lookup text NULL, ADD COLUMN inbound_secret_hash bytea NULL`);
    await run(`CREATE UNIQUE INDEX uq_inboxes_inbound_secret_lookup ON inboxes (inbound_secret_lookup) WHERE inbound_secret_lookup IS NOT NULL`);

    // The emails queued before email was sent at all: a customer notification or a scheduled email
    // due more than a day ago is given up (its moment has passed, and sending it now would surprise);
    // the rest (due within the last day, or later) is sent by the email dispatcher.
    await run(`
      UPDATE outbox
         SET failed_at = now(), last_error = 'expired: queued before email was sent, and due more than a day before it was'
       WHERE topic IN ('ticket.customer_notification', 'ticket.scheduled_email')
         AND delivered_at IS NULL AND failed_at IS NULL AND available_at < now() - interval '1 day'`);

    // ---- Live updates in order (the dispatcher's claim) ----
    // The pending rows in id order: a claim walks them lowest id first and stops at its batch,
    // rather than sort the whole backlog.
    await run(`CREATE INDEX ix_outbox_pending ON outbox (topic, id) WHERE delivered_at IS NULL AND failed_at IS NULL`);

    // ---- Live updates: a claim per tenant (review fix H1) ----
    // Each tenant's pending rows in id order: a claim visits the tenants with pending rows (a skip
    // scan) and takes each one's head, so rows of tenants held by others never fill its walk.
    await run(`CREATE INDEX ix_outbox_pending_tenant ON outbox (topic, tenant_id, id) WHERE delivered_at IS NULL AND failed_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);
    // ---- Live updates: a claim per tenant ----
    await run(`DROP INDEX ix_outbox_pending_tenant`);

    // ---- Live updates in order ----
    await run(`DROP INDEX ix_outbox_pending`);

    await run(`DROP INDEX uq_inboxes_inbound_secret_lookup`);
    await run(`ALTER TABLE inboxes DROP COLUMN inbound_secret_hash, DROP COLUMN inbound_secret_lookup`);
    await run(`DROP INDEX uq_ticket_messages_email_message_id`);
    await run(`
      ALTER TABLE ticket_messages
        DROP CONSTRAINT ck_ticket_messages_email_error,
        DROP CONSTRAINT ck_ticket_messages_email_message_id,
        DROP CONSTRAINT ck_ticket_messages_email_status,
        DROP COLUMN email_sent_at, DROP COLUMN email_error, DROP COLUMN email_status, DROP COLUMN email_message_id`);
    await run(`DROP INDEX ix_outbox_webhooks_pending`);
    await run(`ALTER TABLE outbox DROP COLUMN claimed_by, DROP COLUMN webhooks_pending`);
    await run(`DROP TABLE webhook_deliveries`);
    await run(`DROP TABLE webhook_subscriptions`);
  }
}
