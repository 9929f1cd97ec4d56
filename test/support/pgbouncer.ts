import { ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withClient } from './test-database';

export interface PgBouncer {
  // The server URL through the pooler (no database): the same user and password as the server's.
  serverUrl: string;
  stop(): Promise<void>;
}

// A PgBouncer of this run's own in transaction mode, as large deployments run it: on loopback, in
// front of `serverUrl`, with every database of that server behind it, its files in `dir`. `binary` is
// the one test/global-setup.ts found (test/support/requirements.ts).
export async function startPgBouncer(binary: string, serverUrl: string, dir: string, port: number): Promise<PgBouncer> {
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  await mkdir(dir, { recursive: true });
  const users = join(dir, 'users.txt');
  // Trust from its clients on loopback; the password is what PgBouncer gives the server.
  await writeFile(users, `"${user}" "${password.replace(/"/g, '""')}"\n`, { mode: 0o644 });
  const ini = join(dir, 'pgbouncer.ini');
  await writeFile(
    ini,
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${users}`,
      'pool_mode = transaction',
      'max_client_conn = 2000',
      // Per database (each spec file has its own): the server's connections are shared with others.
      'default_pool_size = 10',
      'server_idle_timeout = 5',
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root; it can switch to another user itself.
  const asUser = process.getuid?.() === 0 ? ['-u', process.env.PGBOUNCER_USER ?? 'postgres'] : [];
  const log = openSync(join(dir, 'pgbouncer.log'), 'a');
  const child = spawn(binary, [...asUser, ini], { stdio: ['ignore', log, log] });
  // A binary that cannot start emits 'error' and never 'exit'.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  // Not outliving a test process that ends without its teardown.
  const orphaned = () => child.kill('SIGTERM');
  process.once('exit', orphaned);

  const pooled = new URL(serverUrl);
  pooled.hostname = '127.0.0.1';
  pooled.port = String(port);
  const serverUrlThrough = pooled.toString();
  try {
    await waitUntilAnswering(serverUrlThrough, child, dir);
  } catch (error) {
    process.off('exit', orphaned);
    throw error;
  }
  return {
    serverUrl: serverUrlThrough,
    stop: async () => {
      process.off('exit', orphaned);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilAnswering(url: string, child: ChildProcess, dir: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.pid === undefined) throw new Error(`${child.spawnfile} could not start`);
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}: see ${join(dir, 'pgbouncer.log')}`);
    try {
      await withClient(url, (client) => client.query('SELECT 1'));
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  child.kill('SIGTERM');
  throw new Error(`pgbouncer did not answer on ${new URL(url).host}: see ${join(dir, 'pgbouncer.log')}`);
}
