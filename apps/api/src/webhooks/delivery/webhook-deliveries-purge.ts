import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Database, runExclusiveChunks } from '@app/database';

// Settled deliveries (delivered or failed) are the subscriptions' invocation log: kept this long,
// then deleted in chunks every ten minutes. Pending ones are never purged.
export const DELIVERY_RETENTION_DAYS = 30;
const PURGE_CHUNK = 5_000;
// This job's advisory lock (runExclusively): one process purges at a time, the others skip.
const PURGE_LOCK_KEY = 4_815_162_372;

@Injectable()
export class WebhookDeliveriesPurge implements BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDeliveriesPurge.name);
  private stopping = false;

  constructor(private readonly db: Database) {}

  @Cron(CronExpression.EVERY_10_MINUTES, { name: 'webhook-deliveries-purge', unrefTimeout: true, waitForCompletion: true })
  async run(): Promise<void> {
    await this.purgeSettled().catch((error: Error) => this.logger.warn(`purging settled webhook deliveries failed: ${error.message}`));
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  // Answers how many deliveries it deleted.
  async purgeSettled(): Promise<number> {
    return runExclusiveChunks(this.db, PURGE_LOCK_KEY, PURGE_CHUNK, () => this.deleteChunk(), () => this.stopping);
  }

  private async deleteChunk(): Promise<number> {
    const [, affected] = await this.db.query<[unknown, number]>(
      `DELETE FROM webhook_deliveries
        WHERE (tenant_id, id) IN (
              SELECT tenant_id, id FROM webhook_deliveries
               WHERE created_at < now() - $1::int * interval '1 day' AND status <> 'pending'
               LIMIT $2)`,
      [DELIVERY_RETENTION_DAYS, PURGE_CHUNK],
    );
    return affected;
  }
}
