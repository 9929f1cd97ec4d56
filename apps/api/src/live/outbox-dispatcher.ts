import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Database } from '@app/database';
import Pusher from 'pusher';
import { LIVE_EVENTS_TOPIC, LiveEventPayload } from './live-events';
import { OutboxMetrics } from './outbox-metrics';
import { PollingLoop } from './polling-loop';
import { PusherService } from './pusher.service';
import { TenantLogLimiter } from './tenant-log-limiter';

// Rows claimed by one statement; a tick claims again while batches come back full.
const BATCH_SIZE = 100;
const MAX_BATCHES_PER_TICK = 10;
// Tenants sent to at once. One tenant's rows go one after another, in the order they were
// written, so its dashboards see its changes in order.
const LANES = 8;
// The claims' advisory lock (transaction-scoped): one process claims at a time, so each claim sees
// the leases of the one before it and never takes a tenant's rows while another holds earlier ones.
const CLAIM_LOCK_KEY = 4_815_162_380;
// Retries: 1 s doubling to 5 min, each delay drawn from its upper half (jitter), so senders that
// failed together do not retry together.
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_CAP_MS = 5 * 60_000;
// A claimed row is not sent unless its send can end this long before its lease does.
const LEASE_MARGIN_MS = 5_000;
// The loop's own failures (database down) space its ticks out up to this.
const MAX_IDLE_MS = 10_000;
const MAX_ERROR_LENGTH = 1_000;
// A tenant's failed deliveries are one warning a minute at most.
const FAILURE_LOG_INTERVAL_MS = 60_000;
// Pusher's multi-tenant clusters take at most 10 events in one batch_events request, each event on
// one channel: a row for two channels is two of them (LiveEvents writes one a row).
const PUSHER_BATCH_EVENTS = 10;

// The claim (see claim()): the tenants with pending rows (senders) by a recursive skip scan; each tenant's first
// row that is not due (held); each tenant's pending rows below it, lowest first.
const CLAIM_SQL = `WITH RECURSIVE senders AS (
    (SELECT tenant_id FROM outbox
      WHERE topic = $1 AND delivered_at IS NULL AND failed_at IS NULL
      ORDER BY tenant_id LIMIT 1)
    UNION ALL
    SELECT (SELECT n.tenant_id FROM outbox n
             WHERE n.topic = $1 AND n.delivered_at IS NULL AND n.failed_at IS NULL AND n.tenant_id > t.tenant_id
             ORDER BY n.tenant_id LIMIT 1)
      FROM senders t WHERE t.tenant_id IS NOT NULL),
  held AS (
    SELECT tenant_id, min(id) AS id FROM outbox
     WHERE topic = $1 AND delivered_at IS NULL AND failed_at IS NULL AND available_at > now()
     GROUP BY tenant_id),
  due AS (
    SELECT d.tenant_id, d.id, d.available_at
      FROM senders t
      LEFT JOIN held h ON h.tenant_id = t.tenant_id
      CROSS JOIN LATERAL (
        SELECT p.tenant_id, p.id, p.available_at FROM outbox p
         WHERE p.topic = $1 AND p.tenant_id = t.tenant_id AND p.delivered_at IS NULL AND p.failed_at IS NULL
           AND p.id < coalesce(h.id, 9223372036854775807) AND p.available_at <= now()
         ORDER BY p.id
         LIMIT $2) d
     WHERE t.tenant_id IS NOT NULL
     ORDER BY d.id
     LIMIT $2)
  UPDATE outbox o
     SET attempts = o.attempts + 1,
         available_at = now() + $3::double precision * interval '1 millisecond',
         claimed_by = $4
    FROM due
   WHERE o.tenant_id = due.tenant_id AND o.id = due.id
     AND o.delivered_at IS NULL AND o.failed_at IS NULL AND o.available_at <= now()
  RETURNING o.tenant_id, o.id, o.attempts, o.payload, due.available_at AS due_at`;

interface ClaimedRow {
  tenant_id: number;
  id: number;
  // Including this one.
  attempts: number;
  payload: LiveEventPayload;
  due_at: Date;
}

