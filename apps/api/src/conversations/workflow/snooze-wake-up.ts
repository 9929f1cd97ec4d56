import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Database, runExclusiveChunks } from '@app/database';
import { ConversationsRepository } from '../conversations.repository';
import { ConversationWorkflow } from './conversation-workflow';

const WAKE_CHUNK = 500;
// This job's advisory lock (runExclusively): one process wakes snoozes at a time, the others skip.
const WAKE_LOCK_KEY = 4_815_162_346;

// Every second, snoozed conversations whose `snoozedUntil` has come become open again, each once
// whatever the number of processes: the lock lets one process run, and each chunk's UPDATE takes
// only conversations still snoozed, skipping those another transaction holds (the next run finds
// them). A chunk is one transaction: the status, its activity, the live event and routing.
@Injectable()
export class SnoozeWakeUp implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SnoozeWakeUp.name);
  private stopping = false;

  constructor(
    private readonly db: Database,
    private readonly conversations: ConversationsRepository,
    private readonly workflow: ConversationWorkflow,
  ) {}

  @Cron(CronExpression.EVERY_SECOND, { name: 'snooze-wake-up', unrefTimeout: true, waitForCompletion: true })
  async run(): Promise<void> {
    // A tick that fires while the app shuts down starts nothing the closing pool would wait for.
    if (this.stopping) return;
    await this.wakeDue().catch((error: Error) => this.logger.warn(`waking snoozed conversations failed: ${error.message}`));
  }

  // A run under way stops after its chunk, before the pool closes.
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  // Answers how many conversations it woke.
  async wakeDue(): Promise<number> {
    return runExclusiveChunks(this.db, WAKE_LOCK_KEY, WAKE_CHUNK, () => this.wakeChunk(), () => this.stopping);
  }

  private async wakeChunk(): Promise<number> {
    // Woken across tenants: routed once at the end, every team in id order.
    return this.workflow.batch(async () => {
      const woken = await this.conversations.wakeSnoozed(WAKE_CHUNK);
      await this.workflow.woken(woken);
      return woken.length;
    });
  }
}
