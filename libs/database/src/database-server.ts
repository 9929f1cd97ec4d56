import { EMBEDDED_DATABASE, ensureDatabase, startEmbeddedPostgres } from './embedded-postgres';

export interface DatabaseServerSettings {
  DATABASE_URL?: string;
  EMBEDDED_PG_DIR: string;
  EMBEDDED_PG_PORT: number;
}

export interface DatabaseServer {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

// DATABASE_URL when given; otherwise the embedded PostgreSQL in the project folder.
export async function openDatabaseServer(
  settings: DatabaseServerSettings,
  log: (message: string) => void,
): Promise<DatabaseServer> {
  if (settings.DATABASE_URL) {
    return { url: settings.DATABASE_URL, embedded: false, stop: async () => undefined };
  }
  log('DATABASE_URL is not set: using the embedded PostgreSQL');
  const server = await startEmbeddedPostgres({
    dir: settings.EMBEDDED_PG_DIR,
    port: settings.EMBEDDED_PG_PORT,
    log,
  });
  await ensureDatabase(server.serverUrl(), EMBEDDED_DATABASE);
  return { url: server.serverUrl(EMBEDDED_DATABASE), embedded: true, stop: () => server.stop() };
}
