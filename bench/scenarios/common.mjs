// What every scenario shares: a measured pair (the service, then its floor, under the very same
// load), and the row of the table it becomes.
import { runAutocannon } from '../lib/load.mjs';
import { note, round } from '../lib/util.mjs';

export const MB = 1024 * 1024;

// Throughput scenarios use this many connections unless the scenario or --connections says otherwise.
export const DEFAULT_CONNECTIONS = 50;

// Warm-up (not recorded) then the measured phase, against the service and then the floor. The
// service's RSS is watched over its phases. `makeNext(phase)` answers a fresh `next()` for one
// phase, so phases never share generated ids. A phase that got fewer than `minRequests` answers
// in its duration (an endpoint slower than the duration is long: autocannon drops what is still in
// flight when time is up) is run again until it has that many, and that run is the one reported.
export async function measurePair(ctx, { label, connections, makeNext, check, unitFactor = 1, minRequests }) {
  const conns = ctx.options.connections ?? connections ?? DEFAULT_CONNECTIONS;
  const atLeast = minRequests ?? (ctx.options.smoke ? 1 : 2) * conns;
  const { durationSec, warmupSec } = ctx.options;
  const phase = async (target, baseUrl) => {
    // Unrecorded runs' errors still count: any failed request fails the run.
    const unrecorded = [];
    if (warmupSec > 0) unrecorded.push(await runAutocannon(baseUrl, { connections: conns, durationSec: warmupSec, next: makeNext(`${target}-warmup`), check }));
    note(`  ${label}: ${target}, ${conns} connections, ${durationSec} s…`);
    let result = await runAutocannon(baseUrl, { connections: conns, durationSec, next: makeNext(target), check });
    if (result.requests < atLeast) {
      note(`  ${label}: ${target} answered ${result.requests} requests in ${durationSec} s; measuring ${atLeast} answers instead…`);
      unrecorded.push(result);
      result = await runAutocannon(baseUrl, { connections: conns, amount: atLeast, next: makeNext(`${target}-amount`), check });
    }
    return withUnrecordedErrors(result, unrecorded);
  };
  ctx.rss.startWindow();
  const service = await phase('service', ctx.serviceUrl);
  const peakRss = ctx.rss.endWindow();
  service.outboxBacklog = await outboxBacklog(ctx);
  const floor = await phase('floor', ctx.floorUrl);
  return rowOf(label, service, floor, { peakRss, unitFactor });
}

// The live updates the service has written but its dispatcher has not yet sent to (the fake)
// Pusher: whether its background work kept up with the load (in the JSON, not the table).
export async function outboxBacklog(ctx) {
  const { rows } = await ctx.pool.query(
    `SELECT count(*)::int AS n FROM outbox WHERE topic = 'pusher' AND delivered_at IS NULL AND failed_at IS NULL`,
  );
  return rows[0].n;
}

// A table row from a service result and a floor result (each from load.mjs). `unitFactor` turns
// requests into the scenario's unit (20 events per webhook batch).
export function rowOf(label, service, floor, { peakRss, unit = 'req/s', unitFactor = 1 } = {}) {
  const scale = (r) => ({ ...r, rate: round(r.rps * unitFactor, 1) });
  const s = scale(service);
  const f = scale(floor);
  return {
    scenario: label,
    unit: unitFactor === 1 ? unit : 'events/s',
    service: s,
    floor: f,
    ratio: f.rate > 0 ? round(s.rate / f.rate, 2) : null,
    p50: s.p50,
    p99: s.p99,
    floorP50: f.p50,
    errors: s.errors + f.errors,
    peakRssMb: peakRss ? round(peakRss / MB, 1) : null,
  };
}

export function target(scenario, description, ok, detail) {
  return { scenario, description, ok: Boolean(ok), detail };
}

// A measured result charged with the errors of the runs around it that were not measured (warm-ups,
// a duration run replaced by a count run).
export function withUnrecordedErrors(result, unrecorded) {
  const errors = unrecorded.reduce((sum, r) => sum + r.errors, 0);
  if (errors === 0) return result;
  return {
    ...result,
    errors: result.errors + errors,
    unrecordedErrors: errors,
    samples: [...result.samples, ...unrecorded.flatMap((r) => r.samples.map((sample) => `(unmeasured run) ${sample}`))].slice(0, 6),
  };
}
