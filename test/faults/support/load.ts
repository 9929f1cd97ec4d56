import { createHmac, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { BASE } from '../../support/desk';
import { Seed, SeededTenant } from './seed';

export type Kind = 'message' | 'convert' | 'webhook';

// One request the load sent, what it sent and how it was answered.
export interface Outcome {
  kind: Kind;
  target: string;
  tenantId: number;
  // 0 when no answer came (refused, reset, timed out): `error` says which.
  status: number;
  error?: string;
  code?: string;
  retryAfter?: string;
  replayed: boolean;
  body: unknown;
  startedAt: number;
  endedAt: number;
  conversationId: number;
  // A message's text, unique to this request (the same for its retries).
  text?: string;
  idempotencyKey?: string;
  clientMessageIds?: string[];
}

export interface Answer {
  status: number;
  error?: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

const TIMEOUT_MS = 15_000;

// One request on its own connection (no keep-alive), so a request's fate is its own: a connection
// refused or reset was not answered, and an answer is the service's.
export function send(target: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = httpRequest(new URL(path, target), {
      method,
      agent: false,
      headers: { ...headers, ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}) },
      timeout: TIMEOUT_MS,
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: 0, error: error.code ?? error.message, headers: {}, body: null }));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ status: 0, error: error.code ?? error.message, headers: {}, body: null }));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Not JSON: kept as text, and the checks say so.
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.end(body);
  });
}

export interface PusherApp {
  key: string;
  secret: string;
}

export interface PusherEvent {
  name: string;
  channel: string;
  [field: string]: unknown;
}

// A widget's message as Pusher forwards it: a client event on the conversation's private channel.
export function clientMessage(conversationId: number, clientMessageId: string): PusherEvent {
  return {
    name: 'client_event',
    channel: `private-conversation-${conversationId}`,
    event: 'client-message',
    data: JSON.stringify({ message: `widget says ${clientMessageId}`, clientMessageId }),
    socket_id: '123.456',
  };
}

// Signed as Pusher signs: X-Pusher-Signature is the hex HMAC-SHA256 of the body with the secret.
export function signedBatch(app: PusherApp, events: PusherEvent[], timeMs = Date.now()): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ time_ms: timeMs, events });
  return { body, headers: { 'X-Pusher-Key': app.key, 'X-Pusher-Signature': createHmac('sha256', app.secret).update(body).digest('hex') } };
}

export const WEBHOOK_PATH = `${BASE}/conversationmessages/webhooks.json`;

export interface LoadOptions {
  seed: Seed;
  pusher: PusherApp;
  // A tag in every text and id the load makes, so the checks find exactly this scenario's writes.
  label: string;
  // Every nth message carries an Idempotency-Key.
  keyedEvery?: number;
  // Client messages per webhook batch.
  batchSize?: number;
}

// Posts Desk messages, conversions and webhook batches across the seeded tenants, recording every
// request with its answer.
export class Load {
  readonly outcomes: Outcome[] = [];
  private sequence = 0;
  private readonly convertibles: Map<number, number[]>;

  constructor(private readonly options: LoadOptions) {
    this.convertibles = new Map(options.seed.tenants.map((t) => [t.tenantId, [...t.convertibleIds]]));
  }

  private next(): string {
    return `${this.options.label}-${(this.sequence++).toString(36)}-${randomBytes(3).toString('hex')}`;
  }

  private tenant(): SeededTenant {
    const tenants = this.options.seed.tenants;
    return tenants[this.sequence % tenants.length];
  }

  private record(outcome: Omit<Outcome, 'status' | 'error' | 'code' | 'retryAfter' | 'replayed' | 'body' | 'endedAt'>, answer: Answer): Outcome {
    const full: Outcome = {
      ...outcome,
      status: answer.status,
      error: answer.error,
      code: header(answer.headers['x-error-code']),
      retryAfter: header(answer.headers['retry-after']),
      replayed: header(answer.headers['idempotent-replayed']) === 'true',
      body: answer.body,
      endedAt: Date.now(),
    };
    this.outcomes.push(full);
    return full;
  }

