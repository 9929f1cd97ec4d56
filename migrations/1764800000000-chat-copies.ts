import { MigrationInterface, QueryRunner } from 'typeorm';

// A chat message is in its ticket's thread at most once: the conversion's transcript copies the
// messages before it, and each message posted after it is copied as it is stored
// (apps/api/src/tickets/tickets.repository.ts), both under the conversation's lock; this index
// holds that even so, and finds a message's copy.
export class ChatCopies1764800000000 implements MigrationInterface {
  name = 'ChatCopies1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE UNIQUE INDEX uq_ticket_messages_conversation_message ON ticket_messages (tenant_id, conversation_message_id)
        WHERE conversation_message_id IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX uq_ticket_messages_conversation_message`);
  }
}
