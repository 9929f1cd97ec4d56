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

// The tenant's ticket settings that share one shape: a name, an optional system code (what the
// service looks defaults up by: the status "active", the source "chat"), and at most one default.
const SETTINGS = ['inboxes', 'ticket_statuses', 'ticket_priorities', 'ticket_types', 'ticket_sources'] as const;

const settingsColumns = (table: string) => `
  tenant_id bigint NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  name text NOT NULL,
  code text NULL,
  color text NULL,
  display_order integer NOT NULL DEFAULT 0,
  is_default boolean NOT NULL DEFAULT false,
  ${audit(table)},
  CONSTRAINT pk_${table} PRIMARY KEY (tenant_id, id),
  CONSTRAINT fk_${table}_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
  CONSTRAINT ck_${table}_name CHECK (length(name) BETWEEN 1 AND 200),
  CONSTRAINT ck_${table}_code CHECK (code ~ '^[a-z0-9-]{1,50}$'),
  CONSTRAINT ck_${table}_color CHECK (color ~ '^#[0-9a-fA-F]{6}$')`;

const uniqueNames = (table: string) => [
  `CREATE UNIQUE INDEX uq_${table}_name ON ${table} (tenant_id, lower(name)) WHERE state = 'active'`,
  `CREATE INDEX ix_${table}_order ON ${table} (tenant_id, display_order, id)`,
];

// Tickets and their threads, the tenant's ticket settings (created with defaults for every tenant,
// old and new), ticket templates, and the outbox of emails to send.
export class Tickets1764000000000 implements MigrationInterface {
  name = 'Tickets1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);

    for (const table of SETTINGS) {
      const inboxColumns =
        table === 'inboxes'
          ? `,
             email text NULL,
             -- The addresses notifications may be sent from (sendFrom); the inbox's own email counts too.
             aliases text[] NOT NULL DEFAULT '{}',
             CONSTRAINT ck_inboxes_aliases CHECK (cardinality(aliases) <= 50)`
          : '';
      await run(`CREATE TABLE ${table} (${settingsColumns(table)}${inboxColumns})`);
      for (const sql of uniqueNames(table)) await run(sql);
      await run(`CREATE UNIQUE INDEX uq_${table}_code ON ${table} (tenant_id, code) WHERE code IS NOT NULL AND state = 'active'`);
      await run(`CREATE UNIQUE INDEX uq_${table}_default ON ${table} (tenant_id) WHERE is_default AND state = 'active'`);
    }

    await run(`
      CREATE TABLE tags (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        name text NOT NULL,
        color text NULL,
        ${audit('tags')},
        CONSTRAINT pk_tags PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_tags_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
        CONSTRAINT ck_tags_name CHECK (length(name) BETWEEN 1 AND 100),
        CONSTRAINT ck_tags_color CHECK (color ~ '^#[0-9a-fA-F]{6}$')
      )`);
    // Tags named in a ticket body are found or created by name: this index decides races.
    await run(`CREATE UNIQUE INDEX uq_tags_name ON tags (tenant_id, lower(name)) WHERE state = 'active'`);

    await run(`
      CREATE TABLE custom_fields (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        name text NOT NULL,
        type text NOT NULL,
        -- The allowed values of dropdown and multiselect fields.
        options text[] NOT NULL DEFAULT '{}',
        display_order integer NOT NULL DEFAULT 0,
        ${audit('custom_fields')},
        CONSTRAINT pk_custom_fields PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_custom_fields_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
        CONSTRAINT ck_custom_fields_name CHECK (length(name) BETWEEN 1 AND 200),
        CONSTRAINT ck_custom_fields_type CHECK (type IN ('text', 'textarea', 'number', 'date', 'checkbox', 'dropdown', 'multiselect')),
        CONSTRAINT ck_custom_fields_options CHECK (cardinality(options) <= 500)
      )`);
    for (const sql of uniqueNames('custom_fields')) await run(sql);