  // A new message, or a retry of `again` (same text, same key).
  async message(target: string, again?: Outcome): Promise<Outcome> {
    const tenant = again ? this.options.seed.tenants.find((t) => t.tenantId === again.tenantId)! : this.tenant();
    const text = again?.text ?? `desk says ${this.next()}`;
    const conversationId = again?.conversationId ?? tenant.chatIds[this.sequence % tenant.chatIds.length];
    const keyed = again ? again.idempotencyKey : this.sequence % (this.options.keyedEvery ?? 3) === 0 ? `key-${this.next()}` : undefined;
    const startedAt = Date.now();
    const answer = await send(
      target,
      'POST',
      `${BASE}/conversationmessages.json`,
      { Authorization: tenant.auth, ...(keyed ? { 'Idempotency-Key': keyed } : {}) },
      JSON.stringify({ conversationId, message: text }),
    );
    return this.record({ kind: 'message', target, tenantId: tenant.tenantId, startedAt, conversationId, text, idempotencyKey: keyed }, answer);
  }

  // Converts the tenant's next unconverted conversation (or `conversationId`); null when none is left.
  async convert(target: string, conversationId?: number, tenantId?: number): Promise<Outcome | null> {
    const tenant = tenantId ? this.options.seed.tenants.find((t) => t.tenantId === tenantId)! : this.tenant();
    const id = conversationId ?? this.convertibles.get(tenant.tenantId)!.shift();
    if (id === undefined) return null;
    const startedAt = Date.now();
    const answer = await send(target, 'POST', `${BASE}/conversations/${id}/convert.json`, { Authorization: tenant.auth }, JSON.stringify({ ticket: {} }));
    return this.record({ kind: 'convert', target, tenantId: tenant.tenantId, startedAt, conversationId: id }, answer);
  }

  // One of the tenant's unconverted conversations, taken out of the load's own choice.
  reserveConvertible(tenantId: number): number | undefined {
    return this.convertibles.get(tenantId)!.pop();
  }

  // A signed batch of new client messages to one of a tenant's conversations, or the same `events` again.
  async webhook(target: string, events?: PusherEvent[]): Promise<Outcome> {
    const tenant = this.tenant();
    const conversationId = tenant.chatIds[(this.sequence * 7) % tenant.chatIds.length];
    const batch = events ?? Array.from({ length: this.options.batchSize ?? 3 }, () => clientMessage(conversationId, `cm-${this.next()}`));
    const { body, headers } = signedBatch(this.options.pusher, batch);
    const startedAt = Date.now();
    const answer = await send(target, 'POST', WEBHOOK_PATH, headers, body);
    const clientMessageIds = batch.map((e) => (JSON.parse(String(e.data)) as { clientMessageId: string }).clientMessageId);
    return this.record({ kind: 'webhook', target, tenantId: tenant.tenantId, startedAt, conversationId, clientMessageIds }, answer);
  }

  // `workers` loops of mixed requests (messages, conversions, webhook batches) to the targets in
  // turn, until `stop` resolves.
  async run(targets: () => string[], stop: Promise<unknown>, workers = 6): Promise<void> {
    let stopped = false;
    void stop.then(() => (stopped = true));
    let turn = 0;
    const worker = async (): Promise<void> => {
      while (!stopped) {
        const all = targets();
        const target = all[turn++ % all.length];
        const pick = turn % 10;
        let outcome: Outcome | null;
        if (pick < 5) outcome = await this.message(target);
        else if (pick < 7) outcome = (await this.convert(target)) ?? (await this.message(target));
        else outcome = await this.webhook(target);
        // As a client would: a conversion that was not answered is tried again later; an
        // unavailable or absent service is given a moment before the next request.
        if (outcome.kind === 'convert' && (outcome.status === 0 || outcome.status >= 500)) {
          this.convertibles.get(outcome.tenantId)!.push(outcome.conversationId);
        }
        if (outcome.status === 0 || outcome.status >= 500) await delay(100);
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
