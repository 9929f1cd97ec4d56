import { rm } from 'node:fs/promises';
import type { EmbeddedTestServer } from './global-setup';
import type { PgBouncer } from './support/pgbouncer';
import { dropDatabases } from './support/test-database';

export default async function globalTeardown(): Promise<void> {
  const serverUrl = process.env.TEST_DB_SERVER_URL;
  const prefix = process.env.TEST_DB_PREFIX;
  const embedded = (globalThis as { embeddedPostgres?: EmbeddedTestServer }).embeddedPostgres;
  await (globalThis as { pgbouncer?: PgBouncer }).pgbouncer?.stop();
  if (embedded) {
    await embedded.stop();
    await rm(embedded.dir, { recursive: true, force: true });
    return;
  }
  if (serverUrl && prefix && process.env.TEST_KEEP_DATABASES !== 'true') await dropDatabases(serverUrl, prefix);
}
