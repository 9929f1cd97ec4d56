// The service under test, run as it runs in production: its own `node` process on the compiled
// dist/, configured through the environment only.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { setInterval, clearInterval } from 'node:timers';
import { URL } from 'node:url';
import { note, request, sleep, waitFor } from './util.mjs';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
export const MAIN_JS = 'dist/apps/api/apps/api/src/main.js';
// The node flags the service runs with in production (package.json's start and start:prod, the
// Dockerfile): Node 24 sizes V8's young generation from the machine's memory, about 100 MB more RSS
// on this machine than a 16 MB semi-space, for no measured gain.
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=16'];
export const CLI_JS = 'dist/apps/api/apps/api/src/cli.js';

// Every variable the service reads (README, Configuration): none leaks in from the caller's shell.
const SERVICE_VARIABLES =
  /^(PORT|HOST|DATABASE_URL|DATABASE_POOL_SIZE|MIGRATIONS_RUN|LOG_LEVEL|EMBEDDED_PG_.*|PUSHER_.*|IDEMPOTENCY_.*|HL_RATE_LIMIT_.*|DESK_RATE_LIMIT_.*|REDIS_.*|METRICS_TOKEN|CORS_ORIGINS|HTTP_.*|FILTER_.*|FILES_.*|FILE_STORAGE_DRIVER|TEST_DATABASE_URL)$/;

export function cleanEnv(overrides) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) if (!SERVICE_VARIABLES.test(key)) env[key] = value;
  return { ...env, ...overrides };
}

// Runs a command to completion, its output kept and shown only when it fails.
export function runCommand(command, args, { env = process.env, cwd = ROOT, label = command } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const text = Buffer.concat(output).toString('utf8');
      if (code === 0) resolve(text);
      else reject(new Error(`${label} failed (${signal ?? `exit ${code}`}):\n${text.slice(-4000)}`));
    });
  });
}

export async function build() {
  const started = Date.now();
  note('building the service (npm run -s build)…');
  await runCommand('npm', ['run', '-s', 'build'], { label: 'npm run -s build' });
  note(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// A node process of ours (the service or the floor): its output kept in a ring for diagnosis, its
// exit noticed, stopped with SIGTERM and, past a deadline, SIGKILL.
export class ChildProcess {
  constructor(name, args, env, { preload } = {}) {
    this.name = name;
    this.log = [];
    this.exited = null;
    const nodeArgs = preload ? ['--import', preload, ...args] : args;
    this.child = spawn(process.execPath, nodeArgs, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.pid = this.child.pid;
    const keep = (chunk) => {
      this.log.push(chunk.toString('utf8'));
      if (this.log.length > 200) this.log.splice(0, this.log.length - 200);
    };
    this.child.stdout.on('data', keep);
    this.child.stderr.on('data', keep);
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve(this.exited);
      });
    });
  }

  tail(lines = 30) {
    return this.log.join('').split('\n').slice(-lines).join('\n');
  }

  async stop(deadlineMs = 15_000) {
    if (this.exited) return this.exited;
    this.child.kill('SIGTERM');
    const timer = sleep(deadlineMs).then(() => 'timeout');
    if ((await Promise.race([this.exitPromise, timer])) === 'timeout') {
      note(`${this.name} (pid ${this.pid}) did not stop in ${deadlineMs} ms: SIGKILL`);
      this.child.kill('SIGKILL');
      await this.exitPromise;
    }
    return this.exited;
  }

  // Synchronous last resort (process exit handlers cannot wait).
  killNow() {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

export async function waitReady(child, baseUrl, readyPath, timeoutMs = 90_000) {
  await waitFor(
    `${child.name} at ${baseUrl}${readyPath}`,
    async () => {
      if (child.exited) throw new Error(`${child.name} exited (${JSON.stringify(child.exited)}):\n${child.tail()}`);
      const res = await request(baseUrl, { path: readyPath });
      return res.status === 200;
    },
    { timeoutMs, intervalMs: 150 },
  ).catch((error) => {
    if (child.exited) throw error;
    throw new Error(`${error.message}\n--- ${child.name} output ---\n${child.tail()}`);
  });
}

// The process's resident set (VmRSS) in bytes, or null once it is gone.
export function readRss(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

// Samples a process's RSS every `intervalMs`: the peak over the whole run, and over windows the
// scenarios open around their service phases.
export class RssSampler {
  constructor(pid, intervalMs = 100) {
    this.pid = pid;
    this.peak = 0;
    this.samples = 0;
    this.window = null;
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.sample();
  }

  sample() {
    const rss = readRss(this.pid);
    if (rss === null) return;
    this.samples++;
    this.last = rss;
    if (rss > this.peak) this.peak = rss;
    if (this.window && rss > this.window.peak) this.window.peak = rss;
  }

  startWindow() {
    this.window = { peak: 0 };
    this.sample();
  }

  endWindow() {
    this.sample();
    const peak = this.window?.peak ?? 0;
    this.window = null;
    return peak;
  }

  stop() {
    clearInterval(this.timer);
  }
}
