import { MigrationInterface, QueryRunner } from 'typeorm';

// The snoozed queue read by wake-up time (docs/api.md, "Queues, counts and bulk changes"):
// `filter={"status": "snoozed"}&orderBy=snoozedUntil`, either way and by cursor, walks this index
// instead of sorting every snoozed conversation of the tenant. Led by status, as the queues by
// assignee and team are: the wake-up's own index (ix_conversations_snoozed) has no tenant, and a
// (tenant_id, snoozed_until) one would make a descending page step over every unsnoozed row first
// (their NULLs sort first going down).
export class SnoozedQueue1765060000000 implements MigrationInterface {
  name = 'SnoozedQueue1765060000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX ix_conversations_status_snoozed_until ON conversations (tenant_id, status, snoozed_until, id) WHERE state = 'active'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ix_conversations_status_snoozed_until`);
  }
}
