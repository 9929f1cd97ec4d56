import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Database, runExclusively } from '@app/database';
import { IDEMPOTENCY_KEY_RETENTION } from './idempotency.interceptor';

// This job's advisory lock (runExclusively): one process purges at a time, the others skip.
const PURGE_LOCK_KEY = 4_815_162_344;

// Deletes Idempotency-Keys past their retention, hourly. A key found expired before that is
// claimed anew by its next request (IdempotencyInterceptor), so the purge only keeps the table small.
@Injectable()
export class IdempotencyKeysPurge {
  private readonly logger = new Logger(IdempotencyKeysPurge.name);

  constructor(private readonly db: Database) {}

  @Cron(CronExpression.EVERY_HOUR, { name: 'idempotency-keys-purge', unrefTimeout: true, waitForCompletion: true })
  async run(): Promise<void> {
    await runExclusively(this.db, PURGE_LOCK_KEY, () => this.purgeExpired()).catch((error: Error) =>
      this.logger.warn(`purging idempotency keys failed: ${error.message}`),
    );
  }

  // Returns how many keys it deleted.
  async purgeExpired(): Promise<number> {
    const [, affected] = await this.db.query<[unknown, number]>(
      `DELETE FROM idempotency_keys WHERE created_at < now() - interval '${IDEMPOTENCY_KEY_RETENTION}'`,
    );
    return affected;
  }
}
