import { MigrationInterface, QueryRunner } from 'typeorm';

const audit = (table: string) => `
  state text NOT NULL DEFAULT 'active',
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by bigint NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by bigint NULL,
  deleted_at timestamptz NULL,
  deleted_by bigint NULL,
  CONSTRAINT ck_${table}_state CHECK (state IN ('active', 'deleted')),
  CONSTRAINT ck_${table}_deleted CHECK ((state = 'deleted') = (deleted_at IS NOT NULL))`;

// Conversation messages, attachments, idempotency keys, and the indexes the lists order and
// filter by. Every list index leads with tenant_id and ends with its order key and id, so a
// page reached by cursor costs what the first page costs.
export class MessagesCustomersFiles1763900000000 implements MigrationInterface {
  name = 'MessagesCustomersFiles1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);

    await run(`ALTER TABLE conversations ADD COLUMN last_message_at timestamptz NULL`);
    for (const column of ['last_message_at', 'ticket_id', 'deleted_at', 'state']) {
      await run(`CREATE INDEX ix_conversations_${column} ON conversations (tenant_id, ${column}, id)`);
    }

    await run(`
      CREATE TABLE files (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        filename text NOT NULL,
        mime_type text NOT NULL,
        size bigint NOT NULL,
        sha256 text NOT NULL,
        storage_key text NOT NULL,
        ${audit('files')},
        CONSTRAINT pk_files PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_files_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
        CONSTRAINT ck_files_filename CHECK (length(filename) BETWEEN 1 AND 255),
        CONSTRAINT ck_files_size CHECK (size >= 0),
        CONSTRAINT ck_files_sha256 CHECK (sha256 ~ '^[0-9a-f]{64}$')
      )`);
    await run(`CREATE INDEX ix_files_created ON files (tenant_id, created_at, id)`);

    await run(`
      CREATE TABLE conversation_messages (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        conversation_id bigint NOT NULL,
        user_id bigint NULL,
        contact_id bigint NULL,
        message text NOT NULL DEFAULT '',
        client_message_id text NULL,
        -- Attachments, in order: files of the same tenant, checked on write (files are never hard-deleted).
        file_ids bigint[] NOT NULL DEFAULT '{}',
        ${audit('conversation_messages')},
        CONSTRAINT pk_conversation_messages PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_conversation_messages_conversation FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id),
        CONSTRAINT fk_conversation_messages_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
        CONSTRAINT fk_conversation_messages_contact FOREIGN KEY (tenant_id, contact_id) REFERENCES customer_contacts (tenant_id, id),
        CONSTRAINT ck_conversation_messages_author CHECK ((user_id IS NULL) <> (contact_id IS NULL)),
        CONSTRAINT ck_conversation_messages_message CHECK (length(message) <= 65536),
        CONSTRAINT ck_conversation_messages_client_id CHECK (length(client_message_id) BETWEEN 1 AND 128),
        CONSTRAINT ck_conversation_messages_files CHECK (cardinality(file_ids) <= 20)
      )`);
    // A client's retry of the same message is the same row: the dedupe key of the API and of Pusher.
    await run(
      `CREATE UNIQUE INDEX uq_conversation_messages_client_id ON conversation_messages (tenant_id, conversation_id, client_message_id)
        WHERE client_message_id IS NOT NULL`,
    );
    await run(`CREATE INDEX ix_conversation_messages_conversation ON conversation_messages (tenant_id, conversation_id, created_at, id)`);
    await run(`CREATE INDEX ix_conversation_messages_created ON conversation_messages (tenant_id, created_at, id)`);
    await run(`CREATE INDEX ix_conversation_messages_updated ON conversation_messages (tenant_id, updated_at, id)`);
    // Exactly one of the authors is set, so each index holds only the rows it can serve.
    await run(
      `CREATE INDEX ix_conversation_messages_user ON conversation_messages (tenant_id, user_id, created_at, id) WHERE user_id IS NOT NULL`,
    );
    await run(
      `CREATE INDEX ix_conversation_messages_contact ON conversation_messages (tenant_id, contact_id, created_at, id) WHERE contact_id IS NOT NULL`,
    );
    // The audit filters. Partial, so rows without the value (a widget's messages have no agent
    // behind them; active rows were never deleted) cost these indexes nothing.
    for (const column of ['created_by', 'updated_by', 'deleted_by', 'deleted_at']) {
      await run(
        `CREATE INDEX ix_conversation_messages_${column} ON conversation_messages (tenant_id, ${column}, id) WHERE ${column} IS NOT NULL`,
      );
    }

    // Customers: every field the list filters or orders by.
    await run(`CREATE INDEX ix_customers_updated ON customers (tenant_id, updated_at, id)`);
    await run(`CREATE INDEX ix_customers_first_name ON customers (tenant_id, first_name, id)`);
    await run(`CREATE INDEX ix_customers_last_name ON customers (tenant_id, last_name, id)`);
    await run(`CREATE INDEX ix_customers_email ON customers (tenant_id, lower(email), id)`);
    await run(`CREATE INDEX ix_customers_organization ON customers (tenant_id, organization, id)`);
    await run(`CREATE INDEX ix_customers_external_id ON customers (tenant_id, external_id, id)`);
    // The customers list's `contacts.value` filter looks values up whatever their type.
    await run(`CREATE INDEX ix_customer_contacts_value ON customer_contacts (tenant_id, lower(value)) WHERE state = 'active'`);
    // Exactly one main contact per type and customer: at most one here, at least one in the service.
    await run(
      `CREATE UNIQUE INDEX uq_customer_contacts_main ON customer_contacts (tenant_id, customer_id, type)
        WHERE is_main AND state = 'active'`,
    );

    await run(`CREATE INDEX ix_users_created ON users (tenant_id, created_at, id)`);

    // One row per tenant and Idempotency-Key, written in the same transaction as the work it
    // guards, so a key is executed once even across processes and crashes.
    await run(`
      CREATE TABLE idempotency_keys (
        tenant_id bigint NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        response_status integer NULL,
        response_body text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_idempotency_keys PRIMARY KEY (tenant_id, key),
        CONSTRAINT fk_idempotency_keys_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
        CONSTRAINT ck_idempotency_keys_key CHECK (length(key) BETWEEN 1 AND 255)
      )`);
    // Expired keys are purged by age, across tenants.
    await run(`CREATE INDEX ix_idempotency_keys_created ON idempotency_keys (created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);
    await run(`DROP TABLE idempotency_keys`);
    await run(`DROP INDEX ix_users_created`);
    await run(`DROP INDEX uq_customer_contacts_main`);
    await run(`DROP INDEX ix_customer_contacts_value`);
    for (const column of ['updated', 'first_name', 'last_name', 'email', 'organization', 'external_id']) {
      await run(`DROP INDEX ix_customers_${column}`);
    }
    await run(`DROP TABLE conversation_messages`);
    await run(`DROP TABLE files`);
    for (const column of ['last_message_at', 'ticket_id', 'deleted_at', 'state']) await run(`DROP INDEX ix_conversations_${column}`);
    await run(`ALTER TABLE conversations DROP COLUMN last_message_at`);
  }
}
