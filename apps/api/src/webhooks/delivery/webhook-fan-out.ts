import { Injectable } from '@nestjs/common';
import { Database, runExclusively } from '@app/database';
import { WebhookFanOutSource } from '../../live/webhook-fan-out-source';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';

// This job's advisory lock (runExclusively): one process fans out at a time, so deliveries are
// written in the order of the live updates they come from.
const FAN_OUT_LOCK_KEY = 4_815_162_371;
const BATCH = 500;
const MAX_BATCHES = 10;

// Turns the live updates marked for webhooks into deliveries: each batch one transaction that takes
// the oldest marked updates, writes one delivery per matching active subscription and unmarks the
// updates, so none is lost or fanned out twice whatever the process that dies mid-way.
@Injectable()
export class WebhookFanOut {
  constructor(
    private readonly db: Database,
    private readonly source: WebhookFanOutSource,
    private readonly deliveries: WebhookDeliveriesRepository,
  ) {}

  // Answers how many live updates it fanned out.
  async run(): Promise<number> {
    let total = 0;
    if (!(await this.source.anyPending())) return total;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const taken = await runExclusively(this.db, FAN_OUT_LOCK_KEY, async () => {
        const events = await this.source.take(BATCH);
        await this.deliveries.insertForEvents(events);
        return events.length;
      });
      if (taken === null) return total;
      total += taken;
      if (taken < BATCH) return total;
    }
    return total;
  }
}
