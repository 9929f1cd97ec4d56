import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { FakePusher, startFakePusher } from '../support/pusher-server';
import { freePort, ROOT, ServiceProcess, startService } from '../support/service-process';
import { UNLIMITED_DESK } from '../support/test-app';
import { withClient } from '../support/test-database';
import { reconcile } from './support/ledger';
import { clientMessage, Load, Outcome, PusherEvent, send, signedBatch, WEBHOOK_PATH } from './support/load';
import { checkDeliveries, claimedEvents, lastOutboxId } from './support/outbox';
import { FaultPostgres } from './support/postgres';
import { assignedCount, checkRouting, ROUTING_AGENTS, ROUTING_CAPACITY, ROUTING_QUEUE, routeContinuously, setUpRouting } from './support/routing';
import { DATABASE, Seed, seedTemplate } from './support/seed';
import { checkWebhookOrder, claimedBy, deliveryCounts, subscribe, WEBHOOK_ENV } from './support/webhooks';
import { startWebhookReceiver } from '../support/webhook-receiver';

// Each scenario: its own PostgreSQL (a copy of one seeded template), its own fake Pusher and its
// own service processes (the production build), broken under load; then what was acknowledged is
// compared with the database. One summary line per run, and one line per scenario.

const PUSHER = { appId: '1', key: 'fault-key', secret: 'fault-secret' };
// "Fail fast": no request waits longer than this for its answer while the database is down.
const FAIL_FAST_MS = 6_000;
// The service is ready again this long after its database is.
const RECOVERY_MS = 15_000;
// A row claimed by a process that then died is leased to it this long (OutboxDispatcher: at
// least a minute), then delivered by the next one.
const LEASE_WAIT_MS = 80_000;
// After a process died mid-routing, the other's sweep (every 5 s, a chunk a transaction) finishes
// the queue within this.
const ROUTING_RESUME_MS = 120_000;
const SCENARIOS = 7;
// The webhook scenario: a delivery held by a killed process waits for its lease (a minute at
// least), and one that failed twice for its second retry (a minute more): all go within this.
const WEBHOOK_RESUME_MS = 170_000;

interface ScenarioResult {
  name: string;
  acknowledged: number;
  lost: number;
  duplicates: number;
  problems: string[];
  figures: string;
  ms: number;
}

const results: ScenarioResult[] = [];
let seed: Seed;
let scenarioCount = 0;

class Scenario {
  readonly problems: string[] = [];
  readonly services: ServiceProcess[] = [];
  readonly load: Load;
  private readonly started = Date.now();

  private constructor(
    readonly name: string,
    readonly label: string,
    readonly pg: FaultPostgres,
    readonly fake: FakePusher,
  ) {
    this.load = new Load({ seed, pusher: PUSHER, label });
  }

  static async open(name: string): Promise<Scenario> {
    const label = `s${++scenarioCount}${Date.now().toString(36)}`;
    const pg = await FaultPostgres.start(join(seed.root, label), DATABASE, seed.templateDir);
    const fake = await startFakePusher(PUSHER);
    return new Scenario(name, label, pg, fake);
  }

  async service(port?: number, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const service = await startService({
      PORT: String(port ?? (await freePort())),
      HOST: '127.0.0.1',
      DATABASE_URL: this.pg.url,
      // "listening on" is an info line.
      LOG_LEVEL: 'info',
      // The load is a few keys far above a tenant's fair share: the faults are under test, not the limits.
      ...UNLIMITED_DESK,
      HL_RATE_LIMIT_MAX: '1000000',
      ...this.fake.env(),
      ...env,
    });
    this.services.push(service);
    return service;
  }

  check(rule: boolean, problem: string): void {
    if (!rule) this.problems.push(problem);
  }

  // Every acknowledged write there, none twice, none in part.
  async reconcile(outcomes: readonly Outcome[] = this.load.outcomes): Promise<{ acknowledged: number; lost: number; duplicates: number; inDoubt: number }> {
    const r = await reconcile(this.pg.url, outcomes, this.label);
    for (const lost of r.lost.slice(0, 5)) this.problems.push(`lost: ${lost}`);
    for (const dup of r.duplicates.slice(0, 5)) this.problems.push(`duplicate: ${dup}`);
    for (const part of r.partial.slice(0, 5)) this.problems.push(`half-written: ${part}`);
    return { acknowledged: r.acknowledged, lost: r.lost.length, duplicates: r.duplicates.length, inDoubt: r.inDoubt };
  }

