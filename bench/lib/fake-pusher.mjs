// A stand-in for Pusher Channels' HTTP API, so the service's outbox dispatcher has somewhere to
// deliver its live updates: 200 {} to POST /apps/:id/events and /apps/:id/batch_events, counted.
// It does not check Pusher's request signatures; it only has to answer quickly.
import { Buffer } from 'node:buffer';
import http from 'node:http';

export async function startFakePusher(port) {
  const counts = { requests: 0, events: 0, other: 0 };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const isEvents = req.method === 'POST' && /^\/apps\/[^/]+\/(events|batch_events)(\?|$)/.test(req.url ?? '');
      if (!isEvents) {
        counts.other++;
        res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      counts.requests++;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        counts.events += Array.isArray(body.batch) ? body.batch.length : 1;
      } catch {
        // Counted as a request all the same.
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port,
    counts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
