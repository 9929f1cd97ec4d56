import { ChildProcess, execFile, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, freePort, ROOT, ServiceProcess as Service, startService } from './support/service-process';
import { createTestDatabaseEnv } from './support/test-app';
import { itWithOwnProcesses } from './support/passes';

const run = promisify(execFile);

// Sends half a request body, signals the service, then sends the rest: the request is in flight
// when the signal arrives.
function requestAcrossSignal(service: Service, key: string, body: string): Promise<{ status: number; body: string }> {
  const url = new URL('/desk/api/v2/conversations.json', service.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.write(body.slice(0, 10));
    setTimeout(() => {
      service.child.kill('SIGTERM');
      setTimeout(() => req.end(body.slice(10)), 300);
    }, 200);
  });
}

async function cli(env: Record<string, string>, ...args: string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, [CLI, ...args], { cwd: ROOT, env: { PATH: process.env.PATH, ...env } });
  return stdout.trimEnd().split('\n');
}

describe('The service and CLI processes', () => {
  itWithOwnProcesses('should finish an in-flight request on SIGTERM, refuse new ones, and exit 0', async () => {
    const databaseEnv = await createTestDatabaseEnv();
    const key = (await cli(databaseEnv, 'bootstrap', '--tenant', 'Proc', '--email', 'p@proc.test')).at(-1)!;
    expect(key).toMatch(/^hdk_/);
    const service = await startService(databaseEnv);

    const body = JSON.stringify({ contact: { type: 'email', value: 'inflight@proc.test' } });
    const response = requestAcrossSignal(service, key, body);

    const done = await response;
    expect(done.status).toBe(201);
    expect(JSON.parse(done.body).conversation.contact.value).toBe('inflight@proc.test');
    await expect(fetch(new URL('/health', service.url))).rejects.toThrow();
    expect(await service.exited).toBe(0);
    expect(service.output()).toContain('shut down cleanly');
    expect(service.output()).not.toContain(key);
  });

  itWithOwnProcesses('should run on the embedded PostgreSQL with no DATABASE_URL, and the CLI should work beside it and without it', async () => {
    await mkdir(join(ROOT, '.data'), { recursive: true });
    const dir = await mkdtemp(join(ROOT, '.data', 'embedded-e2e-'));
    const env = { EMBEDDED_PG_DIR: dir, EMBEDDED_PG_PORT: String(await freePort()) };
    try {
      const service = await startService(env);
      expect(service.output()).toContain('DATABASE_URL is not set: using the embedded PostgreSQL');
      // The CLI joins the running embedded server.
      const key = (await cli(env, 'bootstrap', '--tenant', 'Embedded', '--email', 'e@embedded.test')).at(-1)!;
      const created = await fetch(new URL('/desk/api/v2/conversations.json', service.url), {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ contact: { type: 'email', value: 'c@embedded.test' } }),
      });
      expect(created.status).toBe(201);
      // The embedded database stays up until the in-flight request is answered.
      const inFlight = await requestAcrossSignal(service, key, JSON.stringify({ contact: { type: 'email', value: 'late@embedded.test' } }));
      expect(inFlight.status).toBe(201);
      expect(await service.exited).toBe(0);
      expect(service.output()).toContain('embedded PostgreSQL stopped');

      // With the service stopped, the CLI starts the embedded server itself, and the data is still there.
      const listed = await cli(env, 'list-keys', '--email', 'e@embedded.test');
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatch(/^\d+\tactive\t/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// Processes by /proc (no ps on a bare machine): pid, state, parent, process group, command line.
interface ProcessEntry {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  cmdline: string;
}

function processes(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Fields after the parenthesised command name: state, ppid, pgrp, …
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      entries.push({ pid: Number(name), state, ppid: Number(ppid), pgid: Number(pgid), cmdline });
    } catch {
      // Gone meanwhile.
    }
  }
  return entries;
}

// What still runs of `npm start`'s tree (its process group, a zombie aside) or of its data directory.
function leftOf(pgid: number, dataDir: string): ProcessEntry[] {
  return processes().filter((p) => p.state !== 'Z' && (p.pgid === pgid || p.cmdline.includes(dataDir)));
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

interface NpmStart {
  npm: ChildProcess;
  node: ProcessEntry;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

// `npm start` as a person or a process manager runs it: the README's command, in a process group
// of its own (as a terminal's foreground job), on the embedded default in `env`'s data directory.
async function npmStart(env: Record<string, string>): Promise<NpmStart> {
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  npm.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    npm.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${env.PORT}`;
  const up = await waitUntil(async () => (await fetch(`${url}/health`).catch(() => null))?.status === 200, 30_000);
  if (!up) {
    process.kill(-npm.pid!, 'SIGKILL');
    throw new Error(`npm start did not answer /health:\n${output}`);
  }
  const node = processes().find((p) => p.ppid === npm.pid && p.state !== 'Z' && p.cmdline.includes('launch.mjs'));
  if (!node) throw new Error(`no node process under npm ${npm.pid}:\n${output}`);
  return { npm, node, url, output: () => output, exited };
}

describe('npm start under a process manager or a terminal', () => {
  let dir: string;
  let env: Record<string, string>;
  let group: number | undefined;

  beforeEach(async () => {
    await mkdir(join(ROOT, '.data'), { recursive: true });
    dir = await mkdtemp(join(ROOT, '.data', 'npm-start-e2e-'));
    const pgPort = await freePort();
    let port = await freePort();
    while (port === pgPort) port = await freePort();
    env = { EMBEDDED_PG_DIR: dir, EMBEDDED_PG_PORT: String(pgPort), PORT: String(port) };
  });
  afterEach(async () => {
    // Whatever a failed case left behind: its process group, and its data directory's server.
    for (const p of leftOf(group ?? -1, dir)) process.kill(p.pid, 'SIGKILL');
    group = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['SIGTERM to npm alone (a process manager)', (s: NpmStart) => process.kill(s.npm.pid!, 'SIGTERM')],
    ['SIGTERM to the node process alone', (s: NpmStart) => process.kill(s.node.pid, 'SIGTERM')],
    ['SIGINT to the whole process group (Ctrl-C)', (s: NpmStart) => process.kill(-s.npm.pid!, 'SIGINT')],
  ])('should stop the service and its embedded PostgreSQL on %s, leave nothing running, and exit 0', async (_case, signal) => {
    const started = await npmStart(env);
    group = started.npm.pid;
    // Run straight from the current build: npm's one child is the service itself (no shell between).
    expect(started.output()).not.toContain('out of date');
    expect(started.node.cmdline).toMatch(/^(\S*\/)?node (--\S+ )*scripts\/launch\.mjs start $/);
    expect(await portOpen(Number(env.EMBEDDED_PG_PORT))).toBe(true);
    const tree = leftOf(started.npm.pid!, dir);
    expect(tree.some((p) => p.cmdline.includes(`-D ${dir}`))).toBe(true);

    const signalledAt = Date.now();
    signal(started);
    const gone = await waitUntil(async () => leftOf(started.npm.pid!, dir).length === 0 && !(await portOpen(Number(env.EMBEDDED_PG_PORT))), 10_000);
    const stoppedIn = Date.now() - signalledAt;
    if (!gone) process.stderr.write(`npm start's output:\n${started.output()}\n`);

    expect({ gone, left: leftOf(started.npm.pid!, dir).map((p) => p.cmdline) }).toEqual({ gone: true, left: [] });
    expect(stoppedIn).toBeLessThan(10_000);
    expect(await started.exited).toEqual({ code: 0, signal: null });
    expect(started.output()).toContain('shut down cleanly');
    expect(started.output()).toContain('embedded PostgreSQL stopped');
  }, 60_000);

  itWithOwnProcesses('should serve the CLI through npm beside a running npm start, and without it', async () => {
    const npmCli = (...args: string[]) =>
      run('npm', ['run', '-s', 'cli', '--', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    const started = await npmStart(env);
    group = started.npm.pid;
    const bootstrap = await npmCli('bootstrap', '--tenant', 'Npm', '--email', 'n@npm.test');
    const key = bootstrap.stdout.trimEnd().split('\n').at(-1)!;
    expect(bootstrap.stderr).toContain('already running');
    const listed = await fetch(`${started.url}/desk/api/v2/conversations.json`, { headers: { Authorization: `Bearer ${key}` } });
    expect(listed.status).toBe(200);
    process.kill(started.npm.pid!, 'SIGTERM');
    expect(await started.exited).toEqual({ code: 0, signal: null });

    const alone = await npmCli('list-keys', '--email', 'n@npm.test');
    expect(alone.stdout).toMatch(/^\d+\tactive\t\S+\t(never used|\S+)\tbootstrap\n$/);
    expect(alone.stderr).toContain('embedded PostgreSQL stopped');
    expect(leftOf(-1, dir)).toEqual([]);
    // A usage error is answered before any database server starts.
    const refused = await npmCli('list-keys', '--bogus').catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringContaining("Unknown option '--bogus'") });
    expect((refused as { stderr: string }).stderr).not.toContain('PostgreSQL');
  }, 60_000);
});
