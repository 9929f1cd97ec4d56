import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '@app/config';
import { uploadTempDir } from './file-storage';

// An upload in flight older than this belongs to a process that died mid-request.
const ABANDONED_AFTER_MS = 60 * 60 * 1000;

// Removes abandoned upload spools: a process killed mid-upload leaves its temp file behind. At
// boot and hourly; a spool younger than an hour may be another process's live upload.
@Injectable()
export class TempUploadSweeper implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TempUploadSweeper.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly config: AppConfig) {}

  onModuleInit(): void {
    const run = () => void this.sweep().catch((error: Error) => this.logger.warn(`sweeping upload spools failed: ${error.message}`));
    run();
    this.timer = setInterval(run, ABANDONED_AFTER_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  // Returns how many spools it removed.
  async sweep(now = Date.now()): Promise<number> {
    const dir = uploadTempDir(this.config.FILES_DIR);
    const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    let removed = 0;
    for (const name of names) {
      const path = join(dir, name);
      const info = await stat(path).catch(() => null);
      if (info && now - info.mtimeMs > ABANDONED_AFTER_MS) {
        await rm(path, { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }
}
