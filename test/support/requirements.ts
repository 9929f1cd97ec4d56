import { accessSync, appendFileSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { answersPing, startRedisServer, TestRedis } from './test-redis';

// Beyond Node and PostgreSQL (the embedded one when none is given), a few suites need a tool the
// machine may lack. test/global-setup.ts looks for each once a run; a suite that needs a missing one
// is skipped (describeWith), and the run's end names it in one line (test/global-teardown.ts).
// TEST_REQUIRE_ALL=1 (CI) turns each such skip into a failing test.
export type Tool = 'pgbouncer' | 'redis' | 'redis-server';

// What each tool is found as: PgBouncer's and redis-server's binaries, Redis's URL.
export interface Tools {
  found: Partial<Record<Tool, string>>;
  // Why a tool is missing, for the run's last line.
  missing: Partial<Record<Tool, string>>;
}

// The Debian package to install for each.
const PACKAGE: Record<Tool, string> = { pgbouncer: 'pgbouncer', redis: 'redis-server', 'redis-server': 'redis-server' };

export const requireAll = () => process.env.TEST_REQUIRE_ALL === '1';

export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

// PGBOUNCER_BIN, else pgbouncer on PATH (Debian puts it in /usr/sbin, on root's PATH only).
export function findPgBouncer(): { binary: string } | { missing: string } {
  const given = process.env.PGBOUNCER_BIN;
  if (given) return isExecutable(given) ? { binary: given } : { missing: `PGBOUNCER_BIN=${given} is not an executable file` };
  const binary = findOnPath('pgbouncer');
  return binary ? { binary } : { missing: 'not on PATH, PGBOUNCER_BIN unset' };
}

// Looked for once a run, in global setup. A throwaway redis-server it starts is stopped by `stop`.
export async function findTools(redisPort: number): Promise<Tools & { redis?: TestRedis }> {
  const tools: Tools = { found: {}, missing: {} };
  const pgbouncer = findPgBouncer();
  if ('missing' in pgbouncer) tools.missing.pgbouncer = pgbouncer.missing;
  else tools.found.pgbouncer = pgbouncer.binary;

  if (process.env.TEST_REDIS_URL === 'off') {
    // As on a machine with no Redis at all: no probe of 6379, no redis-server.
    tools.missing.redis = tools.missing['redis-server'] = 'TEST_REDIS_URL=off';
    return tools;
  }
  const redisServer = findOnPath('redis-server');
  if (redisServer) tools.found['redis-server'] = redisServer;
  else tools.missing['redis-server'] = 'not on PATH';
  const redis = await findRedis(redisServer, redisPort);
  if ('url' in redis) tools.found.redis = redis.url;
  else tools.missing.redis = redis.missing;
  return { ...tools, redis: 'url' in redis ? redis : undefined };
}

// TEST_REDIS_URL, else the machine's on 6379, else a redis-server of this run's own.
async function findRedis(redisServer: string | undefined, port: number): Promise<TestRedis | { missing: string }> {
  if (process.env.TEST_REDIS_URL) return { url: process.env.TEST_REDIS_URL, stop: async () => undefined };
  if (await answersPing(6379)) return { url: 'redis://127.0.0.1:6379', stop: async () => undefined };
  if (!redisServer) return { missing: 'nothing answers on 127.0.0.1:6379 and no redis-server on PATH' };
  try {
    return await startRedisServer(redisServer, port);
  } catch (error) {
    return { missing: (error as Error).message };
  }
}

// Global setup hands what it found to the test files through the environment.
export function publishTools(tools: Tools): void {
  process.env.TEST_TOOLS = JSON.stringify({ found: tools.found, missing: tools.missing });
}

function publishedTools(): Tools {
  if (!process.env.TEST_TOOLS) throw new Error('run the tests through jest: test/global-setup.ts looks for the tools');
  return JSON.parse(process.env.TEST_TOOLS) as Tools;
}

// A tool a suite declared with describeWith: the binary's path, or Redis's URL.
export function tool(name: Tool): string {
  const found = publishedTools().found[name];
  if (!found) throw new Error(`${name} is missing: declare it with describeWith`);
  return found;
}

// describe, when every tool the suite needs was found; else skipped (under TEST_REQUIRE_ALL=1, one
// failing test), and recorded for the run's last line.
export function describeWith(needs: Tool | Tool[], name: string, suite: () => void): void {
  const { missing } = publishedTools();
  const lacking = [needs].flat().filter((need) => missing[need] !== undefined);
  if (lacking.length === 0) {
    describe(name, suite);
    return;
  }
  recordSkip({ file: relative(process.cwd(), expect.getState().testPath ?? '?'), suite: name, lacking, failed: requireAll() });
  if (!requireAll()) {
    describe.skip(name, suite);
    return;
  }
  describe(name, () => {
    it(`should find ${lacking.join(' and ')} (TEST_REQUIRE_ALL=1)`, () => {
      throw new Error(`${lacking.map((need) => `${need}: ${missing[need]}`).join('; ')}. ${installHint(lacking, 'this suite')}`);
    });
  });
}

interface Skip {
  file: string;
  suite: string;
  lacking: Tool[];
  failed: boolean;
}

const skipsDir = () => join(process.env.TEST_RUN_DIR ?? '.data', 'skipped-suites');

function recordSkip(skip: Skip): void {
  mkdirSync(skipsDir(), { recursive: true });
  appendFileSync(join(skipsDir(), `${process.pid}.jsonl`), `${JSON.stringify(skip)}\n`);
}

function installHint(lacking: Tool[], them = 'them'): string {
  return `Install Debian's ${[...new Set(lacking.map((need) => PACKAGE[need]))].join(' and ')} to run ${them}.`;
}

// The run's last line, or nothing when every suite ran. Read in global teardown before the run's
// directory goes.
export function skippedSuitesLine(): string | undefined {
  if (!existsSync(skipsDir())) return undefined;
  const skips: Skip[] = readdirSync(skipsDir()).flatMap((name) =>
    readFileSync(join(skipsDir(), name), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Skip),
  );
  if (skips.length === 0) return undefined;
  const lacking = [...new Set(skips.flatMap((skip) => skip.lacking))].sort();
  const verb = skips.some((skip) => skip.failed) ? 'Failed (TEST_REQUIRE_ALL=1)' : 'Skipped';
  return `${verb} for want of ${wants(lacking)}: ${suitesByFile(skips)}. ${installHint(lacking)}`;
}

// "pgbouncer (why), redis and redis-server (why)": tools missing for one reason named together.
function wants(lacking: Tool[]): string {
  const { missing } = publishedTools();
  const byReason = new Map<string, Tool[]>();
  for (const need of lacking) byReason.set(missing[need] ?? '?', [...(byReason.get(missing[need] ?? '?') ?? []), need]);
  return [...byReason].map(([why, tools]) => `${tools.join(' and ')} (${why})`).join(', ');
}

function suitesByFile(skips: Skip[]): string {
  const byFile = new Map<string, string[]>();
  for (const skip of skips) byFile.set(skip.file, [...(byFile.get(skip.file) ?? []), `"${skip.suite}"`]);
  return [...byFile]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, suites]) => `${file} (${suites.sort().join(', ')})`)
    .join(', ');
}
