import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Database, runExclusiveChunks } from '@app/database';
import { LIVE_EVENTS_TOPIC } from './live-events';

const PURGE_CHUNK = 5_000;
// This job's advisory lock (runExclusively): one process purges at a time, the others skip.
const PURGE_LOCK_KEY = 4_815_162_345;

// Delivered live updates are kept a day, for inspection, then deleted in chunks, every ten minutes;
// one the webhooks' fan-out has not read yet (webhooks_pending) stays until it has. The emails and
// every other topic of the outbox are not ours.
@Injectable()
export class OutboxPurge implements BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxPurge.name);
  private stopping = false;

  constructor(private readonly db: Database) {}

  @Cron(CronExpression.EVERY_10_MINUTES, { name: 'outbox-purge', unrefTimeout: true, waitForCompletion: true })
  async run(): Promise<void> {
    await this.purgeDelivered().catch((error: Error) => this.logger.warn(`purging delivered live updates failed: ${error.message}`));
  }

  // A purge under way stops after its chunk, before the pool closes.
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  // Chunk by chunk, each under the job's lock (runExclusiveChunks). Returns how many rows it deleted.
  async purgeDelivered(): Promise<number> {
    return runExclusiveChunks(this.db, PURGE_LOCK_KEY, PURGE_CHUNK, () => this.deleteChunk(), () => this.stopping);
  }

  private async deleteChunk(): Promise<number> {
    const [, affected] = await this.db.query<[unknown, number]>(
      `DELETE FROM outbox
        WHERE (tenant_id, id) IN (
              SELECT tenant_id, id FROM outbox
               WHERE delivered_at < now() - interval '1 day' AND topic = $1 AND NOT webhooks_pending
               LIMIT $2)`,
      [LIVE_EVENTS_TOPIC, PURGE_CHUNK],
    );
    return affected;
  }

}
