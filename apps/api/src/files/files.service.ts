import { Injectable } from '@nestjs/common';
import { FieldErrorsBuilder, Messages, NotFoundError } from '@app/common';
import { Database } from '@app/database';
import { In } from 'typeorm';
import { Principal } from '../auth/principal';
import { FileStorage, StoredContent } from './file-storage';
import { FileErrorCode } from './files.errors';
import { StoredFile } from './stored-file.entity';
import { FileUpload } from './uploaded-file';

export interface FileContent {
  file: StoredFile;
  content: StoredContent;
}

@Injectable()
export class FilesService {
  constructor(
    private readonly db: Database,
    private readonly storage: FileStorage,
  ) {}

  // The tenant's active files among these ids (messages and tickets refer to files by id).
  async findActiveByIds(tenantId: number, ids: readonly number[]): Promise<StoredFile[]> {
    if (ids.length === 0) return [];
    return this.db.manager.find(StoredFile, { where: { tenantId, id: In([...new Set(ids)]), state: 'active' }, order: { id: 'ASC' } });
  }

  // Attachments named by a body (`files`): each must be an active file of the tenant, or the error
  // names its index. The ids keep their order, once each.
  async checkActiveIds(tenantId: number, ids: readonly number[], errors: FieldErrorsBuilder, path = 'files'): Promise<number[]> {
    const unique = [...new Set(ids)];
    const found = new Set((await this.findActiveByIds(tenantId, unique)).map((file) => file.id));
    ids.forEach((id, index) => {
      if (!found.has(id)) errors.add(`${path}[${index}]`, Messages.notFound);
    });
    return unique;
  }

  // Deleted ones too: a message still shows what it was sent with.
  async findByIds(tenantId: number, ids: readonly number[]): Promise<StoredFile[]> {
    if (ids.length === 0) return [];
    return this.db.manager.find(StoredFile, { where: { tenantId, id: In([...new Set(ids)]) }, order: { id: 'ASC' } });
  }

  // The bytes are stored first and the row written after, so a row always has its bytes. If the
  // row is not written, the bytes are removed; if the surrounding transaction (Idempotency-Key)
  // fails after this returns, they stay behind unreferenced, which wastes space but misleads nobody.
  async create(principal: Principal, upload: FileUpload): Promise<StoredFile> {
    const { tenantId, userId } = principal;
    const { key } = await this.storage.put(tenantId, upload.open());
    try {
      return await this.db.transaction(async (manager) => {
        const file = manager.create(StoredFile, {
          tenantId,
          filename: upload.filename,
          mimeType: upload.mimeType,
          size: upload.size,
          sha256: upload.sha256,
          storageKey: key,
          createdBy: userId,
          updatedBy: userId,
        });
        await manager.insert(StoredFile, file);
        return manager.findOneByOrFail(StoredFile, { tenantId, id: file.id });
      });
    } catch (error) {
      await this.storage.remove(key).catch(() => undefined);
      throw error;
    }
  }

  // Deleted files too, as other resources show them; another tenant's are not found.
  async getById(tenantId: number, id: number): Promise<StoredFile> {
    const file = await this.db.manager.findOneBy(StoredFile, { tenantId, id });
    if (!file) throw notFound(id);
    return file;
  }

  // The bytes of an active file, opened: a row whose bytes are missing is a fault (a 500 that is
  // logged), not a 404 the client could do something about.
  async openContent(tenantId: number, id: number): Promise<FileContent> {
    const file = await this.db.manager
      .createQueryBuilder(StoredFile, 'f')
      .addSelect('f.storageKey')
      .where(`f.tenant_id = :tenantId AND f.id = :id AND f.state = 'active'`, { tenantId, id })
      .getOne();
    if (!file) throw notFound(id);
    const content = await this.storage.open(file.storageKey);
    if (content.size !== file.size) {
      content.stream.destroy();
      throw new Error(`file ${id} of tenant ${tenantId}: ${content.size} bytes stored, ${file.size} recorded`);
    }
    return { file, content };
  }
}

function notFound(id: number): NotFoundError {
  return new NotFoundError(FileErrorCode.NotFound, `file ${id} not found`);
}
