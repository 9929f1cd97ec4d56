#!/usr/bin/env node
// npm run bench [-- --scenario NAME …] [-- --smoke] [-- --no-build] …  (see bench/README.md)
//
// A fresh database, the service built and started as its own process (with a fake Pusher), ten
// tenants with keys from the service's CLI, data seeded by SQL, then each scenario driven by
// autocannon against the service and against its floor, one table, JSON under bench/results/, and
// the database dropped, whatever happens.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { URL } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchDatabaseName, createDatabase, databaseUrl, DEFAULT_SERVER_URL, dropDatabase, openPool, serverVersion } from './lib/database.mjs';
import { startFakePusher } from './lib/fake-pusher.mjs';
import { renderErrors, renderTable, renderTargets, writeResults } from './lib/report.mjs';
import { compareTraces } from './lib/sql-drift.mjs';
import { bootstrapTenants } from './lib/seed.mjs';
import { build, ChildProcess, cleanEnv, MAIN_JS, ROOT, RssSampler, SERVICE_NODE_FLAGS, waitReady } from './lib/service.mjs';
import { closeHttpAgent, freePort, note, out, progressBar } from './lib/util.mjs';
import { MB, target } from './scenarios/common.mjs';
import { MEMORY, SCENARIOS } from './scenarios/index.mjs';

