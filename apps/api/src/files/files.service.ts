import { Injectable } from '@nestjs/common';
import { FieldErrorsBuilder, Messages, NotFoundError } from '@app/common';
import { Database } from '@app/database';
import { Principal } from '../auth/principal';
import { FileStorage, StoredContent } from './file-storage';
import { FileErrorCode } from './files.errors';
import { ActiveFileRef, FileRef, FilesRepository, NewFile } from './files.repository';
import { StoredFile } from './stored-file.entity';
import { FileUpload } from './uploaded-file';

export interface FileContent {
  file: StoredFile;
  content: StoredContent;
}

// Who attaches files, and to which conversation's message. A customer's message may carry only
// files uploaded for that conversation (by its token); an agent's also agents' own uploads, never
// a file uploaded for another conversation.
export interface AttachmentScope {
  conversationId: number;
  byCustomer: boolean;
}

// The conversation a customer's upload is for, and its contact (the uploader).
export interface UploadingConversation {
  tenantId: number;
  id: number;
  contactId: number;
}

@Injectable()
export class FilesService {
  constructor(
    private readonly db: Database,
    private readonly files: FilesRepository,
    private readonly storage: FileStorage,
  ) {}

  // The tenant's active files among these ids (messages and tickets refer to files by id).
  async findActiveByIds(tenantId: number, ids: readonly number[]): Promise<StoredFile[]> {
    return this.files.findByIds(tenantId, ids, true);
  }

  // Attachments named by a body (`files`): each must be an active file of the tenant, or the error
  // names its index. The ids keep their order, once each.
  async checkActiveIds(tenantId: number, ids: readonly number[], errors: FieldErrorsBuilder, path = 'files'): Promise<number[]> {
    const found = new Set((await this.findActiveByIds(tenantId, ids)).map((file) => file.id));
    return reportMissing(ids, found, errors, path);
  }

  // A message's attachments (`files`): each must be an active file of the tenant that the scope
  // allows, or the error names its index. Unknown, another tenant's and out-of-scope ids get the
  // same answer, so a customer learns nothing of files not theirs. The ids keep their order, once each.
  async checkAttachable(
    tenantId: number,
    ids: readonly number[],
    scope: AttachmentScope,
    errors: FieldErrorsBuilder,
    path = 'files',
  ): Promise<number[]> {
    return reportMissing(ids, await this.attachableIds(tenantId, ids, scope), errors, path);
  }

  // The ids among these that the scope may attach.
  async attachableIds(tenantId: number, ids: readonly number[], scope: AttachmentScope): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const found = await this.findActiveByIds(tenantId, ids);
    return new Set(found.filter((file) => isAttachable(file.conversationId, scope)).map((file) => file.id));
  }

  // The active files among these, of any tenants (a webhook batch's), each with the conversation
  // it was uploaded for: one statement for all.
  async findActiveRefs(refs: readonly FileRef[]): Promise<ActiveFileRef[]> {
    return this.files.findActiveRefs(refs);
  }

  // Deleted ones too: a message still shows what it was sent with.
  async findByIds(tenantId: number, ids: readonly number[]): Promise<StoredFile[]> {
    return this.files.findByIds(tenantId, ids, false);
  }

  // The bytes are stored first and the row written after, so a row always has its bytes. If the
  // row is not written, the bytes are removed; if the surrounding transaction (Idempotency-Key)
  // fails after this returns, they stay behind unreferenced, which wastes space but misleads nobody.
  async create(principal: Principal, upload: FileUpload): Promise<StoredFile> {
    const { tenantId, userId } = principal;
    return this.store(tenantId, upload, { createdBy: userId, updatedBy: userId });
  }

  // A customer's upload through the conversation's token: recorded with the conversation and its
  // contact, by no agent.
  async createForConversation(conversation: UploadingConversation, upload: FileUpload): Promise<StoredFile> {
    return this.store(conversation.tenantId, upload, { conversationId: conversation.id, contactId: conversation.contactId });
  }

  // An attachment of a customer's inbound email: by no agent and for no conversation, so, like an
  // agent's upload, any agent's message may carry it.
  async createFromEmail(tenantId: number, upload: FileUpload): Promise<StoredFile> {
    return this.store(tenantId, upload, {});
  }

  private async store(tenantId: number, upload: FileUpload, owner: Pick<NewFile, 'conversationId' | 'contactId' | 'createdBy' | 'updatedBy'>): Promise<StoredFile> {
    const { key } = await this.storage.put(tenantId, upload.open());
    try {
      return await this.db.transaction(() =>
        this.files.insert({
          tenantId,
          filename: upload.filename,
          mimeType: upload.mimeType,
          size: upload.size,
          sha256: upload.sha256,
          storageKey: key,
          ...owner,
        }),
      );
    } catch (error) {
      await this.storage.remove(key).catch(() => undefined);
      throw error;
    }
  }

  // Deleted files too, as other resources show them; another tenant's are not found.
  async getById(tenantId: number, id: number): Promise<StoredFile> {
    const file = await this.files.findById(tenantId, id);
    if (!file) throw notFound(id);
    return file;
  }

  // The bytes of an active file, opened: a row whose bytes are missing is a fault (a 500 that is
  // logged), not a 404 the client could do something about.
  async openContent(tenantId: number, id: number): Promise<FileContent> {
    return this.open(id, await this.files.findActiveWithKey(tenantId, id));
  }

  // What a conversation's token may download: an active file uploaded for the conversation, or
  // one its conversation found attached to one of its active messages (`attached`, the
  // conversations module's answer). Anything else is the 404 of an unknown id.
  async openForConversation(tenantId: number, conversationId: number, id: number, attached: boolean): Promise<FileContent> {
    const file = await this.files.findActiveWithKey(tenantId, id);
    return this.open(id, file && (attached || file.conversationId === conversationId) ? file : null);
  }

  private async open(id: number, file: StoredFile | null): Promise<FileContent> {
    if (!file) throw notFound(id);
    const content = await this.storage.open(file.storageKey);
    if (content.size !== file.size) {
      content.stream.destroy();
      throw new Error(`file ${id} of tenant ${file.tenantId}: ${content.size} bytes stored, ${file.size} recorded`);
    }
    return { file, content };
  }
}

// Agents' own uploads are unscoped: any agent's message may carry them, no customer's.
export function isAttachable(fileConversationId: number | null, scope: AttachmentScope): boolean {
  return fileConversationId === null ? !scope.byCustomer : fileConversationId === scope.conversationId;
}

function notFound(id: number): NotFoundError {
  return new NotFoundError(FileErrorCode.NotFound, `file ${id} not found`);
}

// Each id not among those allowed is an error naming its index; the ids come back in order, once each.
function reportMissing(ids: readonly number[], allowed: ReadonlySet<number>, errors: FieldErrorsBuilder, path: string): number[] {
  ids.forEach((id, index) => {
    if (!allowed.has(id)) errors.add(`${path}[${index}]`, Messages.notFound);
  });
  return [...new Set(ids)];
}
