import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '@app/config';
import { uploadTempDir } from '../../apps/api/src/files/file-storage';
import { TestApp } from './test-app';

export const sha256 = (content: Buffer | string) => createHash('sha256').update(content).digest('hex');

// The upload spool where the app puts it (FILES_DIR's). Reading it is an error, not "none left",
// when it is not there: a spec makes it with a first upload and checks it exists.
export const spoolDir = (t: TestApp) => uploadTempDir(t.app.get(AppConfig).FILES_DIR);
export const tempFiles = (t: TestApp): Promise<string[]> => readdir(spoolDir(t));

// A request's temp file is removed once its answer is sent: give the hook a moment.
export async function expectNoTempFiles(t: TestApp): Promise<void> {
  for (let attempt = 0; attempt < 50 && (await tempFiles(t)).length > 0; attempt++) await new Promise((r) => setTimeout(r, 20));
  expect(await tempFiles(t)).toEqual([]);
}

// Every stored file's path under FILES_DIR; none before the first upload of a tenant.
export async function storedFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(dir, 'tenants'), { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}
