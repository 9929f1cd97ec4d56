// Small helpers shared by the harness: output, a progress bar, a loopback HTTP client, ports, and
// statistics. No console (the lint forbids it): everything goes through process.stdout/stderr.
import { Buffer } from 'node:buffer';
import http from 'node:http';
import net from 'node:net';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL } from 'node:url';

export { sleep };

// Results go to stdout; everything else (progress, notes) to stderr, so `npm run bench > out.txt`
// keeps the table alone.
export const out = (line = '') => process.stdout.write(`${line}\n`);
export const note = (line = '') => process.stderr.write(`${line}\n`);

const isTty = Boolean(process.stderr.isTTY);

// A progress bar on stderr: redrawn in place on a terminal, a line every 10% elsewhere (CI logs).
export function progressBar(label, total) {
  const width = 28;
  let done = 0;
  let lastDecile = -1;
  const started = Date.now();
  const draw = (detail = '') => {
    const ratio = total === 0 ? 1 : Math.min(1, done / total);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (isTty) {
      const filled = Math.round(ratio * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      process.stderr.write(`\r\x1b[2K${label} ${bar} ${(ratio * 100).toFixed(0).padStart(3)}% ${seconds}s ${detail}`);
    } else {
      const decile = Math.floor(ratio * 10);
      if (decile !== lastDecile) {
        lastDecile = decile;
        process.stderr.write(`${label} ${(ratio * 100).toFixed(0)}% (${seconds}s) ${detail}\n`);
      }
    }
  };
  draw();
  return {
    add(units, detail) {
      done += units;
      draw(detail);
    },
    finish(detail = '') {
      done = total;
      draw(detail);
      if (isTty) process.stderr.write('\n');
    },
  };
}

// A free TCP port on loopback (a tiny race with whoever binds it next; fine on a bench machine).
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

// One request over loopback; resolves with {status, headers, body, json, ms}. Never rejects on a
// status: callers decide what a good answer is.
export function request(baseUrl, { method = 'GET', path = '/', headers = {}, body } = {}) {
  const url = new URL(path, baseUrl);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const allHeaders = { ...headers };
  if (payload !== undefined) {
    allHeaders['content-type'] ??= 'application/json';
    allHeaders['content-length'] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method, headers: allHeaders, agent },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, body: text, json, ms });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${path}: no answer in 120 s`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export function closeHttpAgent() {
  agent.destroy();
}

// Polls until `check` resolves truthy or the deadline passes.
export async function waitFor(what, check, { timeoutMs = 60_000, intervalMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
}

// The q-quantile (0..1) of already sorted numbers, nearest-rank.
export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export const round = (value, digits = 1) => (value === null || value === undefined || Number.isNaN(value) ? null : Number(value.toFixed(digits)));

// Runs `work` over `items` with at most `limit` at once; results in the items' order.
export async function mapLimit(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(runners);
  return results;
}
