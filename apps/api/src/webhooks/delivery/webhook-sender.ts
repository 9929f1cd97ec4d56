import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Resolve, resolveWebhookTarget, WebhookAddressRules, WebhookTarget } from './safe-address';

// At most this much of a receiver's answer is read and kept.
export const MAX_RESPONSE_BYTES = 1024;

export interface SignedRequest {
  messageId: string;
  body: string;
  // The current secret first, then the rotated-out one while it still signs ('whsec_…').
  secrets: readonly string[];
}

export interface SendResult {
  // Null when no answer came (refused, reset, timed out).
  statusCode: number | null;
  response: string | null;
  error: string | null;
  durationMs: number;
}

// The Standard Webhooks headers: one signature per secret, space-separated, each `v1,<base64>`.
export function signedHeaders(req: SignedRequest, at: Date): Record<string, string> {
  const signatures = req.secrets.map((secret) => new Webhook(secret).sign(req.messageId, at, req.body));
  return {
    'content-type': 'application/json',
    'webhook-id': req.messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}

// One attempt, all of it within timeoutMs: resolving the host (checked against the SSRF rules),
// connecting, and the answer's last byte read, so a resolver that hangs cannot keep a claimed
// delivery past its lease. Throws UnsafeWebhookAddress for an address the rules refuse.
export async function deliverWebhook(url: string, rules: WebhookAddressRules, req: SignedRequest, timeoutMs: number, resolve?: Resolve): Promise<SendResult> {
  const started = Date.now();
  const resolving = resolveWebhookTarget(url, rules, resolve);
  // A refusal that comes after the deadline has nobody to tell.
  resolving.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<null>((done) => (timer = setTimeout(() => done(null), timeoutMs)));
  let target: WebhookTarget | null;
  try {
    target = await Promise.race([resolving, deadline]);
  } finally {
    clearTimeout(timer);
  }
  if (target === null) return { statusCode: null, response: null, error: `no answer within ${timeoutMs} ms (resolving the host)`, durationMs: Date.now() - started };
  return sendWebhook(target, req, timeoutMs, started);
}

// One POST to the checked address (the host's name still goes in Host and TLS's SNI), no redirect
// followed, answered by timeoutMs after `started`; at most MAX_RESPONSE_BYTES of the answer are
// read, then the connection is dropped.
export async function sendWebhook(target: WebhookTarget, req: SignedRequest, timeoutMs: number, started = Date.now()): Promise<SendResult> {
  try {
    return await post(target, req, timeoutMs, started);
  } catch (error) {
    // Thrown before any request (a URL or header Node refuses): a failure like any other.
    return { statusCode: null, response: null, error: describeSendError(error as NodeJS.ErrnoException), durationMs: Date.now() - started };
  }
}

function post(target: WebhookTarget, req: SignedRequest, timeoutMs: number, started: number): Promise<SendResult> {
  const body = Buffer.from(req.body, 'utf8');
  const lookup = pinnedLookup(target);
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendResult>((resolve) => {
    let done = false;
    const finish = (result: Omit<SendResult, 'durationMs'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      outgoing.destroy();
      resolve({ ...result, durationMs: Date.now() - started });
    };
    const outgoing = send(
      target.url,
      { method: 'POST', headers: { ...signedHeaders(req, new Date()), 'content-length': String(body.length), 'user-agent': 'helpdesk-webhooks' }, lookup, agent: false },
      (res) => readAnswer(res, (response) => finish({ statusCode: res.statusCode ?? null, response, error: null })),
    );
    const timer = setTimeout(
      () => finish({ statusCode: null, response: null, error: `no answer within ${timeoutMs} ms` }),
      Math.max(0, started + timeoutMs - Date.now()),
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) => finish({ statusCode: null, response: null, error: describeSendError(error) }));
    outgoing.end(body);
  });
}

// Up to MAX_RESPONSE_BYTES, then done whether or not more follows.
function readAnswer(res: IncomingMessage, done: (text: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const end = () => done(truncate(Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8')));
  res.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_RESPONSE_BYTES) end();
  });
  res.on('end', end);
  res.on('error', end);
}

// A cut inside a multi-byte character decodes to U+FFFD, which is longer in UTF-16: the column's
// limit counts characters.
function truncate(text: string): string {
  return text.slice(0, MAX_RESPONSE_BYTES);
}

// Whatever name the socket asks for, the address already checked.
function pinnedLookup(target: WebhookTarget): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as unknown as LookupFunction;
}

function describeSendError(error: NodeJS.ErrnoException): string {
  return `${error.code ? `${error.code}: ` : ''}${error.message}`.slice(0, 1000);
}
