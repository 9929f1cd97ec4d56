import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FakePusher, startFakePusher } from '../support/pusher-server';
import { freePort, MAIN, ROOT } from '../support/service-process';
import { readShellBlocks, ShellBlock } from './doc-blocks';
import { buildScript, runScript } from './doc-script';

const run = promisify(execFile);

// README first, then the docs in the order a reader meets them.
const DOCS = ['README.md', 'docs/api.md', 'docs/operations.md', 'docs/testing.md'];

// The Pusher credentials the docs export (docs/api.md, "Pusher"): the fake Pusher takes the same.
const PUSHER = { appId: 'my-app', key: 'my-key', secret: 'my-secret' };

interface Service {
  stop(): Promise<void>;
}

// The production build on the embedded default, as `npm start` runs it, answering /health.
async function startService(env: Record<string, string>, port: number): Promise<Service> {
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timeout);
  };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((res) => res.ok, () => false);
    if (ok) return { stop };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`the service did not answer /health within 90 s:\n${output}`);
}

// An embedded PostgreSQL left behind by a service that had to be killed.
async function stopOrphanPostgres(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && existsSync(pidFile); i++) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('The examples of README.md and docs/', () => {
  let work: string;
  let pgDir: string;
  let pusher: FakePusher;
  let service: Service | null = null;
  let blocks: ShellBlock[];
  let env: Record<string, string>;
  let port: number;

  beforeAll(async () => {
    blocks = DOCS.flatMap((file) => readShellBlocks(join(ROOT, file), file));
    await run(process.execPath, ['scripts/launch.mjs', 'build', '--if-stale'], { cwd: ROOT });
    work = await mkdtemp(join(tmpdir(), 'helpdesk-docs-'));
    // A fresh data directory where the embedded PostgreSQL's own user can reach it (as npm start's).
    await mkdir(join(ROOT, '.data'), { recursive: true });
    pgDir = await mkdtemp(join(ROOT, '.data', 'docs-postgres-'));
    pusher = await startFakePusher(PUSHER);
    port = await freePort();
    env = {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? work,
      LANG: 'C.UTF-8',
      EMBEDDED_PG_DIR: pgDir,
      EMBEDDED_PG_PORT: String(await freePort()),
    };
    service = await startService(
      // The webhook examples name receivers on loopback, which only an allowlist lets through.
      { ...env, ...pusher.env(), PORT: String(port), LOG_LEVEL: 'warn', FILES_DIR: join(work, 'files'), WEBHOOK_ALLOWED_HOSTS: 'localhost', WEBHOOK_ALLOW_HTTP: 'true' },
      port,
    );
  }, 180_000);

  afterAll(async () => {
    await service?.stop();
    if (pgDir) await stopOrphanPostgres(pgDir);
    await pusher?.close();
    for (const dir of [work, pgDir]) if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('should answer every API call as the docs say when their shell blocks run in order', async () => {
    const skipped = blocks.filter((block) => block.skipped);
    for (const block of skipped) process.stdout.write(`test:docs skipped ${block.file}:${block.line} (${block.skipped})\n`);
    const script = buildScript(blocks, port);
    const started = Date.now();
    const problems = await runScript(script, join(work, 'shell'), { ...env, PUSHER_KEY: PUSHER.key, PUSHER_SECRET: PUSHER.secret, PUSHER_APP_ID: PUSHER.appId });
    const answered = script.expectations.filter(Boolean).length;
    process.stdout.write(`test:docs ran ${answered} stated answers from ${blocks.length - skipped.length} blocks in ${Date.now() - started} ms\n`);
    expect(problems).toEqual([]);
  }, 600_000);
});
