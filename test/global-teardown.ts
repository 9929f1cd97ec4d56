import { dropDatabases } from './support/test-database';

export default async function globalTeardown(): Promise<void> {
  const serverUrl = process.env.TEST_DB_SERVER_URL;
  const prefix = process.env.TEST_DB_PREFIX;
  if (serverUrl && prefix && process.env.TEST_KEEP_DATABASES !== 'true') await dropDatabases(serverUrl, prefix);
  const embedded = (globalThis as { embeddedPostgres?: { ownsServer: boolean; stop(): Promise<void> } }).embeddedPostgres;
  if (embedded?.ownsServer) await embedded.stop();
}
