import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Database, runExclusiveChunks } from '@app/database';
import { QueueCountsRepository } from './queue-counts.repository';

// Tenant-status groups folded per transaction.
const FOLD_CHUNK = 1_000;
// This job's advisory lock (runExclusively): one process folds at a time, the others skip.
const FOLD_LOCK_KEY = 4_815_162_361;

// The status ledger's appended rows, folded every ten seconds into one row per tenant and status,
// so that counting a tenant's statuses sums a handful of rows however many changes it had.
@Injectable()
export class StatusCountsFold implements BeforeApplicationShutdown {
  private readonly logger = new Logger(StatusCountsFold.name);
  private stopping = false;

  constructor(
    private readonly db: Database,
    private readonly counts: QueueCountsRepository,
  ) {}

  @Cron(CronExpression.EVERY_10_SECONDS, { name: 'status-counts-fold', unrefTimeout: true, waitForCompletion: true })
  async run(): Promise<void> {
    await this.fold().catch((error: Error) => this.logger.warn(`folding the status counts failed: ${error.message}`));
  }

  // A fold under way stops after its chunk, before the pool closes.
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  // Chunk by chunk, each under the job's lock. Returns how many groups it folded.
  async fold(): Promise<number> {
    return runExclusiveChunks(this.db, FOLD_LOCK_KEY, FOLD_CHUNK, () => this.counts.foldStatusCounts(FOLD_CHUNK), () => this.stopping);
  }
}
