import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { AppConfig } from '@app/config';
import { Database, runExclusiveChunks } from '@app/database';

const HOUR_MS = 60 * 60 * 1000;
const CHUNK = 5_000;
// This job's advisory lock (runExclusively): one process sweeps at a time, the others skip.
const SWEEP_LOCK_KEY = 4_815_162_343;

// Deletes stored webhook events past their retention. A replay of one is refused by its time_ms
// long before (the retry window), and a message's own clientMessageId keeps it unique after, so
// the retention never drops below the window plus an hour, whatever is configured. Hourly.
@Injectable()
export class WebhookEventsSweeper implements BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookEventsSweeper.name);
  private stopping = false;

  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
  ) {}

  get retentionMs(): number {
    return Math.max(this.config.PUSHER_WEBHOOK_RETENTION_HOURS * HOUR_MS, this.config.PUSHER_WEBHOOK_MAX_AGE_SECONDS * 1000 + HOUR_MS);
  }

  @Cron(CronExpression.EVERY_HOUR, { name: 'webhook-events-sweep', unrefTimeout: true, waitForCompletion: true })
  async run(): Promise<void> {
    await this.sweep().catch((error: Error) => this.logger.warn(`sweeping webhook events failed: ${error.message}`));
  }

  // A sweep under way stops after its chunk, before the pool closes.
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  // In chunks, each its own transaction under the job's lock (runExclusiveChunks), so no statement
  // holds many rows at once. Returns how many it deleted.
  async sweep(now = Date.now()): Promise<number> {
    const before = new Date(now - this.retentionMs);
    return runExclusiveChunks(this.db, SWEEP_LOCK_KEY, CHUNK, () => this.deleteChunk(before), () => this.stopping);
  }

  private async deleteChunk(before: Date): Promise<number> {
    const [, count]: [unknown, number] = await this.db.query(
      `DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events WHERE received_at < $1 ORDER BY received_at LIMIT ${CHUNK})`,
      [before],
    );
    return count;
  }

}
