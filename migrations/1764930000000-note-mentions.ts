import { MigrationInterface, QueryRunner } from 'typeorm';

// A note's mentions on its own row too: every read of a message (lists, side-loads, live events,
// RETURNING of the append) shows them with no second query. conversation_mentions stays the
// index of who was mentioned where (GET me/mentions.json); the append writes both.
export class NoteMentions1764930000000 implements MigrationInterface {
  name = 'NoteMentions1764930000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE conversation_messages
        ADD COLUMN mention_ids bigint[] NOT NULL DEFAULT '{}',
        ADD CONSTRAINT ck_conversation_messages_mentions CHECK (cardinality(mention_ids) <= 50 AND (private OR cardinality(mention_ids) = 0))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE conversation_messages DROP CONSTRAINT ck_conversation_messages_mentions, DROP COLUMN mention_ids`);
  }
}
