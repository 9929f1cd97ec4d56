import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

// How the receiver answers one request: 200, a status of the test's choice with a body, a
// redirect, a long body, or nothing at all (a hang, until the sender gives up).
export type Cue = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number } | 'hang';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}

export interface WebhookReceiver {
  // Base URL, http://127.0.0.1:port
  url: string;
  received: ReceivedWebhook[];
  // Decides each answer (default: 200 'ok'); may look at what came and how often.
  cue(decide: (request: ReceivedWebhook, index: number) => Cue): void;
  // Requests whose answer is being delayed (delayMs) or that hang.
  pending(): number;
  // Every request to `path`.
  at(path: string): ReceivedWebhook[];
  close(): Promise<void>;
}

// A webhook receiver on 127.0.0.1 that fails, hangs, redirects or succeeds on cue, and keeps every
// request it was sent, headers and raw body.
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let decide: (request: ReceivedWebhook, index: number) => Cue = () => ({ status: 200, body: 'ok' });
  const hanging = new Set<ServerResponse>();
  let inFlight = 0;
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: ReceivedWebhook = {
      path: req.url ?? '/',
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
      body: Buffer.concat(chunks).toString('utf8'),
      receivedAt: Date.now(),
    };
    received.push(request);
    const cue = decide(request, received.length - 1);
    if (cue === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (cue.delayMs) {
      inFlight++;
      await new Promise((resolve) => setTimeout(resolve, cue.delayMs));
      inFlight--;
    }
    res.writeHead(cue.status, { 'content-type': 'text/plain', ...cue.headers });
    res.end(cue.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    cue: (next) => (decide = next),
    pending: () => inFlight + hanging.size,
    at: (path) => received.filter((r) => r.path === path),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
