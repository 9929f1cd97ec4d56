import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '@app/config';
import { uploadTempDir } from './file-storage';

// An upload in flight older than this belongs to a process that died mid-request.
const ABANDONED_AFTER_MS = 60 * 60 * 1000;

// Removes abandoned upload spools: a process killed mid-upload leaves its temp file behind. At
// boot and hourly; a spool younger than an hour may be another process's live upload.
// No advisory lock, unlike the database's jobs: the spool is on this machine's disk, which processes
// elsewhere cannot sweep, and two processes here sweeping at once is harmless (rm with force: the
// second finds the spool gone).
@Injectable()
export class TempUploadSweeper implements OnModuleInit {
  private readonly logger = new Logger(TempUploadSweeper.name);

  constructor(private readonly config: AppConfig) {}

  onModuleInit(): void {
    void this.run();
  }

  @Cron(CronExpression.EVERY_HOUR, { name: 'upload-spool-sweep', unrefTimeout: true, waitForCompletion: true })
  async run(): Promise<void> {
    await this.sweep().catch((error: Error) => this.logger.warn(`sweeping upload spools failed: ${error.message}`));
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
