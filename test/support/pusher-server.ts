import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

// One event Pusher's REST API accepted: POST /apps/{appId}/events, or one of the events of a
// POST /apps/{appId}/batch_events (each on one channel).
export interface ReceivedEvent {
  name: string;
  channels: string[];
  // The event's data as the client sent it (a JSON string), parsed.
  data: unknown;
  socketId: string | null;
  receivedAt: Date;
}

// Every request, accepted or not, with the status it was answered with.
export interface ReceivedRequest {
  path: string;
  status: number;
  // Why it was refused, when the fake refused it (a bad signature, a stale timestamp…).
  refusal: string | null;
  // The events' names and data, as far as the body could be read (one for /events, the batch for
  // /batch_events).
  events: { name?: string; data?: unknown }[];
  at: Date;
}

export interface FakePusherOptions {
  appId?: string;
  key?: string;
  secret?: string;
}

// A local stand-in for Pusher's HTTP API: checks each request's signature exactly as Pusher does,
// records the events it accepts, answers 200 {} — or fails on demand.
export interface FakePusher {
  readonly appId: string;
  readonly key: string;
  readonly secret: string;
  readonly port: number;
  // The accepted events, in arrival order.
  readonly events: ReceivedEvent[];
  readonly requests: ReceivedRequest[];
  // Requests being answered right now (see delayNext).
  readonly pending: number;
  // The environment that points the service at this fake.
  env(): Record<string, string>;
  // The next `count` requests with a valid signature are answered `status` and not recorded as events.
  failNext(count: number, status: number, body?: string): void;
  // The next request is answered only after `ms`; if the client gave up by then, its event is not
  // recorded (status 0).
  delayNext(ms: number): void;
  reset(): void;
  close(): Promise<void>;
}

// Pusher refuses requests whose timestamp is further than this from its clock.
const MAX_CLOCK_SKEW_SECONDS = 600;

