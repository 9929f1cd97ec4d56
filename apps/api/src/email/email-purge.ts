import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Database, runExclusiveChunks } from '@app/database';
import { Outbox } from '../live/outbox';
import { EMAIL_TOPICS } from '../tickets/ticket-emails';

const PURGE_CHUNK = 5_000;
// This job's advisory lock (runExclusively): one process purges at a time, the others skip.
const PURGE_LOCK_KEY = 4_815_162_421;
// A sent email's outbox entry is kept a week, for inspection; the thread message keeps its state.
const RETENTION_MS = 7 * 24 * 60 * 60_000;

// Sent emails' outbox entries are deleted after a week, in chunks, every hour. Failed ones stay
// (they are few, and say why).
@Injectable()
export class EmailPurge implements BeforeApplicationShutdown {
  private readonly logger = new Logger(EmailPurge.name);
  private stopping = false;

  constructor(
    private readonly db: Database,
    private readonly outbox: Outbox,
  ) {}

  @Cron(CronExpression.EVERY_HOUR, { name: 'email-purge', unrefTimeout: true, waitForCompletion: true })
  async run(): Promise<void> {
    await this.purgeSent().catch((error: Error) => this.logger.warn(`purging sent emails failed: ${error.message}`));
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  // Returns how many entries it deleted.
  async purgeSent(): Promise<number> {
    return runExclusiveChunks(this.db, PURGE_LOCK_KEY, PURGE_CHUNK, () => this.outbox.deleteDelivered(EMAIL_TOPICS, RETENTION_MS, PURGE_CHUNK), () => this.stopping);
  }
}