// What became of one claimed row: sent; failed and due again after a delay; failed for good; or
// not tried (the lease too short, the tenant's earlier row failed, shutdown), the attempt undone.
type Outcome =
  | { row: ClaimedRow; kind: 'delivered' }
  | { row: ClaimedRow; kind: 'retry'; error: string; retryMs: number }
  | { row: ClaimedRow; kind: 'failed'; error: string }
  | { row: ClaimedRow; kind: 'released' };

// Sends the outbox's live updates (topic `pusher`) to Pusher after the transactions that wrote
// them committed, at least once each, and each tenant's in id order whatever the number of processes:
// - a tick claims due rows with a lease, under the claims' advisory lock: one UPDATE that counts the
//   attempt, moves available_at past the sends and names this process in claimed_by, and takes a
//   tenant's rows only up to its first row that is leased or waiting for a retry (a tenant is sent
//   to by one process at a time, its rows in order, even across retries); a process that dies
//   mid-send leaves them to be claimed again when the lease ends, and one that lost the database
//   takes its own claims back as soon as it answers again;
// - it sends outside any transaction, then records each row's fate: delivered_at; or last_error
//   and a retry after an exponential backoff; or failed_at when the attempts are used up or Pusher
//   refused the request as one that can never succeed (a 4xx other than 408 and 429).
// Without Pusher credentials it does nothing at all, and the outbox keeps the updates.
@Injectable()
export class OutboxDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxDispatcher.name);
  private readonly client: Pusher | null;
  private readonly maxAttempts: number;
  // Long enough for the sends of a lane: a send may take PUSHER_TIMEOUT_MS.
  private readonly leaseMs: number;
  private readonly timeoutMs: number;
  private readonly secret?: string;
  private readonly loop: PollingLoop;
  private readonly failureLog = new TenantLogLimiter(FAILURE_LOG_INTERVAL_MS);
  // Outcomes of claimed rows that could not be recorded (the database went away mid-tick): recorded
  // first thing once it is back, so those rows are free again at once rather than when their lease
  // ends. Lost only with the process, and then the lease hands them back.
  private unrecorded: Outcome[] = [];
  // This process's name on the rows it claims (claimed_by).
  readonly claimant = randomUUID();
  // A tick failed: the rows this process still holds claimed are handed back before the next claim.
  private abandoned = false;

  constructor(
    pusher: PusherService,
    config: AppConfig,
    private readonly db: Database,
    private readonly metrics: OutboxMetrics,
  ) {
    this.client = pusher.client;
    this.maxAttempts = config.PUSHER_DISPATCH_MAX_ATTEMPTS;
    this.timeoutMs = config.PUSHER_TIMEOUT_MS;
    this.secret = config.PUSHER_SECRET;
    this.leaseMs = Math.max(60_000, 4 * (config.PUSHER_TIMEOUT_MS + LEASE_MARGIN_MS));
    this.loop = new PollingLoop({ intervalMs: config.PUSHER_DISPATCH_INTERVAL_MS, maxDelayMs: MAX_IDLE_MS, tick: () => this.dispatchDue(), onFailure: (error) => this.tickFailed(error) });
  }

  // Without Pusher, said once here rather than on every request that needs it.
  onApplicationBootstrap(): void {
    if (this.client) this.loop.start(0);
    else {
      this.logger.warn(
        'Pusher is not configured (PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET): live updates stay in the outbox, ' +
          'and channel authorisation answers 503 PUSHER_NOT_CONFIGURED',
      );
    }
  }

  // Stops polling and waits for the tick in flight: its send ends and its outcome is recorded
  // before the pool closes; rows it claimed but had not sent are handed back.
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await this.recover().catch(() => undefined);
  }

  // The rows this process still holds are handed back (recover()) before the next claim.
  private tickFailed(error: unknown): void {
    this.abandoned = true;
    this.logger.error(`live updates dispatch failed, retrying: ${describeError(error, this.secret)}`);
  }

  // Claims and sends batches until one comes back short (the backlog is drained) or the tick has
  // had its share.
  private async dispatchDue(): Promise<void> {
    await this.recover();
    for (let batch = 0; batch < MAX_BATCHES_PER_TICK && !this.loop.stopping; batch++) {
      // Measured before the claim, so never later than the lease the database records.
      const leaseEndsAt = Date.now() + this.leaseMs;
      const rows = await this.claim(BATCH_SIZE);
      if (rows.length > 0) await this.sendAll(rows, leaseEndsAt);
      if (rows.length < BATCH_SIZE) return;
    }
  }

  // Under the claims' lock, in a transaction of its own whose UPDATE (its snapshot taken after the
  // lock) sees every earlier claim: of each tenant with pending rows (found by a skip scan of
  // ix_outbox_pending_tenant, one index descent a tenant), its lowest pending ids below its first
  // row that is not due (leased to a process, or waiting for a retry), at most `limit` of them;
  // of those, the lowest ids across tenants, each with one more attempt, leased until now() + lease
  // to this process. A tenant held by another process adds nothing but its descent, however long
  // its backlog: it never keeps other tenants from being claimed, and a claim costs one descent per
  // tenant with pending rows plus at most `limit` rows each. No SKIP LOCKED: a row skipped for a
  // moment's lock would let the tenant's later rows go before it; the UPDATE waits for such a lock
  // and checks the row again.
  private async claim(limit: number): Promise<ClaimedRow[]> {
    const rows = await this.db.withTransaction(async () => {
      await this.db.query('SELECT pg_advisory_xact_lock($1)', [CLAIM_LOCK_KEY]);
      const [claimed] = await this.db.query<[ClaimedRow[], number]>(CLAIM_SQL, [LIVE_EVENTS_TOPIC, limit, this.leaseMs, this.claimant]);
      return claimed;
    });
    return rows.sort((a, b) => a.id - b.id);
  }

  // Tenants in parallel lanes, each tenant's rows in order.
  private async sendAll(rows: ClaimedRow[], leaseEndsAt: number): Promise<void> {
    const byTenant = new Map<number, ClaimedRow[]>();
    for (const row of rows) {
      const queue = byTenant.get(row.tenant_id);
      if (queue) queue.push(row);
      else byTenant.set(row.tenant_id, [row]);
    }
    const queues = [...byTenant.values()];
    const lane = async (): Promise<void> => {
      for (let queue = queues.shift(); queue; queue = queues.shift()) {
        await this.sendInOrder(queue, leaseEndsAt);
      }
    };
    // Every lane ends before the tick does, even when one fails: ticks never overlap.
    const results = await Promise.allSettled(Array.from({ length: Math.min(LANES, queues.length) }, lane));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
  }

  // One tenant's rows, one after another, several to a request (Pusher's batch_events keeps their
  // order), each request's outcome recorded as soon as it is known: a process killed between a send
  // and its record sends that one request's rows again when their lease ends (Pusher takes no
  // idempotency key, so delivery is at least once; every event carries the conversation, message or
  // ticket it reports with its id, so a receiver that upserts by id takes a repeat as a no-op). A batch Pusher refuses for good is sent again row by row, so only the
  // rows it cannot take fail; each of those sends passes the same checks as any other. After a
  // failure that may pass (a timeout, a 5xx), the tenant's later rows are handed back for the next
  // tick rather than sent into the same outage now (they wait behind the failed rows, which hold
  // the tenant until their retry: order is kept across retries too).
  private async sendInOrder(queue: ClaimedRow[], leaseEndsAt: number): Promise<void> {
    const progress = { next: 0 };
    try {
      await this.sendQueue(queue, leaseEndsAt, progress);
    } catch (error) {
      // The database went away: the rows not yet tried are handed back, with the outcomes it could
      // not record, as soon as it is back.
      this.unrecorded.push(...queue.slice(progress.next).map((row): Outcome => ({ row, kind: 'released' })));
      throw error;
    }
  }

  // The rows before progress.next have an outcome, recorded or waiting in `unrecorded`.
  private async sendQueue(queue: ClaimedRow[], leaseEndsAt: number, progress: { next: number }): Promise<void> {
    let holdBack = false;
    // Rows before this index go one to a request: their batch was refused.
    let aloneUntil = 0;
    while (progress.next < queue.length) {
      const next = progress.next;
      if (holdBack || this.loop.stopping || Date.now() + this.timeoutMs + LEASE_MARGIN_MS > leaseEndsAt) {
        progress.next = queue.length;
        await this.record(queue.slice(next).map((row): Outcome => ({ row, kind: 'released' })));
        return;
      }
      let sent: Outcome[];
      if (next < aloneUntil) {
        sent = [await this.send(queue[next])];
      } else {
        const chunk = takeChunk(queue, next);
        const batch = await this.sendBatch(chunk);
        if (batch === 'split') {
          aloneUntil = next + chunk.length;
          continue;
        }
        sent = batch;
      }
      progress.next += sent.length;
      if (sent.some((outcome) => outcome.kind === 'retry')) holdBack = true;
      await this.record(sent);
    }
  }

  // Rows as one batch_events request: all delivered, or all due again; 'split' when Pusher refused
  // a request of several rows for good (then each is sent on its own).
  private async sendBatch(rows: ClaimedRow[]): Promise<Outcome[] | 'split'> {
    try {
      await readAnswer(
        this.client!.triggerBatch(
          rows.flatMap(({ payload }) =>
            payload.channels.map((channel) => ({ channel, name: payload.event, data: payload.data, ...(payload.socketId ? { socket_id: payload.socketId } : {}) })),
          ),
        ),
      );
      return rows.map((row) => ({ row, kind: 'delivered' }));
    } catch (error) {
      if (isPermanent(error) && rows.length > 1) return 'split';
      return rows.map((row) => this.failure(row, error));
    }
  }

  // One row on its own, through the events endpoint (its batch was refused).
  private async send(row: ClaimedRow): Promise<Outcome> {
    const { event, channels, data, socketId } = row.payload;
    try {
      await readAnswer(this.client!.trigger(channels, event, data, socketId ? { socket_id: socketId } : undefined));
      return { row, kind: 'delivered' };
    } catch (error) {
      return this.failure(row, error);
    }
  }

  private failure(row: ClaimedRow, error: unknown): Outcome {
    const message = describeError(error, this.secret);
    const outcome: Outcome =
      isPermanent(error) || row.attempts >= this.maxAttempts
        ? { row, kind: 'failed', error: message }
        : { row, kind: 'retry', error: message, retryMs: backoffMs(row.attempts) };
    this.metrics.deliveryFailed(outcome.kind === 'failed' ? 'given_up' : 'retry');
    this.warnOfFailure(outcome);
    return outcome;
  }

  // A warning per tenant and minute at most, with the row's attempt and its next try (or that it
  // was given up), and how many of the tenant's failures went unlogged since its last warning.
  private warnOfFailure(outcome: Extract<Outcome, { kind: 'retry' | 'failed' }>): void {
    const { row } = outcome;
    const skipped = this.failureLog.admit(row.tenant_id);
    if (skipped === null) return;
    const nextTryAt = outcome.kind === 'retry' ? new Date(Date.now() + outcome.retryMs).toISOString() : null;
    const fate = nextTryAt ? `next try at ${nextTryAt}` : 'given up';
    const since = skipped > 0 ? `; ${skipped} more failure(s) of this tenant since its last warning` : '';
    this.logger.warn(
      { tenantId: row.tenant_id, outboxId: row.id, event: row.payload.event, attempts: row.attempts, maxAttempts: this.maxAttempts, nextTryAt, skipped },
      `live update to Pusher failed for tenant ${row.tenant_id}: ${outcome.error} ` +
        `(outbox row ${row.id}, ${row.payload.event}, attempt ${row.attempts} of ${this.maxAttempts}, ${fate})${since}`,
    );
  }

  // Outcomes in one statement; those the database cannot take now wait for the next tick.
  private async record(outcomes: Outcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    try {
      await this.recordNow(outcomes);
    } catch (error) {
      this.unrecorded.push(...outcomes);
      throw error;
    }
  }

  // After a failed tick (the database went away): the outcomes it could not record, then every row
  // this process still holds claimed, handed back at once. Ticks never overlap, so none of those
  // is being sent; one that was sent has its outcome among the unrecorded.
  private async recover(): Promise<void> {
    const outcomes = this.unrecorded;
    this.unrecorded = [];
    await this.record(outcomes);
    if (!this.abandoned) return;
    await this.db.dataSource.query(
      `UPDATE outbox o
          SET attempts = o.attempts - 1, available_at = now(), claimed_by = NULL
        WHERE o.topic = $1 AND o.claimed_by = $2 AND o.delivered_at IS NULL AND o.failed_at IS NULL`,
      [LIVE_EVENTS_TOPIC, this.claimant],
    );
    this.abandoned = false;
  }

  // A row is settled only under the claim this process made (its attempts unchanged since), except
  // that a delivery is always recorded. A delivered row keeps its sender's name (claimed_by); any
  // other is freed of the claim.
  private async recordNow(outcomes: Outcome[]): Promise<void> {
    const rows = outcomes.map((o) => ({
      tenant_id: o.row.tenant_id,
      id: o.row.id,
      attempts: o.row.attempts,
      kind: o.kind,
      error: o.kind === 'retry' || o.kind === 'failed' ? o.error : null,
      retry_ms: o.kind === 'retry' ? o.retryMs : null,
    }));
    await this.db.dataSource.query(
      `UPDATE outbox o
          SET delivered_at = CASE WHEN r.kind = 'delivered' THEN now() ELSE o.delivered_at END,
              last_error = CASE WHEN r.kind IN ('retry', 'failed') THEN r.error ELSE o.last_error END,
              failed_at = CASE WHEN r.kind = 'failed' THEN now() ELSE o.failed_at END,
              attempts = CASE WHEN r.kind = 'released' THEN o.attempts - 1 ELSE o.attempts END,
              claimed_by = CASE WHEN r.kind = 'delivered' THEN o.claimed_by ELSE NULL END,
              available_at = CASE r.kind
                               WHEN 'retry' THEN now() + r.retry_ms::double precision * interval '1 millisecond'
                               WHEN 'released' THEN now()
                               ELSE o.available_at END
         FROM jsonb_to_recordset($1::jsonb) AS r(tenant_id bigint, id bigint, attempts integer, kind text, error text, retry_ms bigint)
        WHERE o.tenant_id = r.tenant_id AND o.id = r.id AND o.topic = $2 AND o.delivered_at IS NULL
          AND (r.kind = 'delivered' OR o.attempts = r.attempts)`,
      [JSON.stringify(rows), LIVE_EVENTS_TOPIC],
    );
  }
}