  // Answers that are never right: a 5xx other than the database's 503, or a 503 of another kind.
  checkAnswers(outcomes: readonly Outcome[] = this.load.outcomes): void {
    for (const o of outcomes) {
      if (o.status >= 500 && !(o.status === 503 && o.code === 'DATABASE_UNAVAILABLE')) {
        this.problems.push(`${o.kind} answered ${o.status} ${o.code ?? ''}: ${JSON.stringify(o.body).slice(0, 200)}`);
      }
    }
  }

  async close(figures: string, totals: { acknowledged: number; lost: number; duplicates: number }): Promise<void> {
    for (const service of this.services) if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    await Promise.all(this.services.map((s) => s.exited));
    await this.fake.close();
    await this.pg.stop();
    if (this.problems.length > 0) {
      const dir = join(ROOT, '.data', 'faults-logs');
      await mkdir(dir, { recursive: true });
      for (const [i, service] of this.services.entries()) await writeFile(join(dir, `${this.label}-service-${i}.log`), service.output());
      this.problems.push(`the services' logs are in ${dir}/${this.label}-service-*.log`);
    }
    results.push({ name: this.name, ...totals, problems: this.problems, figures, ms: Date.now() - this.started });
  }
}

const count = (outcomes: readonly Outcome[], rule: (o: Outcome) => boolean) => outcomes.filter(rule).length;
const ok = (o: Outcome) => o.status >= 200 && o.status < 300;

