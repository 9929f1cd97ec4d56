import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FakePusher, startFakePusher } from '../support/pusher-server';
import { freePort, MAIN, ROOT } from '../support/service-process';
import { mismatch, parseAnswer, readShellBlocks, ShellBlock } from './doc-blocks';
import { buildScript, DocScript } from './doc-script';

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

function runBash(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn('bash', [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

interface Check {
  index: number;
  calls: number;
  rc: number;
  headers: string;
  body: string;
}

function readChecks(dir: string): Check[] {
  const path = join(dir, 'checks');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [index, calls, rc, headers, body] = line.split('\t');
      return { index: Number(index), calls: Number(calls), rc: Number(rc), headers, body };
    });
}

function statusOf(headersFile: string): number | null {
  const lines = readFileSync(headersFile, 'utf8').split(/\r?\n/).filter((line) => line.startsWith('HTTP/'));
  return lines.length ? Number(lines[lines.length - 1].split(' ')[1]) : null;
}

// What is wrong with one check point, or null.
function judge(script: DocScript, check: Check): string | null {
  const expected = script.expectations[check.index];
  if (!expected) {
    const end = script.blockEnds[check.index];
    return check.calls > 0 ? `${end.file}:${end.line}: ${check.calls} curl call(s) before the block's end state no answer (# => …)` : null;
  }
  const where = `${expected.file}:${expected.commandLine}`;
  if (check.calls !== 1) return `${where}: the answer on line ${expected.line} follows ${check.calls} curl calls, not one`;
  const status = statusOf(check.headers);
  if (status !== expected.status) return `${where}: answered ${status}, the docs say ${expected.status}\n  body: ${readFileSync(check.body, 'utf8').slice(0, 2000)}`;
  if (expected.json === null) return null;
  const text = readFileSync(check.body, 'utf8');
  let actual: unknown;
  try {
    actual = JSON.parse(text);
  } catch {
    return `${where}: the body is not JSON: ${text.slice(0, 500)}`;
  }
  const problem = mismatch(parseAnswer(expected.json), actual);
  return problem ? `${where}: ${problem}\n  body: ${text.slice(0, 2000)}` : null;
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
    await run('npx', ['nest', 'build', 'api'], { cwd: ROOT });
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
      { ...env, ...pusher.env(), PORT: String(port), LOG_LEVEL: 'warn', FILES_DIR: join(work, 'files') },
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
    const script = buildScript(
      blocks.filter((block) => !block.skipped),
      port,
    );
    const scriptPath = join(work, 'docs.sh');
    const shellDir = join(work, 'shell');
    await mkdir(join(shellDir, 'state'), { recursive: true });
    await writeFile(scriptPath, `__dir='${join(shellDir, 'state')}'\n__root='${ROOT}'\n${script.text}`);

    const started = Date.now();
    const result = await runBash(scriptPath, shellDir, { ...env, PUSHER_KEY: PUSHER.key, PUSHER_SECRET: PUSHER.secret, PUSHER_APP_ID: PUSHER.appId });
    const checks = readChecks(join(shellDir, 'state'));
    const problems = checks.map((check) => judge(script, check)).filter((problem): problem is string => problem !== null);
    if (result.code !== 0) {
      const failedAt = join(shellDir, 'state', 'failed-at');
      const at = existsSync(failedAt) ? readFileSync(failedAt, 'utf8').trim() : '(unknown)';
      problems.push(`${at}: the command failed (bash exited ${result.code})\n${result.output.slice(-3000)}`);
    }
    const answered = script.expectations.filter(Boolean).length;
    process.stdout.write(`test:docs ran ${answered} stated answers from ${blocks.length - skipped.length} blocks in ${Date.now() - started} ms\n`);
    expect(problems).toEqual([]);
    expect(checks).toHaveLength(script.expectations.length);
  }, 600_000);
});
