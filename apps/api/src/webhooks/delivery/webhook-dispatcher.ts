import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Database } from '@app/database';
import { PollingLoop } from '../../live/polling-loop';
import { TenantLogLimiter } from '../../live/tenant-log-limiter';
import { UnsafeWebhookAddress, WebhookAddressRules, webhookAddressRules } from './safe-address';
import { ClaimedDelivery, DeliveryOutcome, SubscriptionHealth, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDisabledNotice } from './webhook-disabled-notice';
import { WebhookFanOut } from './webhook-fan-out';
import { WebhookFailureReason, WebhookMetrics } from './webhook-metrics';
import { MAX_ATTEMPTS, retryDelayMs } from './webhook-retries';
import { deliverWebhook, SendResult } from './webhook-sender';
import { WebhookSecrets } from '../webhook-secrets';

// Lane heads claimed by one statement, and how many of a lane's next deliveries come with its head.
const HEADS_PER_CLAIM = 50;
const RUN_LENGTH = 10;
const MAX_BATCHES_PER_TICK = 10;
// Lanes sent at once.
const PARALLEL_LANES = 16;
// A claimed delivery is not sent unless its send can end this long before its lease does.
const LEASE_MARGIN_MS = 5_000;
const MAX_IDLE_MS = 10_000;
const FAILURE_LOG_INTERVAL_MS = 60_000;

type Settled = Exclude<DeliveryOutcome, { kind: 'released' }>;