    await run(`
      CREATE TABLE tickets (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        subject text NOT NULL,
        preview_text text NOT NULL DEFAULT '',
        customer_id bigint NOT NULL,
        contact_id bigint NULL,
        agent_id bigint NULL,
        inbox_id bigint NOT NULL,
        status_id bigint NOT NULL,
        priority_id bigint NULL,
        type_id bigint NULL,
        source_id bigint NULL,
        parent_id bigint NULL,
        conversation_id bigint NULL,
        cc text[] NOT NULL DEFAULT '{}',
        bcc text[] NOT NULL DEFAULT '{}',
        file_ids bigint[] NOT NULL DEFAULT '{}',
        edit_method text NOT NULL DEFAULT 'html',
        send_from text NULL,
        is_read boolean NOT NULL DEFAULT false,
        message_count integer NOT NULL DEFAULT 0,
        ${audit('tickets')},
        CONSTRAINT pk_tickets PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_tickets_customer FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
        CONSTRAINT fk_tickets_contact FOREIGN KEY (tenant_id, contact_id) REFERENCES customer_contacts (tenant_id, id),
        CONSTRAINT fk_tickets_agent FOREIGN KEY (tenant_id, agent_id) REFERENCES users (tenant_id, id),
        CONSTRAINT fk_tickets_inbox FOREIGN KEY (tenant_id, inbox_id) REFERENCES inboxes (tenant_id, id),
        CONSTRAINT fk_tickets_status FOREIGN KEY (tenant_id, status_id) REFERENCES ticket_statuses (tenant_id, id),
        CONSTRAINT fk_tickets_priority FOREIGN KEY (tenant_id, priority_id) REFERENCES ticket_priorities (tenant_id, id),
        CONSTRAINT fk_tickets_type FOREIGN KEY (tenant_id, type_id) REFERENCES ticket_types (tenant_id, id),
        CONSTRAINT fk_tickets_source FOREIGN KEY (tenant_id, source_id) REFERENCES ticket_sources (tenant_id, id),
        CONSTRAINT fk_tickets_parent FOREIGN KEY (tenant_id, parent_id) REFERENCES tickets (tenant_id, id),
        CONSTRAINT fk_tickets_conversation FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id),
        CONSTRAINT ck_tickets_subject CHECK (length(subject) BETWEEN 1 AND 500),
        CONSTRAINT ck_tickets_edit_method CHECK (edit_method IN ('html', 'markdown')),
        CONSTRAINT ck_tickets_parent CHECK (parent_id <> id),
        CONSTRAINT ck_tickets_addresses CHECK (cardinality(cc) <= 50 AND cardinality(bcc) <= 50),
        CONSTRAINT ck_tickets_files CHECK (cardinality(file_ids) <= 20)
      )`);
    // A conversation becomes at most one ticket, whatever races the service loses.
    await run(`CREATE UNIQUE INDEX uq_tickets_conversation ON tickets (tenant_id, conversation_id) WHERE conversation_id IS NOT NULL`);
    await run(`CREATE INDEX ix_tickets_created ON tickets (tenant_id, created_at, id)`);
    await run(`CREATE INDEX ix_tickets_updated ON tickets (tenant_id, updated_at, id)`);
    // The list's filters, each ordered as the list is by default.
    for (const column of ['status_id', 'inbox_id', 'customer_id', 'priority_id']) {
      await run(`CREATE INDEX ix_tickets_${column.replace('_id', '')} ON tickets (tenant_id, ${column}, created_at, id)`);
    }
    await run(`CREATE INDEX ix_tickets_agent ON tickets (tenant_id, agent_id, created_at, id) WHERE agent_id IS NOT NULL`);
    await run(`CREATE INDEX ix_tickets_parent ON tickets (tenant_id, parent_id) WHERE parent_id IS NOT NULL`);

    await run(`
      ALTER TABLE conversations
        ADD CONSTRAINT fk_conversations_ticket FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id)`);

