import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { In } from 'typeorm';
import { StoredFile } from './stored-file.entity';

@Injectable()
export class FilesService {
  constructor(private readonly db: Database) {}

  // The tenant's active files among these ids (messages and tickets refer to files by id).
  async findActiveByIds(tenantId: number, ids: readonly number[]): Promise<StoredFile[]> {
    if (ids.length === 0) return [];
    return this.db.manager.find(StoredFile, { where: { tenantId, id: In([...new Set(ids)]), state: 'active' }, order: { id: 'ASC' } });
  }

  // Deleted ones too: a message still shows what it was sent with.
  async findByIds(tenantId: number, ids: readonly number[]): Promise<StoredFile[]> {
    if (ids.length === 0) return [];
    return this.db.manager.find(StoredFile, { where: { tenantId, id: In([...new Set(ids)]) }, order: { id: 'ASC' } });
  }
}
