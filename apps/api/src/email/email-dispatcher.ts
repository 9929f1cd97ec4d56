import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Database } from '@app/database';
import { ClaimedEntry, EntryOutcome, Outbox } from '../live/outbox';
import { PollingLoop } from '../live/polling-loop';
import { FilesService } from '../files/files.service';
import { EMAIL_TOPICS, TicketEmails } from '../tickets/ticket-emails';
import { Attachment, composeEmail, EmailPayload, UnsendableEmail } from './email-composer';
import { EmailTransport } from './email-transport';
import { ReplyAddresses } from './reply-addresses';

// Entries claimed at a time; a tick claims again while batches come back full.
const BATCH_SIZE = 20;
const MAX_BATCHES_PER_TICK = 5;
// Long enough for a batch's sends, one after another, each within the transport's timeouts.
const LEASE_MS = 15 * 60_000;
// An entry is not sent unless this much of its lease is left (a stalled SMTP conversation is given
// up after its timeouts, well within it): no other process takes it while it is being sent.
const SEND_BUDGET_MS = 3 * 60_000;
// Retries after a temporary refusal (SMTP 4xx) or a failed connection: 1 min, 5 min, 15 min,
// 1 h, 3 h, 6 h, then every 12 h, each drawn from its upper half (jitter); given up after
// MAX_ATTEMPTS: retried for more than a day, at most about three days.
const RETRY_STEPS_MS = [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000, 3 * 60 * 60_000, 6 * 60 * 60_000, 12 * 60 * 60_000];
export const MAX_ATTEMPTS = 12;
// The loop's own failures (database down) space its ticks out up to this.
const MAX_IDLE_MS = 10_000;

