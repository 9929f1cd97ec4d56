import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { In, SelectQueryBuilder } from 'typeorm';
import { StoredFile } from './stored-file.entity';

export type NewFile = Pick<StoredFile, 'tenantId' | 'filename' | 'mimeType' | 'size' | 'sha256' | 'storageKey'> &
  Partial<Pick<StoredFile, 'conversationId' | 'contactId' | 'createdBy' | 'updatedBy'>>;

// The `files` table; every query takes the tenant first and runs in the ambient transaction, if
// any (Database).
@Injectable()
export class FilesRepository {
  constructor(private readonly db: Database) {}

  // Deleted ones too unless `activeOnly`.
  async findByIds(tenantId: number, ids: readonly number[], activeOnly: boolean): Promise<StoredFile[]> {
    if (ids.length === 0) return [];
    const where = { tenantId, id: In([...new Set(ids)]), ...(activeOnly ? { state: 'active' as const } : {}) };
    return this.db.manager.find(StoredFile, { where, order: { id: 'ASC' } });
  }

  async findById(tenantId: number, id: number): Promise<StoredFile | null> {
    return this.db.manager.findOneBy(StoredFile, { tenantId, id });
  }

  async insert(values: NewFile): Promise<StoredFile> {
    const file = this.db.manager.create(StoredFile, values);
    await this.db.manager.insert(StoredFile, file);
    return this.db.manager.findOneByOrFail(StoredFile, { tenantId: values.tenantId, id: file.id });
  }

  // An active file with its storage key.
  async findActiveWithKey(tenantId: number, id: number): Promise<StoredFile | null> {
    return this.activeWithKey(tenantId, id).getOne();
  }

  // An active file with its storage key, uploaded for the conversation or attached to one of its
  // active messages.
  async findActiveWithKeyInConversation(tenantId: number, conversationId: number, id: number): Promise<StoredFile | null> {
    return this.activeWithKey(tenantId, id)
      .andWhere(
        `(f.conversation_id = :conversationId OR EXISTS (
           SELECT 1 FROM conversation_messages m
            WHERE m.tenant_id = f.tenant_id AND m.conversation_id = :conversationId AND m.state = 'active' AND f.id = ANY (m.file_ids)))`,
        { conversationId },
      )
      .getOne();
  }

  private activeWithKey(tenantId: number, id: number): SelectQueryBuilder<StoredFile> {
    return this.db.manager
      .createQueryBuilder(StoredFile, 'f')
      .addSelect('f.storageKey')
      .where(`f.tenant_id = :tenantId AND f.id = :id AND f.state = 'active'`, { tenantId, id });
  }
}
