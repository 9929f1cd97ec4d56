import { Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { METRICS_PREFIX, MetricsService } from '../../metrics/metrics.service';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';

// What became of one attempt: delivered (2xx); retry (failed, due again); failed (for good, its
// attempts used up); gone (410: the subscription is disabled).
export type WebhookAttemptOutcome = 'delivered' | 'retry' | 'failed' | 'gone';
// Why an attempt failed: the receiver's status, no answer in time, no connection, an address the
// SSRF rules refuse, or a signing secret this process cannot open (SECRETS_KEY changed).
export type WebhookFailureReason = 'status' | 'timeout' | 'connection' | 'refused_address' | 'secret';

const COLLECT_TIMEOUT_MS = 1_000;

// The webhooks' series in the app's registry: attempts by outcome and failures by reason, counted
// by the dispatcher; the backlog and its oldest delivery's age, read when scraped.
@Injectable()
export class WebhookMetrics {
  private readonly logger = new Logger(WebhookMetrics.name);
  private readonly attempts: Counter<string>;
  private readonly failures: Counter<string>;
  private readonly backlog: Gauge;
  private readonly oldestAge: Gauge;
  private reading?: Promise<void>;

  constructor(
    metrics: MetricsService,
    private readonly deliveries: WebhookDeliveriesRepository,
  ) {
    const registers = [metrics.registry];
    this.attempts = new Counter({
      name: `${METRICS_PREFIX}webhook_deliveries_total`,
      help: 'Webhook delivery attempts, by outcome (delivered, retry, failed: given up, gone: 410 disabled the subscription)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['delivered', 'retry', 'failed', 'gone']) this.attempts.inc({ outcome }, 0);
    this.failures = new Counter({
      name: `${METRICS_PREFIX}webhook_delivery_failures_total`,
      help: 'Webhook delivery attempts that failed, by reason (status, timeout, connection, refused_address, secret)',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of ['status', 'timeout', 'connection', 'refused_address', 'secret']) this.failures.inc({ reason }, 0);
    const collect = (): Promise<void> => (this.reading ??= this.read().finally(() => (this.reading = undefined)));
    this.backlog = new Gauge({ name: `${METRICS_PREFIX}webhook_backlog`, help: 'Webhook deliveries pending for active subscriptions', registers, collect });
    this.oldestAge = new Gauge({
      name: `${METRICS_PREFIX}webhook_backlog_oldest_age_seconds`,
      help: 'Age of the oldest webhook delivery pending for an active subscription (0 when none)',
      registers,
      collect,
    });
  }

  attempted(outcome: WebhookAttemptOutcome, failure: WebhookFailureReason | null): void {
    this.attempts.inc({ outcome });
    if (failure) this.failures.inc({ reason: failure });
  }

  // A failed read leaves the last values and is logged, not the scrape's failure.
  private async read(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${COLLECT_TIMEOUT_MS} ms`)), COLLECT_TIMEOUT_MS)));
      const { backlog, oldest } = await Promise.race([this.deliveries.backlog(), timeout]);
      this.backlog.set(backlog);
      this.oldestAge.set(Math.max(0, oldest));
    } catch (error) {
      this.logger.warn(`webhook metrics not read: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