    await run(`
      CREATE TABLE ticket_messages (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        ticket_id bigint NOT NULL,
        thread_type text NOT NULL DEFAULT 'message',
        message text NOT NULL,
        edit_method text NOT NULL DEFAULT 'html',
        user_id bigint NULL,
        contact_id bigint NULL,
        cc text[] NOT NULL DEFAULT '{}',
        bcc text[] NOT NULL DEFAULT '{}',
        file_ids bigint[] NOT NULL DEFAULT '{}',
        -- The chat message this thread entry was converted from.
        conversation_message_id bigint NULL,
        ${audit('ticket_messages')},
        CONSTRAINT pk_ticket_messages PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_ticket_messages_ticket FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id),
        CONSTRAINT fk_ticket_messages_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
        CONSTRAINT fk_ticket_messages_contact FOREIGN KEY (tenant_id, contact_id) REFERENCES customer_contacts (tenant_id, id),
        CONSTRAINT fk_ticket_messages_conversation_message
          FOREIGN KEY (tenant_id, conversation_message_id) REFERENCES conversation_messages (tenant_id, id),
        CONSTRAINT ck_ticket_messages_author CHECK ((user_id IS NULL) <> (contact_id IS NULL)),
        CONSTRAINT ck_ticket_messages_thread_type CHECK (thread_type IN ('message', 'note')),
        CONSTRAINT ck_ticket_messages_edit_method CHECK (edit_method IN ('html', 'markdown')),
        -- A chat message of 64 KiB can grow sixfold when escaped as HTML.
        CONSTRAINT ck_ticket_messages_message CHECK (length(message) <= 1048576),
        CONSTRAINT ck_ticket_messages_addresses CHECK (cardinality(cc) <= 50 AND cardinality(bcc) <= 50),
        CONSTRAINT ck_ticket_messages_files CHECK (cardinality(file_ids) <= 20)
      )`);
    // A thread reads in the order it was written: by id.
    await run(`CREATE INDEX ix_ticket_messages_ticket ON ticket_messages (tenant_id, ticket_id, id)`);
    await run(`CREATE INDEX ix_ticket_messages_ticket_created ON ticket_messages (tenant_id, ticket_id, created_at, id)`);

    await run(`
      CREATE TABLE ticket_tags (
        tenant_id bigint NOT NULL,
        ticket_id bigint NOT NULL,
        tag_id bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by bigint NULL,
        CONSTRAINT pk_ticket_tags PRIMARY KEY (tenant_id, ticket_id, tag_id),
        CONSTRAINT fk_ticket_tags_ticket FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id),
        CONSTRAINT fk_ticket_tags_tag FOREIGN KEY (tenant_id, tag_id) REFERENCES tags (tenant_id, id)
      )`);
    await run(`CREATE INDEX ix_ticket_tags_tag ON ticket_tags (tenant_id, tag_id, ticket_id)`);

    await run(`
      CREATE TABLE ticket_custom_field_values (
        tenant_id bigint NOT NULL,
        ticket_id bigint NOT NULL,
        custom_field_id bigint NOT NULL,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by bigint NULL,
        CONSTRAINT pk_ticket_custom_field_values PRIMARY KEY (tenant_id, ticket_id, custom_field_id),
        CONSTRAINT fk_ticket_custom_field_values_ticket FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id),
        CONSTRAINT fk_ticket_custom_field_values_field FOREIGN KEY (tenant_id, custom_field_id) REFERENCES custom_fields (tenant_id, id)
      )`);

    await run(`
      CREATE TABLE ticket_templates (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        name text NOT NULL,
        subject text NULL,
        message text NULL,
        edit_method text NULL,
        inbox_id bigint NULL,
        status_id bigint NULL,
        priority_id bigint NULL,
        type_id bigint NULL,
        source_id bigint NULL,
        agent_id bigint NULL,
        tag_ids bigint[] NOT NULL DEFAULT '{}',
        -- [{id, value}] as a ticket body gives them.
        custom_fields jsonb NOT NULL DEFAULT '[]',
        cc text[] NOT NULL DEFAULT '{}',
        bcc text[] NOT NULL DEFAULT '{}',
        ${audit('ticket_templates')},
        CONSTRAINT pk_ticket_templates PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_ticket_templates_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
        CONSTRAINT fk_ticket_templates_inbox FOREIGN KEY (tenant_id, inbox_id) REFERENCES inboxes (tenant_id, id),
        CONSTRAINT fk_ticket_templates_status FOREIGN KEY (tenant_id, status_id) REFERENCES ticket_statuses (tenant_id, id),
        CONSTRAINT fk_ticket_templates_priority FOREIGN KEY (tenant_id, priority_id) REFERENCES ticket_priorities (tenant_id, id),
        CONSTRAINT fk_ticket_templates_type FOREIGN KEY (tenant_id, type_id) REFERENCES ticket_types (tenant_id, id),
        CONSTRAINT fk_ticket_templates_source FOREIGN KEY (tenant_id, source_id) REFERENCES ticket_sources (tenant_id, id),
        CONSTRAINT fk_ticket_templates_agent FOREIGN KEY (tenant_id, agent_id) REFERENCES users (tenant_id, id),
        CONSTRAINT ck_ticket_templates_name CHECK (length(name) BETWEEN 1 AND 200),
        CONSTRAINT ck_ticket_templates_edit_method CHECK (edit_method IN ('html', 'markdown')),
        CONSTRAINT ck_ticket_templates_custom_fields CHECK (jsonb_typeof(custom_fields) = 'array')
      )`);
    await run(`CREATE UNIQUE INDEX uq_ticket_templates_name ON ticket_templates (tenant_id, lower(name)) WHERE state = 'active'`);

