import { Injectable, Logger } from '@nestjs/common';
import { Database } from '@app/database';
import { Counter, Gauge } from 'prom-client';
import { METRICS_PREFIX, MetricsService } from '../metrics/metrics.service';
import { LIVE_EVENTS_TOPIC } from './live-events';

// What became of a live update whose send to Pusher failed: due again later, or given up.
export type OutboxFailureOutcome = 'retry' | 'given_up';

// The scrape's outbox query never waits longer than this for the pool or the database.
const COLLECT_TIMEOUT_MS = 1_000;

// The live updates' series in the app's metrics registry: delivery failures, counted by the
// dispatcher, and the backlog, read when scraped.
@Injectable()
export class OutboxMetrics {
  private readonly logger = new Logger(OutboxMetrics.name);
  private readonly deliveryFailures: Counter<string>;
  private readonly backlog: Gauge;
  private readonly oldestAge: Gauge;
  private reading?: Promise<void>;

  constructor(
    metrics: MetricsService,
    private readonly db: Database,
  ) {
    const registers = [metrics.registry];
    this.deliveryFailures = new Counter({
      name: `${METRICS_PREFIX}outbox_delivery_failures_total`,
      help: 'Live updates whose send to Pusher failed, by outcome (retry: due again later; given_up: failed for good)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['retry', 'given_up']) this.deliveryFailures.inc({ outcome }, 0);

    // One query per scrape sets both gauges: the registry collects all metrics at once, so the
    // second collect joins the read the first one started.
    const collect = (): Promise<void> => (this.reading ??= this.readOutbox().finally(() => (this.reading = undefined)));
    this.backlog = new Gauge({
      name: `${METRICS_PREFIX}outbox_backlog`,
      help: 'Live updates in the outbox not yet delivered to Pusher (nor given up)',
      registers,
      collect,
    });
    this.oldestAge = new Gauge({
      name: `${METRICS_PREFIX}outbox_oldest_age_seconds`,
      help: 'Age of the oldest live update not yet delivered to Pusher (0 when none)',
      registers,
      collect,
    });
  }

  // For the outbox dispatcher: one call per row whose send failed.
  deliveryFailed(outcome: OutboxFailureOutcome): void {
    this.deliveryFailures.inc({ outcome });
  }

  // Operator data across tenants: the dispatcher's own index (topic, undelivered, not failed)
  // finds the rows. A failed read leaves the last values and is logged, not the scrape's failure.
  private async readOutbox(): Promise<void> {
    try {
      const [row] = (await withTimeout(
        this.db.dataSource.query(
          `SELECT count(*)::int AS backlog, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest
             FROM outbox
            WHERE topic = $1 AND delivered_at IS NULL AND failed_at IS NULL`,
          [LIVE_EVENTS_TOPIC],
        ),
        COLLECT_TIMEOUT_MS,
      )) as { backlog: number; oldest: number }[];
      this.backlog.set(row.backlog);
      this.oldestAge.set(Math.max(0, row.oldest));
    } catch (error) {
      this.logger.warn(`outbox metrics not read: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