function statusesOf(outcomes: readonly Outcome[]): string {
  const tally = new Map<string, number>();
  for (const o of outcomes) tally.set(String(o.status || o.error), (tally.get(String(o.status || o.error)) ?? 0) + 1);
  return [...tally.entries()]
    .sort()
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

// Scenario 5 runs beside the others: its replays are spread over a minute.
async function replayScenario(): Promise<void> {
  const s = await Scenario.open('the same Pusher batch replayed 10 times over a minute, shuffled');
  let figures = '';
  let totals = { acknowledged: 0, lost: 0, duplicates: 0 };
  try {
    const service = await s.service();
    // Three batches, each of client messages and the widget coming online, on one tenant's conversations.
    const batches: PusherEvent[][] = seed.tenants.slice(0, 3).map((tenant, b) => [
      ...[0, 1, 2].map((i) => clientMessage(tenant.chatIds[i], `cm-${s.label}-b${b}m${i}`)),
      { name: 'channel_occupied', channel: `private-conversation-${tenant.chatIds[3]}` },
    ]);
    const timeMs = Date.now();
    // The first send of each at once, its ten replays at random times over the minute after.
    const replays = shuffled(batches.flatMap((_, b) => Array.from({ length: 10 }, () => ({ b, at: 1_000 + Math.random() * 59_000 })))).sort((x, y) => x.at - y.at);
    replays[replays.length - 1].at = 60_000;
    const snapshot = () =>
      withClient(s.pg.url, async (db) =>
        JSON.stringify(
          (
            await db.query(`SELECT (SELECT count(*) FROM conversation_messages) AS messages, (SELECT count(*) FROM webhook_events) AS events,
                                   (SELECT count(*) FROM outbox) AS outbox,
                                   (SELECT md5(string_agg(c::text, ',' ORDER BY id)) FROM conversations c) AS conversations`)
          ).rows[0],
        ),
      );
    const start = Date.now();
    const sendBatch = async (b: number) => {
      const { body, headers } = signedBatch(PUSHER, shuffled(batches[b]), timeMs);
      const startedAt = Date.now();
      const answer = await send(service.url, 'POST', WEBHOOK_PATH, headers, body);
      return { b, answer, startedAt };
    };
    const firsts = await Promise.all(batches.map((_, b) => sendBatch(b)));
    for (const { b, answer } of firsts) {
      const meta = (answer.body as { meta?: Record<string, number> }).meta;
      s.check(answer.status === 201 && meta?.created === 3 && meta?.applied === 1, `batch ${b} first send: ${answer.status} ${JSON.stringify(meta)}`);
    }
    const after = await snapshot();
    let replayed = 0;
    for (const replay of replays) {
      const wait = start + replay.at - Date.now();
      if (wait > 0) await delay(wait);
      const { answer } = await sendBatch(replay.b);
      const meta = (answer.body as { meta?: Record<string, number> }).meta;
      s.check(
        answer.status === 201 && meta?.created === 0 && meta?.applied === 0 && meta?.duplicates === 4,
        `batch ${replay.b} replay: ${answer.status} ${JSON.stringify(meta)}`,
      );
      const now = await snapshot();
      if (now !== after) s.problems.push(`replay of batch ${replay.b} changed the database: ${after} -> ${now}`);
      replayed++;
    }
    const spanS = (Date.now() - start) / 1000;
    s.check(spanS >= 59, `replays spanned only ${spanS.toFixed(0)} s`);
    const messages = await withClient(s.pg.url, async (db) =>
      Number((await db.query(`SELECT count(*) FROM conversation_messages WHERE client_message_id LIKE $1`, [`cm-${s.label}-%`])).rows[0].count),
    );
    s.check(messages === 9, `${messages} messages stored for 9 client messages`);
    totals = { acknowledged: 3 + replayed, lost: 9 - Math.min(9, messages), duplicates: Math.max(0, messages - 9) };
    figures = `3 batches sent then replayed ${replayed} times over ${spanS.toFixed(0)} s; ${messages} messages stored, nothing new after the first`;
  } catch (error) {
    s.problems.push(`failed: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await s.close(figures, totals);
  }
}

describe('faults', () => {
  let replays: Promise<void>;

  beforeAll(async () => {
    seed = await seedTemplate({ tenants: 4, chats: 8, convertibles: 40 });
    replays = replayScenario();
  }, 120_000);

  afterAll(async () => {
    await replays;
    if (seed) await rm(seed.root, { recursive: true, force: true });
    const held = results.filter((r) => r.problems.length === 0).length;
    const sum = (f: (r: ScenarioResult) => number) => results.reduce((n, r) => n + f(r), 0);
    const lines = results.map(
      (r) => `  ${r.problems.length === 0 ? 'held  ' : 'BROKEN'} ${r.name} (${(r.ms / 1000).toFixed(0)} s): ${r.figures}${r.problems.map((p) => `\n      - ${p}`).join('')}`,
    );
    process.stdout.write(
      `\nfaults: ${held}/${SCENARIOS} held; acknowledged writes ${sum((r) => r.acknowledged)}, lost ${sum((r) => r.lost)}; duplicates ${sum((r) => r.duplicates)}\n${lines.join('\n')}\n`,
    );
  }, 120_000);

  const expectHeld = (name: string) => {
    const result = results.find((r) => r.name === name);
    expect(result?.problems ?? ['did not run']).toEqual([]);
  };

  it('should keep every acknowledged write when the service is SIGKILLed under load, and deliver its outbox once after a restart', async () => {
    const s = await Scenario.open('service SIGKILLed and restarted');
    let figures = '';
    let totals = { acknowledged: 0, lost: 0, duplicates: 0 };
    try {
      const port = await freePort();
      const first = await s.service(port);
      const before = await lastOutboxId(s.pg.url);
      let target = first.url;
      let stop!: () => void;
      const running = s.load.run(() => [target], new Promise<void>((resolve) => (stop = resolve)));
      await delay(4_000);
      first.child.kill('SIGKILL');
      const killedAt = Date.now();
      s.check((await first.exited) === 'SIGKILL', 'the service did not die of SIGKILL');
      const atKill = await lastOutboxId(s.pg.url);
      const claimed = await claimedEvents(s.pg.url);
      await delay(1_000);
      const second = await s.service(port);
      target = second.url;
      await delay(3_000);
      stop();
      await running;
      const outcomes = s.load.outcomes;
      s.checkAnswers(outcomes);
      s.check(count(outcomes, (o) => ok(o) && o.startedAt > killedAt + 1_000) > 0, 'nothing was acknowledged after the restart');
      const r = await s.reconcile();
      // The rows written before the kill, and every one since, reach Pusher once.
      const delivery = await checkDeliveries(s.pg.url, s.fake.events, before, LEASE_WAIT_MS);
      s.check(delivery.undelivered === 0, `${delivery.undelivered} of ${delivery.rows} live updates still undelivered`);
      for (const m of delivery.missing.slice(0, 5)) s.problems.push(`live update marked delivered but not received: ${m}`);
      for (const o of delivery.outOfOrder.slice(0, 5)) s.problems.push(`live update out of its conversation's order: ${o}`);
      // Delivery is at least once: a row the killed process held claimed may have been sent in the
      // moment before it could record so, and is sent again when its lease ends. A second arrival
      // of such a row is that window, reported; of any other row, a duplicate.
      const inFlight = delivery.duplicateKeys.filter((key) => claimed.has(key)).length;
      const duplicates = delivery.duplicates.filter((_, i) => !claimed.has(delivery.duplicateKeys[i]));
      for (const d of duplicates.slice(0, 5)) s.problems.push(`live update received twice: ${d}`);
      totals = { acknowledged: r.acknowledged, lost: r.lost + delivery.missing.length, duplicates: r.duplicates + duplicates.length };
      figures =
        `${outcomes.length} requests (${statusesOf(outcomes)}), ${r.acknowledged} acknowledged, lost ${r.lost}, in doubt ${r.inDoubt}; ` +
        `live updates ${delivery.rows} (${atKill - before} written before the kill), delivered once ${delivery.rows - delivery.undelivered - delivery.duplicates.length}, ` +
        `${claimed.size} held claimed at the kill, of which sent again after it ${inFlight}; duplicated ${duplicates.length}`;
    } catch (error) {
      s.problems.push(`failed: ${(error as Error).stack ?? String(error)}`);
    } finally {
      await s.close(figures, totals);
    }
    expectHeld(s.name);
  });

  it('should answer 503 fast while PostgreSQL is SIGKILLed, report not ready, recover by itself and keep every acknowledged write', async () => {
    const s = await Scenario.open('PostgreSQL SIGKILLed and restarted');
    let figures = '';
    let totals = { acknowledged: 0, lost: 0, duplicates: 0 };
    try {
      const service = await s.service();
      const before = await lastOutboxId(s.pg.url);
      const readiness: { at: number; status: number; ms: number }[] = [];
      // A HighLevel read beside the probe: its 503 is in its own dialect.
      const highLevel: { at: number; status: number; body: unknown }[] = [];
      const [tenant] = seed.tenants;
      let stop!: () => void;
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      let polling = true;
      const poll = (async () => {
        while (polling) {
          const startedAt = Date.now();
          const answer = await send(service.url, 'GET', '/health/ready', {});
          readiness.push({ at: startedAt, status: answer.status, ms: Date.now() - startedAt });
          const searchedAt = Date.now();
          const search = await send(service.url, 'GET', `/conversations/search?locationId=${tenant.locationId}`, { Authorization: tenant.auth, Version: '2021-07-28' });
          highLevel.push({ at: searchedAt, status: search.status, body: search.body });
          await delay(200);
        }
      })();
      const running = s.load.run(() => [service.url], stopped);
      await delay(3_000);
      await s.pg.kill();
      const downAt = Date.now();
      await delay(5_000);
      // Until the restart begins the database is surely down; it may answer before restart() returns.
      const restartAt = Date.now();
      await s.pg.restart();
      const upAt = Date.now();
      let readyAt = 0;
      while (!readyAt && Date.now() - upAt < RECOVERY_MS) {
        await delay(200);
        readyAt = readiness.find((p) => p.at > upAt && p.status === 200)?.at ?? 0;
      }
      await delay(3_000);
      stop();
      await running;
      polling = false;
      await poll;

      const outcomes = [...s.load.outcomes];
      // Keyed messages that were not acknowledged are sent again with their key: each executes once.
      const retries = await Promise.all(outcomes.filter((o) => o.kind === 'message' && o.idempotencyKey && !ok(o)).map((o) => s.load.message(service.url, o)));
      for (const retry of retries) s.check(ok(retry), `retry of Idempotency-Key ${retry.idempotencyKey} answered ${retry.status || retry.error}`);

      s.checkAnswers(s.load.outcomes);
      const down = outcomes.filter((o) => o.startedAt >= downAt + 500 && o.startedAt < restartAt);
      const unavailable = outcomes.filter((o) => o.status === 503);
      // Backends of the killed postmaster may still finish a request or two before they notice.
      const normal = (o: Outcome) => ok(o) || (o.kind === 'convert' && o.status === 409);
      s.check(down.some((o) => o.status === 503) && down.every((o) => o.status === 503 || normal(o)), `while down: ${statusesOf(down)}`);
      const slowest = Math.max(0, ...outcomes.filter((o) => o.startedAt >= downAt && o.startedAt < upAt).map((o) => o.endedAt - o.startedAt));
      s.check(slowest <= FAIL_FAST_MS, `a request waited ${slowest} ms while the database was down`);
      for (const o of unavailable) {
        const body = o.body as { errors?: { _?: unknown } };
        if (!Array.isArray(body?.errors?._) || o.retryAfter === undefined) {
          s.problems.push(`a 503 not in the Desk dialect or without Retry-After: ${JSON.stringify(o.body)} Retry-After ${o.retryAfter}`);
          break;
        }
      }
      s.check(count(outcomes, (o) => o.status === 0) === 0, `requests went unanswered: ${statusesOf(outcomes.filter((o) => o.status === 0))}`);
      const readyDown = readiness.filter((p) => p.at >= downAt + 500 && p.at < restartAt);
      s.check(readyDown.length > 0 && readyDown.every((p) => p.status === 503), `/health/ready while down: ${readyDown.map((p) => p.status).join(',')}`);
      const highLevelDown = highLevel.filter((p) => p.at >= downAt + 500 && p.at < restartAt);
      const inDialect = (p: { status: number; body: unknown }) => {
        const body = p.body as { statusCode?: unknown; error?: unknown };
        return p.status === 503 && body.statusCode === 503 && body.error === 'Service Unavailable';
      };
      s.check(highLevelDown.length > 0 && highLevelDown.every(inDialect), `HighLevel while down: ${highLevelDown.map((p) => `${p.status} ${JSON.stringify(p.body)}`).slice(0, 2)}`);
      s.check(highLevel.some((p) => p.at > upAt && p.status === 200), 'HighLevel search not answered 200 after the restart');
      s.check(readyAt > 0, `/health/ready not 200 within ${RECOVERY_MS / 1000} s of the database's restart`);
      for (const kind of ['message', 'convert', 'webhook'] as const) {
        s.check(count(outcomes, (o) => o.kind === kind && ok(o) && o.startedAt > upAt) > 0, `no ${kind} acknowledged after the database came back`);
      }
      s.check(service.child.exitCode === null, 'the service exited');
      const r = await s.reconcile();
      // The outbox dispatcher outlived the outage: every live update goes out, once.
      const delivery = await checkDeliveries(s.pg.url, s.fake.events, before, 30_000);
      s.check(delivery.undelivered === 0, `${delivery.undelivered} of ${delivery.rows} live updates undelivered 30 s after the outage`);
      for (const m of delivery.missing.slice(0, 5)) s.problems.push(`live update marked delivered but not received: ${m}`);
      for (const o of delivery.outOfOrder.slice(0, 5)) s.problems.push(`live update out of its conversation's order: ${o}`);
      for (const d of delivery.duplicates.slice(0, 5)) s.problems.push(`live update received twice: ${d}`);
      totals = { acknowledged: r.acknowledged, lost: r.lost + delivery.missing.length, duplicates: r.duplicates + delivery.duplicates.length };
      figures =
        `${s.load.outcomes.length} requests (${statusesOf(outcomes)}; ${retries.length} keyed retries), ${r.acknowledged} acknowledged, lost ${r.lost}, in doubt ${r.inDoubt}; ` +
        `down ${((upAt - downAt) / 1000).toFixed(1)} s: ${statusesOf(down)}, slowest answer then ${slowest} ms, ready ${((readyAt - upAt) / 1000).toFixed(1)} s after the restart; live updates ${delivery.rows}, delivered once ${delivery.rows - delivery.undelivered - delivery.duplicates.length}`;
    } catch (error) {
      s.problems.push(`failed: ${(error as Error).stack ?? String(error)}`);
    } finally {
      await s.close(figures, totals);
    }
    expectHeld(s.name);
  });

  it('should finish the requests it accepted on SIGTERM under load and exit 0', async () => {
    const s = await Scenario.open('SIGTERM under load');
    let figures = '';
    let totals = { acknowledged: 0, lost: 0, duplicates: 0 };
    try {
      const service = await s.service();
      let stop!: () => void;
      const running = s.load.run(() => [service.url], new Promise<void>((resolve) => (stop = resolve)), 8);
      await delay(3_000);
      const termAt = Date.now();
      service.child.kill('SIGTERM');
      const code = await service.exited;
      const exitedAt = Date.now();
      await delay(300);
      stop();
      await running;
      const outcomes = s.load.outcomes;
      s.check(code === 0, `exited with ${code}`);
      s.check(service.output().includes('shut down cleanly'), 'no "shut down cleanly" in its log');
      s.checkAnswers(outcomes);
      // In flight at the signal: answered, and as usual (no request of the load is refused for what it asks).
      const inFlight = outcomes.filter((o) => o.startedAt < termAt && o.endedAt >= termAt);
      const cut = inFlight.filter((o) => !ok(o) && !(o.kind === 'convert' && o.status === 409));
      s.check(cut.length === 0, `in flight at SIGTERM but not answered as usual: ${statusesOf(cut)}`);
      const r = await s.reconcile();
      totals = r;
      figures =
        `${outcomes.length} requests (${statusesOf(outcomes)}), ${inFlight.length} in flight at SIGTERM all answered; ` +
        `exit ${code} ${exitedAt - termAt} ms after the signal; ${r.acknowledged} acknowledged, lost ${r.lost}`;
    } catch (error) {
      s.problems.push(`failed: ${(error as Error).stack ?? String(error)}`);
    } finally {
      await s.close(figures, totals);
    }
    expectHeld(s.name);
  });

  it('should store each widget message, conversion and Idempotency-Key once when two processes get the same requests at once', async () => {
    const s = await Scenario.open('two processes on one database');
    let figures = '';
    let totals = { acknowledged: 0, lost: 0, duplicates: 0 };
    try {
      const before = await lastOutboxId(s.pg.url);
      const [a, b] = await Promise.all([s.service(), s.service()]);
      let stop!: () => void;
      const background = s.load.run(() => [a.url, b.url], new Promise<void>((resolve) => (stop = resolve)), 4);
      const pairs: [Outcome, Outcome][] = [];
      for (let round = 0; round < 20; round++) {
        const tenant = seed.tenants[round % seed.tenants.length];
        const events = [0, 1, 2].map((i) => clientMessage(tenant.chatIds[(round + i) % tenant.chatIds.length], `cm-${s.label}-pair${round}-${i}`));
        const webhook = await Promise.all([s.load.webhook(a.url, events), s.load.webhook(b.url, events)]);
        const created = webhook.map((o) => (o.body as { meta?: { created?: number } }).meta?.created ?? -1);
        s.check(webhook.every(ok) && created[0] + created[1] === 3, `the same batch to both: ${webhook.map((o) => o.status)} created ${created}`);
        pairs.push(webhook as [Outcome, Outcome]);

        const sameKey = { tenantId: tenant.tenantId, conversationId: tenant.chatIds[round % tenant.chatIds.length], idempotencyKey: `key-${s.label}-pair${round}`, text: `desk says ${s.label}-pair${round}` } as Outcome;
        const message = await Promise.all([s.load.message(a.url, sameKey), s.load.message(b.url, sameKey)]);
        const executed = message.filter((o) => ok(o) && !o.replayed).length;
        const fine = message.every((o) => ok(o) || (o.status === 409 && o.code === 'IDEMPOTENCY_KEY_IN_USE'));
        s.check(fine && executed === 1, `the same Idempotency-Key to both: ${message.map((o) => `${o.status}${o.replayed ? ' replayed' : ''}`)}`);
        pairs.push(message as [Outcome, Outcome]);

        const id = s.load.reserveConvertible(tenant.tenantId)!;
        const conversion = await Promise.all([s.load.convert(a.url, id, tenant.tenantId), s.load.convert(b.url, id, tenant.tenantId)]);
        const statuses = conversion.map((o) => o!.status).sort();
        s.check(statuses[0] === 200 && statuses[1] === 409, `the same conversion to both: ${statuses}`);
        pairs.push(conversion as [Outcome, Outcome]);
      }
      stop();
      await background;
      s.checkAnswers();
      const r = await s.reconcile();
      // Both dispatchers share the outbox: each live update reaches Pusher once.
      const delivery = await checkDeliveries(s.pg.url, s.fake.events, before, 20_000);
      s.check(delivery.undelivered === 0, `${delivery.undelivered} of ${delivery.rows} live updates undelivered`);
      for (const d of delivery.duplicates.slice(0, 5)) s.problems.push(`live update received twice: ${d}`);
      for (const m of delivery.missing.slice(0, 5)) s.problems.push(`live update marked delivered but not received: ${m}`);
      for (const o of delivery.outOfOrder.slice(0, 5)) s.problems.push(`live update out of its conversation's order: ${o}`);
      totals = { acknowledged: r.acknowledged, lost: r.lost + delivery.missing.length, duplicates: r.duplicates + delivery.duplicates.length };
      figures =
        `${pairs.length} pairs of the same request to both and ${s.load.outcomes.length - pairs.length * 2} others (${statusesOf(s.load.outcomes)}), ` +
        `${r.acknowledged} acknowledged, lost ${r.lost}, duplicates ${r.duplicates}; live updates ${delivery.rows}, each delivered once by one of the two, each conversation's in order`;
    } catch (error) {
      s.problems.push(`failed: ${(error as Error).stack ?? String(error)}`);
    } finally {
      await s.close(figures, totals);
    }
    expectHeld(s.name);
  });

  it('should leave no conversation over capacity, doubly assigned or lost from its queue when a process is SIGKILLed mid-routing, and resume', async () => {
    const s = await Scenario.open('service SIGKILLed in the middle of routing 20,000 conversations');
    let figures = '';
    let totals = { acknowledged: 0, lost: 0, duplicates: 0 };
    try {
      const [tenant] = seed.tenants;
      const [a, b] = await Promise.all([s.service(), s.service()]);
      const setup = await setUpRouting(s.pg.url, a.url, tenant, s.label);
      const full = ROUTING_AGENTS * ROUTING_CAPACITY;
      // Team changes, each routing a chunk, go to A, four at a time; both processes' sweeps run too.
      let stopped = false;
      const routing = routeContinuously(a.url, tenant.auth, setup.teamId, () => stopped);
      let atKill = 0;
      const deadline = Date.now() + 60_000;
      while ((atKill = await assignedCount(s.pg.url, setup.teamId)) < 3_000 && Date.now() < deadline) await delay(50);
      a.child.kill('SIGKILL');
      const killedAt = Date.now();
      stopped = true;
      const answers = await routing;
      s.check((await a.exited) === 'SIGKILL', 'the service did not die of SIGKILL');
      s.check(atKill > 0 && atKill < full, `${atKill} assigned at the kill: not in the middle of routing`);

      // B's sweep finishes the queue up to capacity, and then nothing more moves.
      while ((await assignedCount(s.pg.url, setup.teamId)) < full && Date.now() - killedAt < ROUTING_RESUME_MS) await delay(500);
      const resumedMs = Date.now() - killedAt;
      await delay(6_000);
      const r = await checkRouting(s.pg.url, setup);
      s.check(b.child.exitCode === null, 'the other service exited');
      s.check(r.assigned === full, `${r.assigned} assigned, ${full} expected, ${(resumedMs / 1000).toFixed(0)} s after the kill`);
      s.check(r.queued === ROUTING_QUEUE - full, `${r.queued} still queued, ${ROUTING_QUEUE - full} expected`);
      s.check(r.lost === 0, `${r.lost} conversations neither assigned nor in the queue`);
      s.check(r.overCapacity === 0, `agents over capacity: ${r.perAgent.join(', ')}`);
      s.check(r.doubled === 0, `${r.doubled} conversations with two assignments recorded, or one naming another agent`);
      s.check(r.inOrder, 'an older conversation waits while a newer one was assigned');
      s.check(r.updatedEvents === r.assigned, `${r.updatedEvents} conversation.updated for ${r.assigned} assignments`);
      for (const problem of r.problems.slice(0, 5)) s.problems.push(problem);
      const cut = answers.filter((answer) => answer.status === 0).length;
      const fine = answers.filter((answer) => answer.status === 200).length;
      s.check(answers.every((answer) => answer.status === 0 || answer.status === 200), `team changes answered ${[...new Set(answers.map((x) => x.status))].join(', ')}`);
      totals = { acknowledged: fine, lost: r.lost, duplicates: r.doubled };
      figures =
        `${ROUTING_QUEUE} queued for ${ROUTING_AGENTS} agents of capacity ${ROUTING_CAPACITY}; ${fine} team changes answered, ${cut} cut by the kill at ${atKill} assigned; ` +
        `${r.assigned} assigned ${(resumedMs / 1000).toFixed(0)} s after it (per agent ${Math.min(...r.perAgent)}–${Math.max(...r.perAgent)}), ${r.queued} queued, lost ${r.lost}, doubled ${r.doubled}`;
    } catch (error) {
      s.problems.push(`failed: ${(error as Error).stack ?? String(error)}`);
    } finally {
      await s.close(figures, totals);
    }
    expectHeld(s.name);
  });

  it('should deliver every webhook at least once and in order per conversation when the receiver is down a while and a dispatcher is SIGKILLed mid-send', async () => {
    const s = await Scenario.open('webhook receiver down, then a dispatcher SIGKILLed mid-send');
    const receiver = await startWebhookReceiver();
    let figures = '';
    let totals = { acknowledged: 0, lost: 0, duplicates: 0 };
    try {
      const [tenant] = seed.tenants;
      const subscription = await subscribe(s.pg.url, tenant.tenantId, `${receiver.url}/hooks`);
      const [a, b] = await Promise.all([s.service(undefined, WEBHOOK_ENV), s.service(undefined, WEBHOOK_ENV)]);
      let mode: 'up' | 'down' | 'hang' = 'up';
      receiver.cue(() => (mode === 'up' ? { status: 204 } : mode === 'down' ? { status: 503 } : 'hang'));
      // Four conversations, each written one message after another (to B: A is the one killed).
      let writing = true;
      const sent = new Map<number, number[]>();
      let refused = 0;
      const writers = tenant.chatIds.slice(0, 4).map(async (conversationId) => {
        sent.set(conversationId, []);
        for (let i = 0; writing; i++) {
          const answer = await send(b.url, 'POST', '/desk/api/v2/conversationmessages.json', { Authorization: tenant.auth }, JSON.stringify({ conversationId, message: `${s.label} ${i}` }));
          if (answer.status === 201) sent.get(conversationId)!.push((answer.body as { conversationmessage: { id: number } }).conversationmessage.id);
          else refused++;
          await delay(50);
        }
      });
      await delay(2_000);
      mode = 'down';
      await delay(5_000);
      mode = 'up';
      await delay(2_000);
      // Every send hangs; once A holds deliveries (so is mid-send), it dies.
      mode = 'hang';
      const hangDeadline = Date.now() + 20_000;
      while ((await claimedBy(s.pg.url, a.child.pid!)) === 0 && Date.now() < hangDeadline) await delay(50);
      const heldAtKill = await claimedBy(s.pg.url, a.child.pid!);
      a.child.kill('SIGKILL');
      s.check((await a.exited) === 'SIGKILL', 'the dispatcher did not die of SIGKILL');
      s.check(heldAtKill > 0, 'the killed process held no delivery: it was not mid-send');
      mode = 'up';
      await delay(2_000);
      writing = false;
      await writers;
      const written = [...sent.values()].reduce((n, ids) => n + ids.length, 0);
      const startedWaiting = Date.now();
      let counts = await deliveryCounts(s.pg.url, subscription.id);
      while ((counts.pending > 0 || counts.delivered < written) && Date.now() - startedWaiting < WEBHOOK_RESUME_MS) {
        await delay(500);
        counts = await deliveryCounts(s.pg.url, subscription.id);
      }
      s.check(refused === 0, `${refused} messages not acknowledged`);
      // At least one delivery per acknowledged message (a message whose answer was lost is delivered too).
      s.check(counts.pending === 0 && counts.failed === 0 && counts.delivered >= written, `deliveries ${JSON.stringify(counts)} for ${written} messages`);
      const r = checkWebhookOrder(receiver.received, subscription.secret, sent);
      for (const m of r.missing.slice(0, 5)) s.problems.push(`never received: ${m}`);
      for (const o of r.outOfOrder.slice(0, 5)) s.problems.push(`out of order: ${o}`);
      s.check(r.badSignatures === 0, `${r.badSignatures} deliveries whose signature does not verify`);
      s.check(b.child.exitCode === null, 'the other service exited');
      totals = { acknowledged: written, lost: r.missing.length, duplicates: 0 };
      figures =
        `${written} messages acknowledged in 4 conversations (${counts.delivered} deliveries), receiver down 5 s then hung; ${heldAtKill} deliveries held by the killed dispatcher; ` +
        `all delivered ${((Date.now() - startedWaiting) / 1000).toFixed(0)} s after the writes, ${receiver.received.length} receipts (${r.repeats} repeats: at least once), ` +
        `lost ${r.missing.length}, out of order ${r.outOfOrder.length}`;
    } catch (error) {
      s.problems.push(`failed: ${(error as Error).stack ?? String(error)}`);
    } finally {
      await receiver.close();
      await s.close(figures, totals);
    }
    expectHeld(s.name);
  }, 300_000);

  it('should change nothing when the same Pusher batch is replayed 10 times over a minute', async () => {
    await replays;
    expectHeld('the same Pusher batch replayed 10 times over a minute, shuffled');
  });
});
