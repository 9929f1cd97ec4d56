import { resolve } from 'node:path';
import type { Readable } from 'node:stream';

export interface StoredContent {
  stream: Readable;
  size: number;
}

// Where attachments' bytes live. Keys are made by the driver, never by a client, and name the
// bytes for as long as they are kept. Used as the injection token; FILE_STORAGE_DRIVER picks the class.
export abstract class FileStorage {
  // Stores the whole stream; the key names it only once every byte is written.
  abstract put(tenantId: number, content: Readable): Promise<{ key: string }>;

  // Fails (before any byte is read) when the key names nothing.
  abstract open(key: string): Promise<StoredContent>;

  // Removing what is not there is not an error.
  abstract remove(key: string): Promise<void>;
}

// Uploads in flight are spooled here whatever the driver: under FILES_DIR, so the local driver
// renames within one filesystem.
export function uploadTempDir(filesDir: string): string {
  return resolve(filesDir, 'tmp');
}