// Sends the tickets' emails (the outbox's email topics) through SMTP after the transactions that
// queued them committed: a tick leases due entries (Outbox.claim: one process holds an entry, so a
// scheduled email goes once however many processes run), sends each, and records its fate with
// the thread message's email status in one transaction. An outcome the database could not take
// (it went away mid-tick) is kept and recorded first thing once it is back, so the entry is not
// left to its lease. Without SMTP_URL it does nothing, and the emails wait.
@Injectable()
export class EmailDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EmailDispatcher.name);
  // Whose claims are whose: this process's, for the life of this process.
  readonly claimant = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly loop: PollingLoop;
  private unrecorded: EntryOutcome[] = [];
  // A tick failed: this process may hold claims it never heard of.
  private claimsInDoubt = false;

  constructor(
    config: AppConfig,
    private readonly db: Database,
    private readonly outbox: Outbox,
    private readonly tickets: TicketEmails,
    private readonly files: FilesService,
    private readonly transport: EmailTransport,
    private readonly replies: ReplyAddresses,
  ) {
    this.loop = new PollingLoop({ intervalMs: config.EMAIL_DISPATCH_INTERVAL_MS, maxDelayMs: MAX_IDLE_MS, tick: () => this.dispatchDue(), onFailure: (error) => this.tickFailed(error) });
  }

  // Without SMTP, said once here.
  onApplicationBootstrap(): void {
    if (this.transport.transporter) this.loop.start(0);
    else this.logger.warn('SMTP_URL is not set: email is off, and the tickets\' emails stay queued in the outbox until it is');
  }

  // Stops polling and waits for the tick in flight, so its outcomes are recorded before the pool
  // closes.
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await this.recordUnrecorded().catch(() => undefined);
  }

  // The next tick first hands back what this process may hold claimed without knowing.
  private tickFailed(error: unknown): void {
    this.claimsInDoubt = true;
    this.logger.error(`email dispatch failed, retrying: ${(error as Error).message}`);
  }

  // Claims and sends batches until one comes back short or the tick has had its share. Public for
  // the tests, which run a second dispatcher's ticks by hand.
  async dispatchDue(): Promise<void> {
    await this.recordUnrecorded();
    // After a failed tick nothing is in flight: any entry still claimed under this process's token
    // is a claim whose answer the failure hid; it goes back now rather than after its lease.
    if (this.claimsInDoubt) {
      await this.outbox.releaseClaims(EMAIL_TOPICS, this.claimant);
      this.claimsInDoubt = false;
    }
    for (let batch = 0; batch < MAX_BATCHES_PER_TICK && !this.loop.stopping; batch++) {
      // Measured before the claim, so never later than the lease the database records.
      const leaseEndsAt = Date.now() + LEASE_MS;
      const entries = await this.outbox.claim(EMAIL_TOPICS, BATCH_SIZE, LEASE_MS, this.claimant);
      for (const [index, entry] of entries.entries()) {
        // Shutting down, or the lease too short for another send: the entry goes back at once.
        const release = this.loop.stopping || Date.now() + SEND_BUDGET_MS > leaseEndsAt;
        const outcome: EntryOutcome = release ? { entry, kind: 'released' } : await this.send(entry);
        try {
          await this.record([outcome]);
        } catch (error) {
          this.unrecorded.push(...entries.slice(index + 1).map((rest): EntryOutcome => ({ entry: rest, kind: 'released' })));
          throw error;
        }
      }
      if (entries.length < BATCH_SIZE) return;
    }
  }

  private async send(entry: ClaimedEntry): Promise<EntryOutcome> {
    const attachments: Attachment[] = [];
    try {
      const payload = entry.payload as unknown as EmailPayload;
      const context = entry.ticketId === null ? null : await this.tickets.contextOf(entry.tenantId, entry.ticketId, payload.messageId ?? null);
      if (!context) throw new UnsendableEmail('the ticket was deleted');
      attachments.push(...(await this.attachmentsOf(entry.tenantId, context.message?.fileIds ?? [])));
      await this.transport.send(composeEmail(entry, context, attachments, this.replies.tag(entry.tenantId, context.ticketId)));
      return { entry, kind: 'delivered' };
    } catch (error) {
      for (const attachment of attachments) attachment.content.destroy();
      return this.failure(entry, error);
    }
  }

  // The thread message's files as they are now; one deleted since is left out.
  private async attachmentsOf(tenantId: number, fileIds: readonly number[]): Promise<Attachment[]> {
    const active = new Set((await this.files.findActiveByIds(tenantId, fileIds)).map((file) => file.id));
    const attachments: Attachment[] = [];
    for (const id of fileIds.filter((fileId) => active.has(fileId))) {
      const { file, content } = await this.files.openContent(tenantId, id);
      attachments.push({ filename: file.filename, contentType: file.mimeType, content: content.stream });
    }
    return attachments;
  }

  // A permanent refusal (SMTP 5xx) or an email that cannot be written fails for good; anything else
  // (4xx, a connection that failed or stalled) is retried after a backoff, until the attempts are
  // used up.
  private failure(entry: ClaimedEntry, error: unknown): EntryOutcome {
    const message = describeSmtpError(error);
    const permanent = error instanceof UnsendableEmail || (responseCodeOf(error) ?? 0) >= 500;
    this.logger.warn(
      { tenantId: entry.tenantId, outboxId: entry.id, topic: entry.topic, attempts: entry.attempts },
      `email of ticket ${entry.ticketId} (tenant ${entry.tenantId}, outbox entry ${entry.id}, attempt ${entry.attempts}) failed${permanent ? ' for good' : ''}: ${message}`,
    );
    if (permanent || entry.attempts >= MAX_ATTEMPTS) return { entry, kind: 'failed', error: message };
    return { entry, kind: 'retry', error: message, retryMs: retryDelayMs(entry.attempts) };
  }

  // The entry's fate and its thread message's email status, together.
  private async record(outcomes: EntryOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    try {
      await this.db.transaction(async () => {
        const settled = await this.outbox.settle(outcomes, this.claimant);
        for (const outcome of outcomes) {
          const messageId = (outcome.entry.payload as unknown as EmailPayload).messageId;
          if (!settled.has(outcome.entry.id) || messageId === undefined) continue;
          if (outcome.kind === 'delivered') await this.tickets.recordOutcome(outcome.entry.tenantId, messageId, { status: 'sent', error: null });
          if (outcome.kind === 'failed') await this.tickets.recordOutcome(outcome.entry.tenantId, messageId, { status: 'failed', error: outcome.error });
        }
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

// After the attempt that failed: its step of RETRY_STEPS_MS, drawn from the step's upper half.
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const step = RETRY_STEPS_MS[Math.min(Math.max(attempts - 1, 0), RETRY_STEPS_MS.length - 1)];
  return Math.round(step / 2 + random() * (step / 2));
}

function responseCodeOf(error: unknown): number | undefined {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' ? code : undefined;
}

// The server's answer when there was one (what a person needs to see on the thread message),
// else what went wrong; one line, at most 1,000 characters.
function describeSmtpError(error: unknown): string {
  const smtp = error as { response?: unknown; code?: unknown; message?: unknown } | null;
  const text = typeof smtp?.response === 'string' ? smtp.response : error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim().slice(0, 1_000);
}
