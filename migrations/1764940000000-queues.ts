import { MigrationInterface, QueryRunner } from 'typeorm';

// The queues a dashboard shows and the counts beside them (docs/api.md, "Queues and counts"):
// - the list's new orders, each (tenant_id, key, id) like every list index, so a cursor page costs
//   what the first page costs; a priority is ordered by its rank, the expression the list uses
//   (apps/api/src/conversations/conversation-list.definition.ts, PRIORITY_RANK), word for word;
// - the queues by assignee and by team, with the status and the oldest waiting first, among active
//   conversations: `assignee = me`, `assignee = null` and `team = N` pages, and the counts of each;
// - the per-status counts as a ledger a trigger appends to (below), so that counting does not read
//   every conversation the tenant ever had;
// - labels by GIN (btree_gin, a trusted extension, puts tenant_id in front): `@>` and `&&`.
export class Queues1764940000000 implements MigrationInterface {
  name = 'Queues1764940000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);
    for (const column of ['waiting_since', 'first_reply_at', 'resolved_at']) {
      await run(`CREATE INDEX ix_conversations_${column} ON conversations (tenant_id, ${column}, id)`);
    }
    await run(`CREATE INDEX ix_conversations_priority ON conversations (tenant_id, (${PRIORITY_RANK}), id)`);
    await run(`CREATE INDEX ix_conversations_assignee_queue ON conversations (tenant_id, assignee_id, status, waiting_since, id) WHERE state = 'active'`);
    await run(`CREATE INDEX ix_conversations_team_queue ON conversations (tenant_id, team_id, status, waiting_since, id) WHERE state = 'active'`);
    await run(`CREATE EXTENSION IF NOT EXISTS btree_gin`);
    await run(`CREATE INDEX ix_conversations_labels ON conversations USING gin (tenant_id, label_ids)`);

    // The active conversations per status, as a ledger of changes: a trigger appends +n/-n rows
    // (whichever door changed the row, and never waiting on a lock: nothing is updated in place,
    // so no counter row becomes a point every transaction queues on or a lock out of order), the
    // counts are their sums, and a periodic job folds each tenant's rows into one per status.
    await run(`
      CREATE TABLE conversation_status_counts (
        tenant_id bigint NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        status text NOT NULL,
        delta bigint NOT NULL,
        CONSTRAINT pk_conversation_status_counts PRIMARY KEY (tenant_id, id),
        CONSTRAINT fk_conversation_status_counts_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
      )`);
    // New conversations: one row per tenant and status for the whole statement.
    await run(`
      CREATE FUNCTION conversation_status_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO conversation_status_counts (tenant_id, status, delta)
        SELECT tenant_id, status, count(*) FROM inserted_conversations WHERE state = 'active' GROUP BY tenant_id, status;
        RETURN NULL;
      END $$`);
    // A conversation whose status or state changed (or, never by this service, that was deleted).
    await run(`
      CREATE FUNCTION conversation_status_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.state = 'active' THEN
          INSERT INTO conversation_status_counts (tenant_id, status, delta) VALUES (OLD.tenant_id, OLD.status, -1);
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.state = 'active' THEN
          INSERT INTO conversation_status_counts (tenant_id, status, delta) VALUES (NEW.tenant_id, NEW.status, 1);
        END IF;
        RETURN NULL;
      END $$`);
    await run(`
      CREATE TRIGGER tr_conversations_status_counts_insert AFTER INSERT ON conversations
        REFERENCING NEW TABLE AS inserted_conversations FOR EACH STATEMENT EXECUTE FUNCTION conversation_status_counts_inserted()`);
    await run(`
      CREATE TRIGGER tr_conversations_status_counts_update AFTER UPDATE ON conversations FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.state IS DISTINCT FROM NEW.state)
        EXECUTE FUNCTION conversation_status_counts_changed()`);
    await run(`
      CREATE TRIGGER tr_conversations_status_counts_delete AFTER DELETE ON conversations FOR EACH ROW
        EXECUTE FUNCTION conversation_status_counts_changed()`);
    // After the triggers: they hold conversations' writes back until this commits, so no change
    // falls between what is counted here and what they append.
    await run(`
      INSERT INTO conversation_status_counts (tenant_id, status, delta)
      SELECT tenant_id, status, count(*) FROM conversations WHERE state = 'active' GROUP BY tenant_id, status`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const trigger of ['tr_conversations_status_counts_delete', 'tr_conversations_status_counts_update', 'tr_conversations_status_counts_insert']) {
      await queryRunner.query(`DROP TRIGGER ${trigger} ON conversations`);
    }
    await queryRunner.query(`DROP FUNCTION conversation_status_counts_changed()`);
    await queryRunner.query(`DROP FUNCTION conversation_status_counts_inserted()`);
    await queryRunner.query(`DROP TABLE conversation_status_counts`);
    const indexes = [
      'ix_conversations_labels',
      'ix_conversations_team_queue',
      'ix_conversations_assignee_queue',
      'ix_conversations_priority',
      'ix_conversations_resolved_at',
      'ix_conversations_first_reply_at',
      'ix_conversations_waiting_since',
    ];
    for (const index of indexes) await queryRunner.query(`DROP INDEX ${index}`);
  }
}

// The same text as the list's PRIORITY_RANK (the planner matches expressions by their form).
const PRIORITY_RANK = `array_position(ARRAY['none', 'low', 'medium', 'high', 'urgent'], priority)`;
