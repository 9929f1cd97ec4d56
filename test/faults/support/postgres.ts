import { ChildProcess, execFile, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort, ROOT } from '../../support/service-process';

const run = promisify(execFile);

// One scenario's own PostgreSQL: the embedded server on a free loopback port, in its own data
// directory (a copy of the seeded template), so the scenario may kill it without disturbing anything.
export class FaultPostgres {
  // The process that started the server (postgres-server.mjs) and stops it on SIGTERM.
  private keeper?: ChildProcess;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly database: string,
  ) {}

  // Starts a server on `dir`, copied from `template` first when one is given.
  static async start(dir: string, database: string, template?: string): Promise<FaultPostgres> {
    if (template) await run('cp', ['-a', template, dir]);
    const server = new FaultPostgres(dir, await freePort(), database);
    await server.restart();
    return server;
  }

  get url(): string {
    return `postgres://postgres:postgres@127.0.0.1:${this.port}/${this.database}`;
  }

  // The postmaster's pid: the first line of postmaster.pid in the data directory.
  async postmasterPid(): Promise<number> {
    const pid = Number((await readFile(join(this.dir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no postmaster pid in ${this.dir}`);
    return pid;
  }

  // SIGKILL to the postmaster, as an OOM killer or a crashed host would; resolves when the port is closed.
  async kill(): Promise<void> {
    const pid = await this.postmasterPid();
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && alive(pid); i++) await delay(20);
    // Its keeper has nothing left to stop.
    this.keeper?.kill('SIGKILL');
    this.keeper = undefined;
  }

  // Starts the server again on the same port and data (crash recovery runs first). Its backends
  // leave within moments of their postmaster's death; until then a new postmaster refuses to start.
  async restart(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.keeper = await keep(this.dir, this.port);
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await delay(250);
      }
    }
  }

  async stop(remove = true): Promise<void> {
    const keeper = this.keeper;
    this.keeper = undefined;
    if (keeper && keeper.exitCode === null) {
      const exited = new Promise((resolve) => keeper.once('exit', resolve));
      keeper.kill('SIGTERM');
      await exited;
    }
    if (remove) await rm(this.dir, { recursive: true, force: true });
  }
}

// Starts the keeper process and resolves once its server answers.
function keep(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'test/faults/support/postgres-server.mjs'), dir, String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready\n')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL in ${dir} did not start (exit ${code}):\n${output}`)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
