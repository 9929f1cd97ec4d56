import { MigrationInterface, QueryRunner } from 'typeorm';

// The conversation workflow (docs/architecture.md, "The conversation workflow"): a conversation's
// status, priority, assignee, team and labels; agents' availability; teams and how they route;
// private notes and their mentions; and the activity log of every change.
export class Workflow1764900000000 implements MigrationInterface {
  name = 'Workflow1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);

    // Set by the agent (PATCH /me.json) and by their presence on presence-tenant-{id}.
    await run(`
      ALTER TABLE users
        ADD COLUMN availability text NOT NULL DEFAULT 'available',
        ADD COLUMN availability_changed_at timestamptz NULL,
        ADD CONSTRAINT ck_users_availability CHECK (availability IN ('available', 'away', 'offline'))`);

    await run(`
      CREATE TABLE teams (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        name text NOT NULL,
        assignment_mode text NOT NULL DEFAULT 'manual',
        assignment_capacity integer NULL,
        only_available boolean NOT NULL DEFAULT false,
        -- Round robin's turn: the member assigned last.
        last_assigned_user_id bigint NULL,
        state text NOT NULL DEFAULT 'active',
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by bigint NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by bigint NULL,
        deleted_at timestamptz NULL,
        deleted_by bigint NULL,
        CONSTRAINT pk_teams PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_teams_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
        CONSTRAINT ck_teams_state CHECK (state IN ('active', 'deleted')),
        CONSTRAINT ck_teams_deleted CHECK ((state = 'deleted') = (deleted_at IS NOT NULL)),
        CONSTRAINT ck_teams_name CHECK (length(name) BETWEEN 1 AND 100),
        CONSTRAINT ck_teams_mode CHECK (assignment_mode IN ('manual', 'round_robin', 'balanced')),
        CONSTRAINT ck_teams_capacity CHECK (assignment_capacity BETWEEN 1 AND 100000)
      )`);
    await run(`CREATE UNIQUE INDEX uq_teams_name ON teams (tenant_id, lower(name)) WHERE state = 'active'`);
    await run(`CREATE INDEX ix_teams_created ON teams (tenant_id, created_at, id)`);

    await run(`
      CREATE TABLE team_members (
        tenant_id bigint NOT NULL,
        team_id bigint NOT NULL,
        user_id bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by bigint NULL,
        CONSTRAINT pk_team_members PRIMARY KEY (tenant_id, team_id, user_id),
        CONSTRAINT fk_team_members_team FOREIGN KEY (tenant_id, team_id) REFERENCES teams (tenant_id, id),
        CONSTRAINT fk_team_members_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
      )`);
    await run(`CREATE INDEX ix_team_members_user ON team_members (tenant_id, user_id, team_id)`);

    await run(`
      ALTER TABLE conversations
        ADD COLUMN status text NOT NULL DEFAULT 'open',
        ADD COLUMN priority text NOT NULL DEFAULT 'none',
        ADD COLUMN assignee_id bigint NULL,
        ADD COLUMN team_id bigint NULL,
        ADD COLUMN label_ids bigint[] NOT NULL DEFAULT '{}',
        ADD COLUMN snoozed_until timestamptz NULL,
        ADD COLUMN waiting_since timestamptz NULL,
        ADD COLUMN first_reply_at timestamptz NULL,
        ADD COLUMN resolved_at timestamptz NULL,
        ADD CONSTRAINT fk_conversations_assignee FOREIGN KEY (tenant_id, assignee_id) REFERENCES users (tenant_id, id),
        ADD CONSTRAINT fk_conversations_team FOREIGN KEY (tenant_id, team_id) REFERENCES teams (tenant_id, id),
        ADD CONSTRAINT ck_conversations_status CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
        ADD CONSTRAINT ck_conversations_priority CHECK (priority IN ('none', 'low', 'medium', 'high', 'urgent')),
        ADD CONSTRAINT ck_conversations_snoozed CHECK ((status = 'snoozed') = (snoozed_until IS NOT NULL)),
        ADD CONSTRAINT ck_conversations_resolved CHECK ((status = 'resolved') = (resolved_at IS NOT NULL)),
        ADD CONSTRAINT ck_conversations_labels CHECK (cardinality(label_ids) <= 100)`);
    // A team's queue, oldest waiting first; and each member's open conversations in a team (capacity).
    await run(`
      CREATE INDEX ix_conversations_queue ON conversations (tenant_id, team_id, waiting_since, id)
       WHERE state = 'active' AND status = 'open' AND assignee_id IS NULL AND team_id IS NOT NULL`);
    await run(`
      CREATE INDEX ix_conversations_assigned_open ON conversations (tenant_id, team_id, assignee_id)
       WHERE state = 'active' AND status = 'open' AND assignee_id IS NOT NULL`);
    // The wake-up job's, across tenants.
    await run(`CREATE INDEX ix_conversations_snoozed ON conversations (snoozed_until) WHERE status = 'snoozed' AND state = 'active'`);

