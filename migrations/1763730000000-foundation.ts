import { MigrationInterface, QueryRunner } from 'typeorm';

// Audit columns every entity carries; deletes are soft (state = 'deleted').
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

export class Foundation1763730000000 implements MigrationInterface {
  name = 'Foundation1763730000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenants (
        id bigint GENERATED ALWAYS AS IDENTITY,
        name text NOT NULL,
        ${audit('tenants')},
        CONSTRAINT pk_tenants PRIMARY KEY (id),
        CONSTRAINT ck_tenants_name CHECK (length(name) BETWEEN 1 AND 200)
      )`);

    // Tenant-owned tables lead with tenant_id, in their keys too, so they can be distributed by it
    // and no foreign key can cross from one tenant to another.
    await queryRunner.query(`
      CREATE TABLE users (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        email text NOT NULL,
        first_name text NOT NULL DEFAULT '',
        last_name text NOT NULL DEFAULT '',
        role text NOT NULL DEFAULT 'agent',
        ${audit('users')},
        CONSTRAINT pk_users PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_users_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
        CONSTRAINT ck_users_role CHECK (role IN ('admin', 'agent'))
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX uq_users_email ON users (tenant_id, lower(email)) WHERE state = 'active'`,
    );

    await queryRunner.query(`
      CREATE TABLE api_keys (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        user_id bigint NOT NULL,
        name text NOT NULL DEFAULT '',
        lookup text NOT NULL,
        secret_hash bytea NOT NULL,
        last_used_at timestamptz NULL,
        ${audit('api_keys')},
        CONSTRAINT pk_api_keys PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_api_keys_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
      )`);
    // A request is authenticated before its tenant is known, so this one index cannot lead with it.
    await queryRunner.query(`CREATE UNIQUE INDEX uq_api_keys_lookup ON api_keys (lookup)`);
    await queryRunner.query(`CREATE INDEX ix_api_keys_user ON api_keys (tenant_id, user_id)`);

    await queryRunner.query(`
      CREATE TABLE customers (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        first_name text NOT NULL DEFAULT '',
        last_name text NOT NULL DEFAULT '',
        email text NULL,
        organization text NULL,
        extra_data text NULL,
        notes text NULL,
        phone text NULL,
        mobile text NULL,
        address text NULL,
        external_id text NULL,
        job_title text NULL,
        ${audit('customers')},
        CONSTRAINT pk_customers PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_customers_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
      )`);
    await queryRunner.query(`CREATE INDEX ix_customers_created ON customers (tenant_id, created_at, id)`);

    await queryRunner.query(`
      CREATE TABLE customer_contacts (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        customer_id bigint NOT NULL,
        type text NOT NULL,
        value text NOT NULL,
        is_main boolean NOT NULL DEFAULT false,
        ${audit('customer_contacts')},
        CONSTRAINT pk_customer_contacts PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_customer_contacts_customer FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
        CONSTRAINT ck_customer_contacts_type CHECK (type IN ('email', 'phone', 'mobile', 'facebook', 'twitter', 'other')),
        CONSTRAINT ck_customer_contacts_value CHECK (length(value) BETWEEN 1 AND 320)
      )`);
    // One active owner per contact value: find-or-create by (type, value) relies on it.
    await queryRunner.query(
      `CREATE UNIQUE INDEX uq_customer_contacts_value ON customer_contacts (tenant_id, type, lower(value)) WHERE state = 'active'`,
    );
    await queryRunner.query(`CREATE INDEX ix_customer_contacts_customer ON customer_contacts (tenant_id, customer_id)`);

    await queryRunner.query(`
      CREATE TABLE conversations (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        contact_id bigint NOT NULL,
        socket_id text NULL,
        ticket_id bigint NULL,
        token_lookup text NULL,
        token_hash bytea NULL,
        token_issued_at timestamptz NULL,
        ${audit('conversations')},
        CONSTRAINT pk_conversations PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_conversations_contact FOREIGN KEY (tenant_id, contact_id) REFERENCES customer_contacts (tenant_id, id),
        CONSTRAINT ck_conversations_token CHECK ((token_lookup IS NULL) = (token_hash IS NULL)),
        CONSTRAINT ck_conversations_socket_id CHECK (length(socket_id) <= 200)
      )`);
    // The widget presents only its token, so the token's lookup part is found across tenants.
    await queryRunner.query(`CREATE UNIQUE INDEX uq_conversations_token_lookup ON conversations (token_lookup)`);
    await queryRunner.query(`CREATE INDEX ix_conversations_created ON conversations (tenant_id, created_at, id)`);
    await queryRunner.query(`CREATE INDEX ix_conversations_updated ON conversations (tenant_id, updated_at, id)`);
    await queryRunner.query(`CREATE INDEX ix_conversations_contact ON conversations (tenant_id, contact_id, id)`);

    await queryRunner.query(`
      CREATE TABLE conversation_users (
        tenant_id bigint NOT NULL,
        conversation_id bigint NOT NULL,
        user_id bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by bigint NULL,
        CONSTRAINT pk_conversation_users PRIMARY KEY (tenant_id, conversation_id, user_id),
        CONSTRAINT fk_conversation_users_conversation FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id),
        CONSTRAINT fk_conversation_users_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
      )`);
    await queryRunner.query(`CREATE INDEX ix_conversation_users_user ON conversation_users (tenant_id, user_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['conversation_users', 'conversations', 'customer_contacts', 'customers', 'api_keys', 'users', 'tenants']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
