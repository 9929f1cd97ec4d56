// Drives an HTTP server: autocannon over loopback for throughput phases, one request after another
// for latency phases. The same function drives the service and its floor, so their only
// difference is the server.
import autocannon from 'autocannon';
import process from 'node:process';
import { quantile, request, round } from './util.mjs';

const MAX_SAMPLES = 3;

// `next()` answers the next request: {method, path, headers, body}. `check(status, body)` may
// return a string to count a 2xx answer as wrong (e.g. a webhook batch that created fewer messages
// than it carried). `amount`, instead of the duration, runs until that many answers have come,
// however long that takes.
export async function runAutocannon(baseUrl, { connections, durationSec, amount, next, check }) {
  const samples = [];
  let wrong = 0;
  const instance = autocannon({
    url: baseUrl,
    connections: amount ? Math.min(connections, amount) : connections,
    ...(amount ? { amount } : { duration: durationSec }),
    pipelining: 1,
    timeout: 30,
    // autocannon notices the end (of the duration, or of `amount`) at its sampling ticks: 100 ms
    // rather than its 1 s keeps an amount-bound run's rate honest.
    sampleInt: 100,
    // Every request is built fresh: rotating keys, conversations, bodies and signatures.
    requests: [
      {
        setupRequest: (req) => {
          const r = next();
          return { ...req, method: r.method ?? 'GET', path: r.path, headers: r.headers ?? {}, body: r.body ?? undefined };
        },
        onResponse: (status, body) => {
          let problem = status >= 200 && status < 300 ? null : `HTTP ${status}: ${String(body).slice(0, 300)}`;
          if (!problem && check) problem = check(status, body);
          if (problem) {
            if (status >= 200 && status < 300) wrong++;
            if (samples.length < MAX_SAMPLES) samples.push(problem);
          }
        },
      },
    ],
  });
  const result = await instance;

  const ok = result['2xx'] - wrong;
  // autocannon's errors include its timeouts.
  const errors = result.non2xx + result.errors + wrong;
  const connectionErrors = result.errors - result.timeouts;
  if (connectionErrors > 0 && samples.length < MAX_SAMPLES) samples.push(`${connectionErrors} connection errors`);
  if (result.timeouts > 0 && samples.length < MAX_SAMPLES) samples.push(`${result.timeouts} timeouts (30 s)`);
  return {
    connections,
    ...(amount ? { amount } : {}),
    durationSec: result.duration,
    requests: result.requests.total,
    ok,
    rps: round(ok / result.duration, 1),
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    errors,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count])),
    samples,
  };
}

// One request after another, each timed (ms, float). `requests` is a list of {method, path,
// headers, body}; `expect(status, json)` may return a string to count an answer as an error.
export async function runSequential(baseUrl, requests, { expect } = {}) {
  const latencies = [];
  const samples = [];
  let errors = 0;
  const started = process.hrtime.bigint();
  for (const r of requests) {
    const res = await request(baseUrl, r);
    latencies.push(res.ms);
    const problem = res.status < 200 || res.status >= 300 ? `HTTP ${res.status}: ${res.body.slice(0, 300)}` : (expect?.(res.status, res.json) ?? null);
    if (problem) {
      errors++;
      if (samples.length < MAX_SAMPLES) samples.push(problem);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    connections: 1,
    durationSec: round(seconds, 2),
    requests: requests.length,
    ok: requests.length - errors,
    rps: round((requests.length - errors) / seconds, 2),
    p50: round(quantile(sorted, 0.5), 1),
    p90: round(quantile(sorted, 0.9), 1),
    p99: round(quantile(sorted, 0.99), 1),
    max: round(sorted.at(-1) ?? null, 1),
    latencies: latencies.map((ms) => round(ms, 1)),
    errors,
    samples,
  };
}
