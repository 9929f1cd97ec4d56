import { MigrationInterface, QueryRunner } from 'typeorm';

// Files a customer uploads through their conversation's token are recorded with that
// conversation and its contact; agents' uploads leave both null. A customer's message may carry
// only files uploaded for its own conversation, and the widget may download only those and the
// files attached to the conversation's messages (apps/api/src/files/files.service.ts).
export class CustomerFiles1764500000000 implements MigrationInterface {
  name = 'CustomerFiles1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE files
        ADD COLUMN conversation_id bigint NULL,
        ADD COLUMN contact_id bigint NULL,
        ADD CONSTRAINT fk_files_conversation FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id),
        ADD CONSTRAINT fk_files_contact FOREIGN KEY (tenant_id, contact_id) REFERENCES customer_contacts (tenant_id, id),
        ADD CONSTRAINT ck_files_contact CHECK (contact_id IS NULL OR conversation_id IS NOT NULL)`);
    // No index on either: files are only ever read by id, and conversations and contacts are never
    // hard-deleted, so no foreign-key check scans for them.
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE files
        DROP CONSTRAINT ck_files_contact,
        DROP CONSTRAINT fk_files_contact,
        DROP CONSTRAINT fk_files_conversation,
        DROP COLUMN contact_id,
        DROP COLUMN conversation_id`);
  }
}
