import type { Wire } from '@app/common';
import type { CUSTOMER_FILE_SCHEMA } from '../customer-view/customer-view.openapi';
import { StoredFile } from './stored-file.entity';

// What a customer may see of a file (CUSTOMER_FILE_SCHEMA): never its hash, its storage or who uploaded it.
export function presentCustomerFile(file: StoredFile): Wire<typeof CUSTOMER_FILE_SCHEMA> {
  return {
    id: file.id,
    filename: file.filename,
    mimeType: file.mimeType,
    size: file.size,
    createdAt: file.createdAt.toISOString(),
  };
}
