import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { register } from 'tsconfig-paths';
import { PgBouncer, startPgBouncer } from './support/pgbouncer';
import { freePort } from './support/service-process';
import { findPgBouncer, findTools, publishTools, tool } from './support/requirements';
import { createDatabase, withDatabase } from './support/test-database';
import type { TestRedis } from './support/test-redis';
import { stopTestServers } from './global-teardown';

// Jest runs this file outside its module system, so the path aliases are registered here.
register({
  baseUrl: join(__dirname, '..'),
  paths: {
    '@app/config': ['libs/config/src'],
    '@app/database': ['libs/database/src'],
    '@app/common': ['libs/common/src'],
    '@app/migrations/*': ['migrations/*'],
  },
});

// Picks the server (TEST_DATABASE_URL, else DATABASE_URL, else the embedded PostgreSQL), then
// builds one migrated template database that every spec file clones its own database from, and
// looks for the optional tools (test/support/requirements.ts). What it started is stopped if it fails.
export default async function globalSetup(): Promise<void> {
  // Asked for explicitly, so its absence is an error rather than a skip; checked before anything starts.
  const pgbouncer = findPgBouncer();
  if (process.env.E2E_PGBOUNCER === '1' && 'missing' in pgbouncer) {
    throw new Error(`E2E_PGBOUNCER=1 runs every suite through PgBouncer, but pgbouncer was not found (${pgbouncer.missing}): install Debian's pgbouncer`);
  }
  try {
    await setUp();
  } catch (error) {
    await stopTestServers();
    throw error;
  }
}

async function setUp(): Promise<void> {
  const { startEmbeddedPostgres } = await import('../libs/database/src/embedded-postgres');
  const { buildDataSourceOptions } = await import('../libs/database/src/database-options');
  const { runMigrationsUnderLock } = await import('../libs/database/src/migrate');
  const { DataSource } = await import('typeorm');

  let serverUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!serverUrl) {
    // A throwaway embedded server of this run's own, so runs never share (or stop) each other's.
    const dir = join('.data', `test-postgres-${process.pid}`);
    const embedded = await startEmbeddedPostgres({ dir, port: await freePort() });
    (globalThis as { embeddedPostgres?: EmbeddedTestServer }).embeddedPostgres = { ...embedded, dir };
    serverUrl = embedded.serverUrl();
    process.stdout.write(`\ntests run on the embedded PostgreSQL (127.0.0.1:${new URL(serverUrl).port})\n`);
  } else {
    process.stdout.write(`\ntests run on ${new URL(serverUrl).host}\n`);
  }

  const runPrefix = `helpdesk_test_${Date.now().toString(36)}_${process.pid}`;
  const template = `${runPrefix}_template`;
  // Set first, so that a setup failing from here on drops what it created.
  process.env.TEST_DB_SERVER_URL = serverUrl;
  process.env.TEST_DB_PREFIX = runPrefix;
  await createDatabase(serverUrl, template);
  const dataSource = await new DataSource(buildDataSourceOptions({ url: withDatabase(serverUrl, template) })).initialize();
  try {
    await runMigrationsUnderLock(dataSource);
  } finally {
    await dataSource.destroy();
  }

  // The run's logs and the secrets its tests used, checked against each other at its end.
  process.env.TEST_RUN_DIR = join('.data', 'test-runs', runPrefix);
  await mkdir(process.env.TEST_RUN_DIR, { recursive: true });
  process.env.TEST_DB_TEMPLATE = template;

  const tools = await findTools(await freePort());
  (globalThis as { testRedis?: TestRedis }).testRedis = tools.redis;
  publishTools(tools);

  // E2E_PGBOUNCER=1: the apps reach their databases through a PgBouncer in transaction mode.
  if (process.env.E2E_PGBOUNCER === '1') {
    const pgbouncer = await startPgBouncer(tool('pgbouncer'), serverUrl, join('.data', `test-pgbouncer-${process.pid}`), await freePort());
    (globalThis as { pgbouncer?: PgBouncer }).pgbouncer = pgbouncer;
    process.env.TEST_DB_POOLER_URL = pgbouncer.serverUrl;
    process.stdout.write(`through PgBouncer (transaction mode) on ${new URL(pgbouncer.serverUrl).host}\n`);
  }
  // The production build, for the specs that run it as processes (process, logs, E2E_PROCESSES):
  // built here once, and only when out of date, so no two workers build at once.
  if (process.env.E2E_BUILT !== 'true') {
    await promisify(execFile)(process.execPath, ['scripts/launch.mjs', 'build', '--if-stale'], { cwd: join(__dirname, '..'), timeout: 180_000 });
  }
  process.env.E2E_BUILT = 'true';
  // E2E_PROCESSES=n: requests go to n processes of that build.
  if (Number(process.env.E2E_PROCESSES ?? '1') > 1) {
    process.stdout.write(`requests round-robin over ${process.env.E2E_PROCESSES} service processes\n`);
  }
}

export interface EmbeddedTestServer {
  dir: string;
  ownsServer: boolean;
  stop(): Promise<void>;
}