export async function startFakePusher(options: FakePusherOptions = {}): Promise<FakePusher> {
  const appId = options.appId ?? '1';
  const key = options.key ?? 'key';
  const secret = options.secret ?? 'secret';
  const events: ReceivedEvent[] = [];
  const requests: ReceivedRequest[] = [];
  let failures: { count: number; status: number; body: string } = { count: 0, status: 500, body: '' };
  let delayMs = 0;
  let pending = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake-pusher');
    const answer = (status: number, text: string, refusal: string | null = null, seen: ReceivedRequest['events'] = []) => {
      requests.push({ path: url.pathname, status, refusal, events: seen, at: new Date() });
      res.writeHead(status, { 'Content-Type': status === 200 ? 'application/json' : 'text/plain' }).end(text);
    };

    const batch = url.pathname === `/apps/${appId}/batch_events`;
    if (req.method !== 'POST' || (url.pathname !== `/apps/${appId}/events` && !batch)) return answer(404, 'Not found', 'unknown route');
    const refusal = signatureProblem(req.method, url, body, key, secret);
    if (refusal) return answer(401, refusal, refusal);

    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return answer(400, 'Invalid JSON', 'invalid JSON');
    }
    const read = batch ? readBatch(parsed) : readEvent(parsed);
    const seen = read.events.map(({ name, data }) => ({ name, data }));
    if (read.problem) return answer(400, read.problem, read.problem, seen);
    if (delayMs > 0) {
      const ms = delayMs;
      delayMs = 0;
      let gone = false;
      res.once('close', () => (gone = !res.writableFinished));
      pending++;
      await new Promise((resolve) => setTimeout(resolve, ms)).finally(() => pending--);
      if (gone) {
        requests.push({ path: url.pathname, status: 0, refusal: 'the client gave up', events: seen, at: new Date() });
        return;
      }
    }
    if (failures.count > 0) {
      failures.count--;
      return answer(failures.status, failures.body, null, seen);
    }
    const receivedAt = new Date();
    for (const event of read.events) events.push({ ...(event as Omit<ReceivedEvent, 'receivedAt'>), receivedAt });
    answer(200, '{}', null, seen);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      requests.push({ path: req.url ?? '', status: 500, refusal: error.message, events: [], at: new Date() });
      if (!res.headersSent) res.writeHead(500).end(error.message);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;

  return {
    appId,
    key,
    secret,
    port,
    events,
    requests,
    get pending() {
      return pending;
    },
    env: () => ({
      PUSHER_APP_ID: appId,
      PUSHER_KEY: key,
      PUSHER_SECRET: secret,
      PUSHER_HOST: '127.0.0.1',
      PUSHER_PORT: String(port),
      PUSHER_USE_TLS: 'false',
    }),
    failNext: (count, status, body = `failing on purpose with ${status}`) => {
      failures = { count, status, body };
    },
    delayNext: (ms) => {
      delayMs = ms;
    },
    reset: () => {
      events.length = 0;
      requests.length = 0;
      failures = { count: 0, status: 500, body: '' };
      delayMs = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

// Pusher takes at most this many events in one batch_events request (multi-tenant clusters).
const MAX_BATCH_EVENTS = 10;

type ReadEvent = { name?: string; channels?: string[]; data?: unknown; socketId?: string | null };

// POST /events: {name, channels, data (a JSON string), socket_id?}.
function readEvent(body: unknown): { events: ReadEvent[]; problem: string | null } {
  const fields = (body ?? {}) as { name?: unknown; channels?: unknown; data?: unknown; socket_id?: unknown };
  const event = {
    name: typeof fields.name === 'string' ? fields.name : undefined,
    channels: fields.channels as string[],
    data: typeof fields.data === 'string' ? (JSON.parse(fields.data) as unknown) : fields.data,
    socketId: typeof fields.socket_id === 'string' ? fields.socket_id : null,
  };
  const complete = typeof fields.name === 'string' && Array.isArray(fields.channels) && typeof fields.data === 'string';
  if (!complete) return { events: [event], problem: 'name, channels and data are required' };
  // As Pusher: a socket id is two numbers joined by a dot.
  if (event.socketId !== null && !/^\d+\.\d+$/.test(event.socketId)) return { events: [event], problem: `Invalid socket id: '${event.socketId}'` };
  return { events: [event], problem: null };
}

// POST /batch_events: {batch: [{name, channel, data (a JSON string), socket_id?}, …]}, each on one channel.
function readBatch(body: unknown): { events: ReadEvent[]; problem: string | null } {
  const batch = (body as { batch?: unknown } | null)?.batch;
  if (!Array.isArray(batch) || batch.length === 0) return { events: [], problem: 'batch is required' };
  const events: ReadEvent[] = [];
  let problem: string | null = null;
  for (const item of batch as { name?: unknown; channel?: unknown; data?: unknown; socket_id?: unknown }[]) {
    const read = readEvent({ name: item.name, channels: typeof item.channel === 'string' ? [item.channel] : undefined, data: item.data, socket_id: item.socket_id });
    events.push(...read.events);
    problem ??= read.problem?.replace('channels', 'channel') ?? null;
  }
  if (problem) return { events, problem };
  return { events, problem: batch.length > MAX_BATCH_EVENTS ? `Batch too large (${batch.length} > ${MAX_BATCH_EVENTS})` : null };
}

// Pusher's request signature (Pusher Channels' HTTP API reference):
// auth_key, auth_timestamp, auth_version=1.0 and body_md5 (the md5 hex of the body) in the query,
// and auth_signature, the HMAC-SHA256 hex with the app secret of
// "METHOD\nPATH\n" + every other query parameter sorted by key as k=v joined by &.
// Null when the request is signed right, else why not.
export function signatureProblem(method: string, url: URL, body: string, key: string, secret: string): string | null {
  const params = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    if (params.has(name)) return `duplicate query parameter ${name}`;
    params.set(name, value);
  }
  if (params.get('auth_key') !== key) return 'Unknown auth_key';
  if (params.get('auth_version') !== '1.0') return 'auth_version must be 1.0';
  const timestamp = Number(params.get('auth_timestamp'));
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > MAX_CLOCK_SKEW_SECONDS) {
    return 'Timestamp expired';
  }
  if (params.get('body_md5') !== createHash('md5').update(body, 'utf8').digest('hex')) return 'body_md5 does not match the body';
  const signature = params.get('auth_signature');
  if (!signature) return 'auth_signature is required';
  params.delete('auth_signature');
  const query = [...params.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const expected = createHmac('sha256', secret).update(`${method}\n${url.pathname}\n${query}`).digest('hex');
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected, 'utf8'))) {
    return `Invalid signature: Expected HMAC SHA256 hex digest of ${method}\\n${url.pathname}\\n${query}`;
  }
  return null;
}
