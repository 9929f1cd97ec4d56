import { rm } from 'node:fs/promises';
import type { EmbeddedTestServer } from './global-setup';
import { describeLeaks, findLeaksInRun } from './support/secret-leaks';
import type { PgBouncer } from './support/pgbouncer';
import { skippedSuitesLine } from './support/requirements';
import { dropDatabases } from './support/test-database';
import type { TestRedis } from './support/test-redis';

// The run's last line names the suites skipped for want of a tool (test/support/requirements.ts).
export default async function globalTeardown(): Promise<void> {
  const skipped = skippedSuitesLine();
  try {
    await stopTestServers();
    await checkLogsForSecrets();
  } finally {
    if (skipped) process.stdout.write(`\n${skipped}\n`);
  }
}

// Also what a failed global setup calls: each server is stopped only if it was started.
export async function stopTestServers(): Promise<void> {
  const serverUrl = process.env.TEST_DB_SERVER_URL;
  const prefix = process.env.TEST_DB_PREFIX;
  const embedded = (globalThis as { embeddedPostgres?: EmbeddedTestServer }).embeddedPostgres;
  await (globalThis as { pgbouncer?: PgBouncer }).pgbouncer?.stop();
  await (globalThis as { testRedis?: TestRedis }).testRedis?.stop();
  if (embedded) {
    await embedded.stop();
    await rm(embedded.dir, { recursive: true, force: true });
    return;
  }
  if (serverUrl && prefix && process.env.TEST_KEEP_DATABASES !== 'true') await dropDatabases(serverUrl, prefix);
}

// No secret a test used may appear in any log line of the run. A failure names the kind of secret
// and the file and line, never the secret; the run's logs are then kept for a look.
async function checkLogsForSecrets(): Promise<void> {
  const dir = process.env.TEST_RUN_DIR;
  if (!dir) return;
  const started = Date.now();
  const { leaks, secrets, logFiles, logBytes } = findLeaksInRun(dir);
  if (leaks.length > 0) {
    throw new Error(`secrets in the logs of this run (${leaks.length}):\n${describeLeaks(leaks.slice(0, 50))}`);
  }
  const size = `${(logBytes / 1024 ** 2).toFixed(1)} MB`;
  process.stdout.write(`\nlogs: ${logFiles} files (${size}) checked for ${secrets} secrets in ${Date.now() - started} ms, none found\n`);
  await rm(dir, { recursive: true, force: true });
}