    // Work for later: emails a ticket asked to send (notifyCustomer, scheduledEmail), written in the
    // transaction that asked, so none is lost or sent for a ticket that was rolled back.
    await run(`
      CREATE TABLE outbox (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        topic text NOT NULL,
        ticket_id bigint NULL,
        payload jsonb NOT NULL,
        available_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz NULL,
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by bigint NULL,
        CONSTRAINT pk_outbox PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_outbox_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
        CONSTRAINT fk_outbox_ticket FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id),
        CONSTRAINT ck_outbox_topic CHECK (length(topic) BETWEEN 1 AND 100)
      )`);
    // A sender picks due work across tenants, so this index cannot lead with tenant_id.
    await run(`CREATE INDEX ix_outbox_due ON outbox (available_at, tenant_id, id) WHERE delivered_at IS NULL`);
    await run(`CREATE INDEX ix_outbox_ticket ON outbox (tenant_id, ticket_id) WHERE ticket_id IS NOT NULL`);

    // Every tenant starts with these, so a ticket can be created with no setup: in the tenant's own
    // transaction (a trigger), and for the tenants that exist already.
    await run(`
      CREATE FUNCTION seed_ticket_settings(tenant bigint) RETURNS void LANGUAGE sql AS $$
        INSERT INTO inboxes (tenant_id, name, code, display_order, is_default) VALUES (tenant, 'Support', 'support', 1, true);
        INSERT INTO ticket_statuses (tenant_id, name, code, color, display_order, is_default) VALUES
          (tenant, 'Active', 'active', '#2f80ed', 1, true),
          (tenant, 'Waiting on customer', 'waiting', '#f2994a', 2, false),
          (tenant, 'On hold', 'on-hold', '#9b51e0', 3, false),
          (tenant, 'Solved', 'solved', '#27ae60', 4, false),
          (tenant, 'Closed', 'closed', '#828282', 5, false);
        INSERT INTO ticket_priorities (tenant_id, name, code, color, display_order) VALUES
          (tenant, 'Low', 'low', '#6fcf97', 1),
          (tenant, 'Medium', 'medium', '#f2c94c', 2),
          (tenant, 'High', 'high', '#f2994a', 3),
          (tenant, 'Urgent', 'urgent', '#eb5757', 4);
        INSERT INTO ticket_types (tenant_id, name, code, display_order) VALUES
          (tenant, 'Question', 'question', 1),
          (tenant, 'Problem', 'problem', 2),
          (tenant, 'Incident', 'incident', 3),
          (tenant, 'Feature request', 'feature-request', 4);
        INSERT INTO ticket_sources (tenant_id, name, code, display_order, is_default) VALUES
          (tenant, 'Email', 'email', 1, false),
          (tenant, 'Chat', 'chat', 2, false),
          (tenant, 'API', 'api', 3, true),
          (tenant, 'Phone', 'phone', 4, false),
          (tenant, 'Web form', 'web-form', 5, false);
      $$`);
    await run(`
      CREATE FUNCTION seed_ticket_settings_of_new_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM seed_ticket_settings(NEW.id);
        RETURN NEW;
      END $$`);
    await run(`
      CREATE TRIGGER tr_tenants_ticket_settings AFTER INSERT ON tenants
        FOR EACH ROW EXECUTE FUNCTION seed_ticket_settings_of_new_tenant()`);
    await run(`SELECT seed_ticket_settings(id) FROM tenants ORDER BY id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);
    await run(`DROP TRIGGER tr_tenants_ticket_settings ON tenants`);
    await run(`DROP FUNCTION seed_ticket_settings_of_new_tenant()`);
    await run(`DROP FUNCTION seed_ticket_settings(bigint)`);
    await run(`ALTER TABLE conversations DROP CONSTRAINT fk_conversations_ticket`);
    for (const table of [
      'outbox',
      'ticket_templates',
      'ticket_custom_field_values',
      'ticket_tags',
      'ticket_messages',
      'tickets',
      'custom_fields',
      'tags',
      ...[...SETTINGS].reverse(),
    ]) {
      await run(`DROP TABLE ${table}`);
    }
  }
}
