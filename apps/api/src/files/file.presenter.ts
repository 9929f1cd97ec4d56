import { auditFields } from '@app/common';
import { StoredFile } from './stored-file.entity';

export function presentFile(file: StoredFile) {
  return {
    id: file.id,
    filename: file.filename,
    mimeType: file.mimeType,
    size: file.size,
    sha256: file.sha256,
    ...auditFields(file),
  };
}