// The longest run of rows from `start` whose events fit one batch_events request (at least one row).
function takeChunk(queue: ClaimedRow[], start: number): ClaimedRow[] {
  let events = 0;
  let end = start;
  while (end < queue.length && (end === start || events + queue[end].payload.channels.length <= PUSHER_BATCH_EVENTS)) {
    events += queue[end].payload.channels.length;
    end++;
  }
  return queue.slice(start, end);
}

// Reads the (tiny) answer, so the connection is done with.
async function readAnswer(sending: Promise<{ text(): Promise<string> }>): Promise<void> {
  const response = await sending;
  await response.text().catch(() => undefined);
}

// 1 s, 2 s, 4 s… up to 5 min after the attempt that failed, drawn from the upper half.
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

// A request Pusher refused for what it is (bad or too large), which sending again cannot fix;
// the client's own checks (a malformed channel or socket id) throw before any request.
function isPermanent(error: unknown): boolean {
  if (!(error instanceof Pusher.RequestError)) return true;
  const status = error.status;
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

// For last_error and the log: never the request's URL, whose query string holds the key and the
// signature, nor the signed parameters a 401's body may echo, nor the secret itself.
export function describeError(error: unknown, secret?: string): string {
  let message: string;
  if (error instanceof Pusher.RequestError) {
    const cause = error.error as (Error & { code?: string; type?: string }) | undefined;
    if (error.status !== undefined) message = `Pusher answered ${error.status}${error.body ? `: ${error.body}` : ''}`;
    else message = `request to Pusher failed: ${cause?.code ?? cause?.type ?? ''} ${cause?.message ?? error.message}`;
  } else {
    message = error instanceof Error ? error.message : String(error);
  }
  if (secret) message = message.split(secret).join('[secret]');
  return message
    .replace(/\?[^\s'"]*/g, '?[query]')
    .replace(/\b(auth_key|auth_timestamp|auth_version|auth_signature|body_md5)=[^&\s'",]*/g, '$1=[redacted]')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_ERROR_LENGTH);
}
