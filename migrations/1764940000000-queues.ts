import { MigrationInterface, QueryRunner } from 'typeorm';

// The queues a dashboard shows and the counts beside them (docs/api.md, "Queues and counts"):
// - the list's new orders, each (tenant_id, key, id) like every list index, so a cursor page costs
//   what the first page costs; a priority is ordered by its rank, the expression the list uses
//   (apps/api/src/conversations/conversation-list.definition.ts, PRIORITY_RANK), word for word;
// - the queues by assignee and by team, with the status and the oldest waiting first, among active
//   conversations: `assignee = me`, `assignee = null` and `team = N` pages, and the counts of each;
// - the narrowest index the per-status counts can be read from alone (an index-only scan);
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
    await run(`CREATE INDEX ix_conversations_status_count ON conversations (tenant_id, status) WHERE state = 'active'`);
    await run(`CREATE EXTENSION IF NOT EXISTS btree_gin`);
    await run(`CREATE INDEX ix_conversations_labels ON conversations USING gin (tenant_id, label_ids)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const indexes = [
      'ix_conversations_labels',
      'ix_conversations_status_count',
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
