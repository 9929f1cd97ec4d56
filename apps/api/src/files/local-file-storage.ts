import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileStorage, StoredContent, uploadTempDir } from './file-storage';

// `<tenant id>/<first two hex digits>/<uuid>`: the shape is checked before any path is built, so a
// key read back from the database can never point outside the root.
const KEY = /^[1-9]\d{0,15}\/[0-9a-f]{2}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Attachments in a local directory: `<dir>/tenants/<tenant id>/<xx>/<uuid>`. Each is written to a
// temp file, flushed, then renamed into place, so a key never names a partial file.
export class LocalFileStorage extends FileStorage {
  private readonly root: string;
  private readonly tmp: string;

  constructor(dir: string) {
    super();
    this.root = resolve(dir, 'tenants');
    this.tmp = uploadTempDir(dir);
  }

  async put(tenantId: number, content: Readable): Promise<{ key: string }> {
    const id = randomUUID();
    const key = `${tenantId}/${id.slice(0, 2)}/${id}`;
    const target = this.pathOf(key);
    const temp = join(this.tmp, `put-${id}`);
    await Promise.all([mkdir(this.tmp, { recursive: true }), mkdir(dirname(target), { recursive: true })]);
    try {
      await pipeline(content, createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
      await flush(temp);
      await rename(temp, target);
    } catch (error) {
      content.destroy();
      await rm(temp, { force: true });
      throw error;
    }
    return { key };
  }

  async open(key: string): Promise<StoredContent> {
    const handle = await open(this.pathOf(key), 'r');
    try {
      const { size } = await handle.stat();
      return { stream: handle.createReadStream(), size };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error(`not a local storage key: ${JSON.stringify(key)}`);
    return join(this.root, ...key.split('/'));
  }
}

// The bytes reach the disk before the rename makes them visible under their key.
async function flush(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