    // What the conversations already had: their customers' unanswered messages and first replies.
    await run(`
      UPDATE conversations c
         SET waiting_since = (
               SELECT min(m.created_at) FROM conversation_messages m
                WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id AND m.state = 'active' AND m.direction = 'inbound'
                  AND m.created_at > coalesce((
                        SELECT max(o.created_at) FROM conversation_messages o
                         WHERE o.tenant_id = c.tenant_id AND o.conversation_id = c.id AND o.state = 'active' AND o.direction = 'outbound'),
                      '-infinity')),
             first_reply_at = (
               SELECT min(o.created_at) FROM conversation_messages o
                WHERE o.tenant_id = c.tenant_id AND o.conversation_id = c.id AND o.state = 'active' AND o.direction = 'outbound')`);

    // A private note is an agent's, and never reaches the customer.
    await run(`
      ALTER TABLE conversation_messages
        ADD COLUMN private boolean NOT NULL DEFAULT false,
        ADD CONSTRAINT ck_conversation_messages_private CHECK (NOT private OR user_id IS NOT NULL)`);

    await run(`
      CREATE TABLE conversation_mentions (
        tenant_id bigint NOT NULL,
        message_id bigint NOT NULL,
        user_id bigint NOT NULL,
        conversation_id bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by bigint NULL,
        CONSTRAINT pk_conversation_mentions PRIMARY KEY (tenant_id, message_id, user_id),
        CONSTRAINT fk_conversation_mentions_message FOREIGN KEY (tenant_id, message_id) REFERENCES conversation_messages (tenant_id, id),
        CONSTRAINT fk_conversation_mentions_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
        CONSTRAINT fk_conversation_mentions_conversation FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id)
      )`);
    await run(`CREATE INDEX ix_conversation_mentions_user ON conversation_mentions (tenant_id, user_id, created_at, message_id)`);

    await run(`
      CREATE TABLE conversation_activities (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        conversation_id bigint NOT NULL,
        type text NOT NULL,
        from_value jsonb NULL,
        to_value jsonb NULL,
        reason text NULL,
        actor_type text NOT NULL,
        actor_id bigint NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_conversation_activities PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_conversation_activities_conversation FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id),
        CONSTRAINT ck_conversation_activities_type CHECK (type IN ('status', 'priority', 'assignee', 'team', 'labels', 'converted', 'queued')),
        CONSTRAINT ck_conversation_activities_actor CHECK (actor_type IN ('user', 'contact', 'system') AND ((actor_type = 'system') = (actor_id IS NULL)))
      )`);
    await run(`CREATE INDEX ix_conversation_activities_conversation ON conversation_activities (tenant_id, conversation_id, created_at, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);
    await run(`DROP TABLE conversation_activities`);
    await run(`DROP TABLE conversation_mentions`);
    await run(`ALTER TABLE conversation_messages DROP CONSTRAINT ck_conversation_messages_private, DROP COLUMN private`);
    await run(`DROP INDEX ix_conversations_snoozed`);
    await run(`DROP INDEX ix_conversations_assigned_open`);
    await run(`DROP INDEX ix_conversations_queue`);
    await run(`
      ALTER TABLE conversations
        DROP CONSTRAINT fk_conversations_assignee, DROP CONSTRAINT fk_conversations_team,
        DROP CONSTRAINT ck_conversations_status, DROP CONSTRAINT ck_conversations_priority,
        DROP CONSTRAINT ck_conversations_snoozed, DROP CONSTRAINT ck_conversations_resolved, DROP CONSTRAINT ck_conversations_labels,
        DROP COLUMN status, DROP COLUMN priority, DROP COLUMN assignee_id, DROP COLUMN team_id, DROP COLUMN label_ids,
        DROP COLUMN snoozed_until, DROP COLUMN waiting_since, DROP COLUMN first_reply_at, DROP COLUMN resolved_at`);
    await run(`DROP TABLE team_members`);
    await run(`DROP TABLE teams`);
    await run(`ALTER TABLE users DROP CONSTRAINT ck_users_availability, DROP COLUMN availability, DROP COLUMN availability_changed_at`);
  }
}
