import { auditFields } from '@app/common';
import type { FileWire } from './file.openapi';
import { StoredFile } from './stored-file.entity';

export function presentFile(file: StoredFile): FileWire {
  return {
    id: file.id,
    filename: file.filename,
    mimeType: file.mimeType,
    size: file.size,
    sha256: file.sha256,
    ...auditFields(file),
  };
}