const HELP = `npm run bench -- [options]

  --scenario NAME     run only this scenario (repeatable, or comma-separated); default: all
  --smoke             every scenario for ~1.5 s, fewer conversions, no warm-up (CI: the harness works)
  --no-build          use dist/ as it is (default: npm run -s build first)
  --duration SEC      measured seconds per phase (default 10; smoke 1.5)
  --warmup SEC        unrecorded warm-up seconds before each phase (default 2; smoke 0)
  --connections N     override every autocannon scenario's connections
  --pool-size N       DATABASE_POOL_SIZE of the service and the floor's pool (default 10)
  --strict            also exit 1 when a target fails (default: only errors fail the run)
  --keep-db           do not drop the database at the end (to look at it; drop it yourself)
  --trace-sql FILE    record every statement the service sends to FILE and the floor's to FILE.floor
                      (JSON lines), to compare them; the figures then mean nothing
  --list              list the scenarios and exit

  BENCH_DATABASE_URL  the PostgreSQL server to create the database on
                      (default ${DEFAULT_SERVER_URL})

Scenarios: ${[...SCENARIOS.map((s) => s.name), MEMORY.name].join(', ')}`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', multiple: true },
      smoke: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      'pool-size': { type: 'string' },
      strict: { type: 'boolean', default: false },
      'keep-db': { type: 'boolean', default: false },
      'trace-sql': { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const positive = (name, text, fallback) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number ≥ 0, not ${text}`);
    return value;
  };
  const known = new Set([...SCENARIOS.map((s) => s.name), MEMORY.name]);
  const names = (values.scenario ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const name of names) if (!known.has(name)) throw new Error(`unknown scenario ${name}; one of ${[...known].join(', ')}`);
  const smoke = values.smoke;
  const poolSize = positive('pool-size', values['pool-size'], 10);
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new Error('--pool-size must be a whole number ≥ 1');
  const connections = values.connections === undefined ? undefined : positive('connections', values.connections);
  if (connections !== undefined && (!Number.isInteger(connections) || connections < 1)) throw new Error('--connections must be a whole number ≥ 1');
  return {
    help: values.help,
    list: values.list,
    scenarios: names.length > 0 ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS,
    smoke,
    build: !values['no-build'],
    durationSec: positive('duration', values.duration, smoke ? 1.5 : 10),
    warmupSec: positive('warmup', values.warmup, smoke ? 0 : 2),
    connections,
    poolSize,
    strict: values.strict,
    keepDb: values['keep-db'],
    traceSql: values['trace-sql'] ? path.resolve(values['trace-sql']) : null,
    serverUrl: process.env.BENCH_DATABASE_URL || DEFAULT_SERVER_URL,
  };
}

function gitState() {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return null;
  }
}

// Everything the run started, undone in reverse, once, whichever way the run ends.
const resources = [];
let cleaning = null;
function cleanup() {
  cleaning ??= (async () => {
    for (const { name, undo } of resources.reverse()) {
      try {
        await undo();
      } catch (error) {
        note(`cleanup: ${name}: ${error.message}`);
      }
    }
    closeHttpAgent();
  })();
  return cleaning;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) {
      note(`${signal} again: exiting without cleaning up`);
      process.exit(130);
    }
    interrupted = true;
    note(`\n${signal}: stopping and cleaning up (again to force)…`);
    cleanup().finally(() => process.exit(130));
  });
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    out(HELP);
    return 0;
  }
  if (options.list) {
    for (const s of [...SCENARIOS, MEMORY]) out(`${s.name.padEnd(20)} ${s.describe}`);
    return 0;
  }
  const startedAt = new Date();
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

  if (options.build) await build();

  // The database, dropped at the end.
  const dbName = benchDatabaseName(startedAt);
  const dbUrl = databaseUrl(options.serverUrl, dbName);
  await createDatabase(options.serverUrl, dbName);
  note(`database ${dbName} created on ${new URL(options.serverUrl).host}`);
  resources.push({
    name: `drop ${dbName}`,
    undo: async () => {
      if (options.keepDb) return note(`kept database ${dbName} (--keep-db): DROP DATABASE ${dbName} WITH (FORCE) when done`);
      await dropDatabase(options.serverUrl, dbName);
      note(`database ${dbName} dropped`);
    },
  });
  const filesDir = mkdtempSync(path.join(os.tmpdir(), 'helpdesk-bench-files-'));
  resources.push({ name: 'files dir', undo: () => rmSync(filesDir, { recursive: true, force: true }) });

  // A Pusher that answers, so the service's outbox dispatcher does what it does in production.
  const pusherCredentials = { appId: '1', key: 'bench-key', secret: randomBytes(16).toString('hex') };
  const pusher = await startFakePusher(await freePort());
  resources.push({ name: 'fake pusher', undo: () => pusher.close() });

  // The service, migrating the fresh database at boot.
  const servicePort = await freePort();
  const serviceUrl = `http://127.0.0.1:${servicePort}`;
  const serviceEnv = cleanEnv({
    PORT: String(servicePort),
    HOST: '127.0.0.1',
    DATABASE_URL: dbUrl,
    DATABASE_POOL_SIZE: String(options.poolSize),
    MIGRATIONS_RUN: 'true',
    LOG_LEVEL: 'warn',
    PUSHER_APP_ID: pusherCredentials.appId,
    PUSHER_KEY: pusherCredentials.key,
    PUSHER_SECRET: pusherCredentials.secret,
    PUSHER_HOST: '127.0.0.1',
    PUSHER_PORT: String(pusher.port),
    PUSHER_USE_TLS: 'false',
    HL_RATE_LIMIT_MAX: '1000000',
    HL_RATE_LIMIT_DAILY: '1000000000',
    // The load is a handful of keys far above any tenant's fair share: measure the service, not its limits.
    DESK_RATE_LIMIT_PER_KEY: '1000000000',
    DESK_RATE_LIMIT_PER_TENANT: '1000000000',
    FILES_DIR: filesDir,
    ...(options.traceSql ? { BENCH_TRACE_SQL_FILE: options.traceSql } : {}),
  });
  // BENCH_SERVICE_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the service alone.
  const serviceNodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const service = new ChildProcess('service', [...SERVICE_NODE_FLAGS, ...serviceNodeArgs, MAIN_JS], serviceEnv, options.traceSql ? { preload: './bench/lib/trace-sql.mjs' } : {});
  resources.push({ name: 'service', undo: () => service.stop() });
  const booting = Date.now();
  await waitReady(service, serviceUrl, '/health/ready');
  const rss = new RssSampler(service.pid, 100);
  resources.push({ name: 'rss sampler', undo: () => rss.stop() });
  note(`service up (pid ${service.pid}, ${serviceUrl}), migrated and ready in ${((Date.now() - booting) / 1000).toFixed(1)} s${options.traceSql ? `; tracing SQL to ${options.traceSql} (floor: ${options.traceSql}.floor)` : ''}`);

  // The floor: same database, same pool size.
  const floorPort = await freePort();
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  // BENCH_FLOOR_NODE_ARGS does the same for the floor, to compare the two profiles.
  const floorNodeArgs = (process.env.BENCH_FLOOR_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const floor = new ChildProcess(
    'floor',
    [...floorNodeArgs, 'bench/floor/server.mjs'],
    cleanEnv({
      PORT: String(floorPort),
      HOST: '127.0.0.1',
      DATABASE_URL: dbUrl,
      DATABASE_POOL_SIZE: String(options.poolSize),
      PUSHER_KEY: pusherCredentials.key,
      PUSHER_SECRET: pusherCredentials.secret,
      ...(options.traceSql ? { BENCH_TRACE_SQL_FILE: `${options.traceSql}.floor` } : {}),
    }),
    options.traceSql ? { preload: './bench/lib/trace-sql.mjs' } : {},
  );
  resources.push({ name: 'floor', undo: () => floor.stop() });
  await waitReady(floor, floorUrl, '/health/ready');

  // Tenants and keys (the service's CLI), then every selected scenario's data.
  const pool = openPool(dbUrl, 4);
  resources.push({ name: 'seed pool', undo: () => pool.end() });
  const postgres = await serverVersion(pool);
  const tenantBar = progressBar('tenants (cli bootstrap)', 10);
  const tenants = await bootstrapTenants(pool, dbUrl, 10, () => tenantBar.add(1));
  tenantBar.finish();
  const ctx = { options, pool, tenants, serviceUrl, floorUrl, rss, pusher: pusherCredentials, databaseUrl: dbUrl };
  const seedBar = progressBar('seeding', options.scenarios.reduce((sum, s) => sum + s.seedRows(options), 0));
  const states = new Map();
  for (const scenario of options.scenarios) states.set(scenario.name, await scenario.seed(ctx, seedBar));
  await pool.query('VACUUM ANALYZE');
  seedBar.finish(`done, vacuumed and analysed (${elapsed()})`);

  // The scenarios, one after another.
  const rows = [];
  const targets = [];
  for (const scenario of options.scenarios) {
    await outboxDrained(pool, scenario.name);
    note(`${scenario.name}: ${scenario.describe}`);
    try {
      const result = await scenario.run(ctx, states.get(scenario.name));
      rows.push(...result.rows);
      targets.push(...result.targets);
    } catch (error) {
      if (interrupted) throw error;
      // A scenario that cannot run (a check before timing failed, a server died) is an error row;
      // the others still run, and the run fails after the table.
      note(`  ${scenario.name} failed: ${error.message}`);
      rows.push({ scenario: scenario.name, failed: error.message, errors: 1 });
      targets.push(target(scenario.name, 'the scenario ran', false, error.message.split('\n')[0]));
    }
    const dead = [service, floor].find((child) => child.exited);
    if (dead) {
      // Nothing more can be measured; what was is still shown.
      rows.push({ scenario: `(${dead.name} exited)`, failed: `${dead.name} exited during ${scenario.name} (${JSON.stringify(dead.exited)}):\n${dead.tail()}`, errors: 1 });
      break;
    }
  }
  const peakMb = rss.peak / MB;
  rows.push({ scenario: 'memory', peakRssMb: Number(peakMb.toFixed(1)), errors: 0 });
  targets.push(target('memory', `peak RSS ≤ ${MEMORY.limitMb} MB`, peakMb <= MEMORY.limitMb, `${peakMb.toFixed(1)} MB over the whole run (${rss.samples} samples)`));

  // The table and the targets on stdout; the same as JSON.
  const errors = rows.reduce((sum, r) => sum + (r.errors ?? 0), 0);
  const targetsOk = targets.every((t) => t.ok);
  out('');
  out(renderTable(rows));
  out('');
  out(renderTargets(targets));
  const errorText = renderErrors(rows);
  if (errorText) out(`\nERRORS (the run fails):\n${errorText}`);
  const cpus = os.cpus();
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    ok: errors === 0,
    targetsOk,
    note: 'Absolute figures depend on the machine and on whatever else runs on it; compare ratios (service / floor) taken in the same run.',
    options: { ...options, scenarios: options.scenarios.map((s) => s.name), serverUrl: undefined },
    environment: {
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? null,
      memoryGb: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
      loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))),
      postgres,
      database: dbName,
      git: gitState(),
    },
    scenarios: Object.fromEntries([...options.scenarios, MEMORY].map((s) => [s.name, s.describe])),
    rows,
    targets,
    fakePusher: { ...pusher.counts },
    traced: options.traceSql !== null,
  };
  if (options.traceSql) {
    // Does every floor still run what its endpoint runs? (The statements' shapes, not their counts.)
    const drift = compareTraces(options.traceSql, `${options.traceSql}.floor`);
    report.sqlDrift = drift;
    note(`\nSQL traced: ${drift.common} statement shapes run by both the service and the floors`);
    for (const [who, list] of [['only the service', drift.serviceOnly], ['only the floors', drift.floorOnly]]) {
      if (list.length === 0) continue;
      note(`run by ${who} (a floor to update in bench/floor/statements.mjs, or background work to list in bench/lib/sql-drift.mjs):`);
      for (const { count, sql } of list) note(`  ${String(count).padStart(6)}×  ${sql.length > 400 ? `${sql.slice(0, 400)}…` : sql}`);
    }
  }
  const file = writeResults(path.join(ROOT, 'bench', 'results'), report);
  note(`\nresults: ${path.relative(ROOT, file)} and bench/results/latest.json (${elapsed()})`);
  if (options.traceSql) note('SQL was traced: these figures are not measurements.');
  if (errors > 0) return 1;
  if (options.strict && !targetsOk) return 1;
  return 0;
}

main()
  .then(
    async (code) => {
      await cleanup();
      process.exit(code);
    },
    async (error) => {
      // After Ctrl-C, whatever failed failed because its resources went away.
      if (!interrupted) process.stderr.write(`\nbench failed: ${error?.stack ?? error}\n`);
      await cleanup();
      process.exit(interrupted ? 130 : 1);
    },
  );

// Each scenario starts on a quiet service: the live updates an earlier one left in the outbox (a
// webhook batch writes one per message) are sent first, or the next scenario would measure the
// dispatcher's work too. The floors' rows have their own topic and are never sent.
async function outboxDrained(pool, next, timeoutMs = 180_000) {
  const started = Date.now();
  for (;;) {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'pusher' AND delivered_at IS NULL AND failed_at IS NULL`);
    if (rows[0].n === 0) return;
    if (Date.now() - started > timeoutMs) throw new Error(`the service's outbox still holds ${rows[0].n} live updates after ${timeoutMs / 1000} s`);
    if ((Date.now() - started) % 10_000 < 1_000) note(`  before ${next}: waiting for the service's outbox to drain (${rows[0].n} left)`);
    await sleep(1_000);
  }
}