// Sends webhook deliveries, at least once each, in order per lane (one conversation or ticket to
// one subscription), with any number of processes (docs/architecture.md, "Webhook delivery"):
// - on a timer of its own, new live updates are fanned out into deliveries (WebhookFanOut), so a
//   tick waiting on a slow receiver never holds back other subscriptions' deliveries;
// - a tick claims due lane heads with their runs, leased to this process (claimed_by = its token);
// - it sends each lane's run in order outside any transaction, recording each outcome as soon as
//   it is known; a failure stops the run, the rest handed back behind the failed head;
// - a process that lost the database mid-send records what it could not, and hands back every
//   delivery it still holds as soon as the database answers, rather than after the lease.
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  readonly token = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  private readonly rules: WebhookAddressRules;
  private readonly timeoutMs: number;
  private readonly leaseMs: number;
  private readonly loop: PollingLoop;
  // The fan-out's own loop, at the same interval and back-off: a slow tick never delays it.
  private readonly fanOutLoop: PollingLoop;
  // A tick failed: this process may hold deliveries it never heard of (see recover()).
  private claimsInDoubt = false;
  private unrecorded: DeliveryOutcome[] = [];
  private readonly failureLog = new TenantLogLimiter(FAILURE_LOG_INTERVAL_MS);

  constructor(
    config: AppConfig,
    private readonly db: Database,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly fanOut: WebhookFanOut,
    private readonly notice: WebhookDisabledNotice,
    private readonly metrics: WebhookMetrics,
    private readonly secrets: WebhookSecrets,
  ) {
    this.rules = webhookAddressRules(config);
    this.timeoutMs = config.WEBHOOK_TIMEOUT_MS;
    this.leaseMs = Math.max(60_000, 4 * (config.WEBHOOK_TIMEOUT_MS + LEASE_MARGIN_MS));
    const intervalMs = config.WEBHOOK_DISPATCH_INTERVAL_MS;
    this.loop = new PollingLoop({ intervalMs, maxDelayMs: MAX_IDLE_MS, tick: () => this.tick(), onFailure: (error) => this.tickFailed(error) });
    const fanOutFailed = (error: unknown): void => this.logger.error(`webhook fan-out failed, retrying: ${messageOf(error)}`);
    this.fanOutLoop = new PollingLoop({ intervalMs, maxDelayMs: MAX_IDLE_MS, tick: () => this.fanOut.run(), onFailure: fanOutFailed });
  }

  onApplicationBootstrap(): void {
    this.fanOutLoop.start(0);
    this.loop.start(0);
  }

  // The tick in flight ends (its sends recorded) before the pool closes.
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.loop.stop(), this.fanOutLoop.stop()]);
    await this.recordUnrecorded().catch(() => undefined);
  }

  // After a failed tick, what it left in doubt is settled before anything new is claimed.
  private async tick(): Promise<void> {
    if (this.claimsInDoubt) await this.recover();
    await this.dispatchDue();
  }

  // The next tick first records what it could not and hands back what this process still holds.
  private tickFailed(error: unknown): void {
    this.claimsInDoubt = true;
    this.logger.error(`webhook dispatch failed, retrying: ${messageOf(error)}`);
  }

  // The database is back (or the last tick failed some other way): nothing is in flight between
  // ticks, so whatever this process still holds is handed back now.
  private async recover(): Promise<void> {
    await this.recordUnrecorded();
    await this.deliveries.releaseClaims(this.token);
    this.claimsInDoubt = false;
  }

  private async dispatchDue(): Promise<void> {
    for (let batch = 0; batch < MAX_BATCHES_PER_TICK && !this.loop.stopping; batch++) {
      // Measured before the claim, so never later than the lease the database records.
      const leaseEndsAt = Date.now() + this.leaseMs;
      const claimed = await this.deliveries.claim(this.token, HEADS_PER_CLAIM, RUN_LENGTH, this.leaseMs);
      if (claimed.length === 0) return;
      await this.sendAll(claimed, leaseEndsAt);
    }
  }

  // Lanes in parallel, each lane's run in id order; a lane-less delivery is a lane of its own.
  private async sendAll(claimed: ClaimedDelivery[], leaseEndsAt: number): Promise<void> {
    const lanes = new Map<string, ClaimedDelivery[]>();
    for (const d of claimed) {
      const key = d.lane === null ? `${d.tenantId}/${d.id}` : `${d.tenantId}/${d.subscriptionId}/${d.lane}`;
      lanes.set(key, [...(lanes.get(key) ?? []), d]);
    }
    const queue = [...lanes.values()];
    const worker = async (): Promise<void> => {
      for (let run = queue.shift(); run; run = queue.shift()) await this.sendRun(run, leaseEndsAt);
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(PARALLEL_LANES, queue.length) }, worker));
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  // One after another; a failure that will be retried (or a 410) hands the rest back.
  private async sendRun(run: ClaimedDelivery[], leaseEndsAt: number): Promise<void> {
    for (let i = 0; i < run.length; i++) {
      if (this.loop.stopping || Date.now() + this.timeoutMs + LEASE_MARGIN_MS > leaseEndsAt) {
        await this.record(run.slice(i).map((delivery) => ({ delivery, kind: 'released' })));
        return;
      }
      const outcome = await this.attempt(run[i]);
      const stop = outcome.kind === 'retry' || outcome.kind === 'gone';
      await this.record([outcome, ...(stop ? run.slice(i + 1).map((delivery): DeliveryOutcome => ({ delivery, kind: 'released' })) : [])]);
      if (stop) return;
    }
  }

  private async attempt(delivery: ClaimedDelivery): Promise<Settled> {
    let secrets: string[];
    try {
      secrets = [delivery.secretSealed, ...(delivery.previousSecretSealed ? [delivery.previousSecretSealed] : [])].map((s) => this.secrets.open(s));
    } catch {
      return this.failed(delivery, { statusCode: null, response: null, error: 'signing secret cannot be opened: SECRETS_KEY changed?', durationMs: 0 }, 'secret');
    }
    const started = Date.now();
    let result: SendResult;
    try {
      result = await deliverWebhook(delivery.url, this.rules, { messageId: delivery.messageId, body: delivery.body, secrets }, this.timeoutMs);
    } catch (error) {
      if (!(error instanceof UnsafeWebhookAddress)) throw error;
      return this.failed(delivery, { statusCode: null, response: null, error: `refused: ${error.message}`, durationMs: Date.now() - started }, 'refused_address');
    }
    if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300) {
      this.metrics.attempted('delivered', null);
      return { delivery, kind: 'delivered', ...result, retryMs: null };
    }
    if (result.statusCode === 410) {
      this.metrics.attempted('gone', 'status');
      return { delivery, kind: 'gone', ...result, error: 'the receiver answered 410 Gone: the subscription is disabled', retryMs: null };
    }
    return this.failed(delivery, { ...result, error: result.error ?? `the receiver answered ${result.statusCode}` }, failureReason(result));
  }

  // Due again after its backoff, or failed for good when its attempts are used up.
  private failed(delivery: ClaimedDelivery, result: SendResult, reason: WebhookFailureReason): Settled {
    const retryMs = delivery.attempts + 1 >= MAX_ATTEMPTS ? null : retryDelayMs(delivery.attempts + 1);
    const kind = retryMs === null ? 'failed' : 'retry';
    this.metrics.attempted(kind, reason);
    const skipped = this.failureLog.admit(delivery.tenantId);
    if (skipped !== null) {
      this.logger.warn(
        { tenantId: delivery.tenantId, subscriptionId: delivery.subscriptionId, deliveryId: delivery.id, attempts: delivery.attempts + 1, skipped },
        `webhook delivery ${delivery.id} of subscription ${delivery.subscriptionId} (tenant ${delivery.tenantId}) failed: ${result.error} ` +
          `(attempt ${delivery.attempts + 1} of ${MAX_ATTEMPTS}, ${retryMs === null ? 'given up' : `next try in ${Math.round(retryMs / 1000)} s`})` +
          (skipped > 0 ? `; ${skipped} more failure(s) of this tenant since its last warning` : ''),
      );
    }
    return { delivery, kind, ...result, retryMs };
  }

  // Outcomes and what they say of their subscriptions, in one transaction; when the database
  // cannot take them they wait for the next tick.
  private async record(outcomes: DeliveryOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    try {
      await this.db.transaction(async () => {
        await this.deliveries.record(this.token, outcomes);
        const disabled = await this.deliveries.updateHealth(healthOf(outcomes));
        await this.notice.publish(disabled);
      });
    } catch (error) {
      this.unrecorded.push(...outcomes);
      throw error;
    }
  }

  private async recordUnrecorded(): Promise<void> {
    const outcomes = this.unrecorded;
    this.unrecorded = [];
    await this.record(outcomes);
  }
}

// Each subscription's last settled outcome, in the order they were made.
function healthOf(outcomes: readonly DeliveryOutcome[]): SubscriptionHealth[] {
  const health = new Map<string, SubscriptionHealth>();
  for (const o of outcomes) {
    if (o.kind === 'released') continue;
    const last = o.kind === 'delivered' ? 'ok' : o.kind === 'gone' ? 'gone' : 'failing';
    health.set(`${o.delivery.tenantId}/${o.delivery.subscriptionId}`, { tenantId: o.delivery.tenantId, id: o.delivery.subscriptionId, last });
  }
  return [...health.values()];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function failureReason(result: SendResult): WebhookFailureReason {
  if (result.statusCode !== null) return 'status';
  return result.error?.startsWith('no answer within') ? 'timeout' : 'connection';
}
