#!/usr/bin/env node
// `npm start`, `npm run cli` and `npm run build` come through here:
//   node scripts/launch.mjs build [--if-stale]   compiles dist/ (always, or only when out of date)
//   node scripts/launch.mjs start                 the service, built first only if out of date
//   node scripts/launch.mjs cli <command> …       the CLI, the same
// dist/ is out of date when a source under apps/, libs/ or migrations/ (specs aside), a tsconfig*.json,
// nest-cli.json or package-lock.json is newer than the start of the last successful build. The service
// and the CLI then run in this same process: the signals npm forwards reach the service itself.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const ENTRIES = {
  start: path.join(DIST, 'apps/api/apps/api/src/main.js'),
  cli: path.join(DIST, 'apps/api/apps/api/src/cli.js'),
};
const STAMP = path.join(DIST, '.build-stamp');
const LOCK = path.join(DIST, '.build-lock');
const SOURCE_DIRS = ['apps', 'libs', 'migrations'];
const ROOT_INPUTS = /^(tsconfig.*\.json|nest-cli\.json|package-lock\.json)$/;
const NEST = path.join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js');
const SIGNALS = ['SIGINT', 'SIGTERM'];

// The newest modification time among the build's inputs (unit specs are not compiled).
function newestInput() {
  let newest = 0;
  const visit = (file) => {
    const stat = statSync(file);
    if (stat.isDirectory()) {
      for (const name of readdirSync(file)) visit(path.join(file, name));
    } else if (!file.endsWith('.spec.ts')) {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const dir of SOURCE_DIRS) visit(path.join(ROOT, dir));
  for (const name of readdirSync(ROOT)) if (ROOT_INPUTS.test(name)) visit(path.join(ROOT, name));
  return newest;
}

function isStale() {
  if (!Object.values(ENTRIES).every((entry) => existsSync(entry))) return true;
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return true;
  }
  return !(typeof stamp.startedAt === 'number' && newestInput() <= stamp.startedAt);
}

// One build at a time per checkout (two `npm run cli` at once on a stale dist/): the lock holds the
// builder's pid, and a lock whose builder is gone is taken over.
async function withBuildLock(work) {
  mkdirSync(DIST, { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      if (!isAlive(readLockHolder())) rmSync(LOCK, { recursive: true, force: true });
      else await sleep(250);
    }
  }
  try {
    writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
    return await work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function readLockHolder() {
  try {
    return Number(readFileSync(path.join(LOCK, 'pid'), 'utf8'));
  } catch {
    return NaN; // just created, pid not written yet: treated as alive below
  }
}

function isAlive(pid) {
  if (Number.isNaN(pid)) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

// `nest build api`, its output on stderr (the CLI's stdout carries only its answer). A signal
// meanwhile stops the compiler, and this process then ends by the same signal.
async function build({ ifStale }) {
  return withBuildLock(async () => {
    if (ifStale && !isStale()) return;
    process.stderr.write(ifStale ? 'dist/ is out of date: building (nest build api)…\n' : 'building (nest build api)…\n');
    const startedAt = Date.now();
    rmSync(STAMP, { force: true });
    const child = spawn(process.execPath, [NEST, 'build', 'api'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
    const forward = (signal) => child.kill(signal);
    for (const signal of SIGNALS) process.on(signal, forward);
    const [code, signal] = await new Promise((resolve) => child.on('exit', (...result) => resolve(result)));
    for (const each of SIGNALS) process.removeListener(each, forward);
    if (signal) {
      rmSync(LOCK, { recursive: true, force: true });
      process.kill(process.pid, signal);
      await sleep(1000);
    }
    if (code !== 0) throw new BuildFailed(code ?? 1);
    writeFileSync(STAMP, `${JSON.stringify({ startedAt, node: process.version })}\n`);
    process.stderr.write(`built in ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`);
  });
}

class BuildFailed extends Error {
  constructor(code) {
    super(`the build failed (exit ${code})`);
    this.code = code;
  }
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'build') return build({ ifStale: args.includes('--if-stale') });
  const entry = ENTRIES[command];
  if (!entry) {
    process.stderr.write('usage: node scripts/launch.mjs build [--if-stale] | start | cli <command> [options]\n');
    process.exit(2);
  }
  if (isStale()) await build({ ifStale: true });
  // The entry reads its own arguments from process.argv, as if run as `node <entry> …`.
  process.argv = [process.argv[0], entry, ...args];
  createRequire(import.meta.url)(entry);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof BuildFailed ? error.message : (error?.stack ?? String(error))}\n`);
  process.exit(error instanceof BuildFailed ? error.code : 1);
});
