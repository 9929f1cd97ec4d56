import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { In } from 'typeorm';
import { StoredFile } from './stored-file.entity';

export type NewFile = Pick<StoredFile, 'tenantId' | 'filename' | 'mimeType' | 'size' | 'sha256' | 'storageKey'> &
  Partial<Pick<StoredFile, 'conversationId' | 'contactId' | 'createdBy' | 'updatedBy'>>;

// A file named across tenants (a webhook batch's), and what is known of it when it is active:
// the conversation it was uploaded for (null: an agent's upload).
export interface FileRef {
  tenantId: number;
  id: number;
}

export interface ActiveFileRef extends FileRef {
  conversationId: number | null;
}

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
    return this.db.manager
      .createQueryBuilder(StoredFile, 'f')
      .addSelect('f.storageKey')
      .where(`f.tenant_id = :tenantId AND f.id = :id AND f.state = 'active'`, { tenantId, id })
      .getOne();
  }

  // The active files among these, of any tenants, each with the conversation it was uploaded for.
  async findActiveRefs(refs: readonly FileRef[]): Promise<ActiveFileRef[]> {
    if (refs.length === 0) return [];
    return this.db.query(
      `SELECT f.tenant_id AS "tenantId", f.id, f.conversation_id AS "conversationId"
         FROM unnest($1::bigint[], $2::bigint[]) AS r(tenant_id, id)
         JOIN files f ON f.tenant_id = r.tenant_id AND f.id = r.id AND f.state = 'active'`,
      [refs.map((r) => r.tenantId), refs.map((r) => r.id)],
    );
  }
}
