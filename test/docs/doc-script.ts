import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../support/service-process';
import { Expectation, mismatch, parseAnswer, readAnswer, ShellBlock } from './doc-blocks';

// One bash script from the docs' shell blocks (but those marked skipped), in order: each line as written, `# =>` answers
// replaced by a check point, and the location of each command recorded so a failure names it.
export interface DocScript {
  text: string;
  // Check point n is expectations[n]; a null expectation is a block's end (no curl may be unanswered).
  expectations: (Expectation | null)[];
  // Where each block ends, for the check points that are not answers.
  blockEnds: { file: string; line: number }[];
}

// The shell functions every block runs with: `curl` keeps each call's headers and body, as it shows it.
const PRELUDE = String.raw`set -euo pipefail
: > "$__dir/calls"
__seen=0
__loc='(start)'
__at() { __loc="$1:$2"; }
trap 'printf "%s\n" "$__loc" > "$__dir/failed-at"' ERR
curl() {
  local h b rc
  h=$(mktemp "$__dir/h.XXXXXX")
  b=$(mktemp "$__dir/b.XXXXXX")
  { command curl -D "$h" "$@"; echo $? > "$h.rc"; } | tee "$b"
  rc=$(cat "$h.rc")
  printf '%s\t%s\t%s\n' "$rc" "$h" "$b" >> "$__dir/calls"
  return "$rc"
}
npm() { command npm --prefix "$__root" "$@"; }
__check() {
  local total
  total=$(wc -l < "$__dir/calls")
  printf '%s\t%s\t%s\n' "$1" "$((total - __seen))" "$(tail -n 1 "$__dir/calls")" >> "$__dir/checks"
  __seen=$total
}
`;

export function buildScript(blocks: ShellBlock[], port: number): DocScript {
  const expectations: (Expectation | null)[] = [];
  const blockEnds: { file: string; line: number }[] = [];
  const out: string[] = [PRELUDE];
  for (const block of blocks) {
    if (block.skipped) continue;
    let quote: Quote = { state: 'none', continued: false };
    for (let i = 0; i < block.lines.length; i++) {
      const answer = readAnswer(block, i);
      if (answer) {
        out.push(`__check ${expectations.length}`);
        expectations.push(answer.expectation);
        i = answer.last;
        continue;
      }
      const line = block.lines[i].replace(/(127\.0\.0\.1|localhost):3000\b/g, `127.0.0.1:${port}`);
      if (quote.state === 'none' && !quote.continued && line.trim() && !line.trim().startsWith('#')) out.push(`__at '${block.file}' ${block.line + i}`);
      out.push(line);
      quote = scanQuotes(line, quote.state);
    }
    out.push(`__check ${expectations.length}`);
    expectations.push(null);
    blockEnds[expectations.length - 1] = { file: block.file, line: block.line + block.lines.length };
  }
  return { text: out.join('\n') + '\n', expectations, blockEnds };
}

interface Quote {
  state: 'none' | 'single' | 'double';
  // The line ends in a backslash outside quotes: the command goes on.
  continued: boolean;
}

// Whether a line leaves a quote open, so the next line is not a new command.
function scanQuotes(line: string, start: Quote['state']): Quote {
  let state = start;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (state === 'single') {
      if (c === "'") state = 'none';
    } else if (c === '\\') {
      i++;
    } else if (state === 'double') {
      if (c === '"') state = 'none';
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      break;
    } else if (c === "'") {
      state = 'single';
    } else if (c === '"') {
      state = 'double';
    }
  }
  return { state, continued: state === 'none' && line.endsWith('\\') };
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

// Runs the script in `dir` (its scratch directory) and says what went wrong: each answer that differs
// from the docs, each curl without a stated answer, and the command that failed.
export async function runScript(script: DocScript, dir: string, env: Record<string, string>): Promise<string[]> {
  const state = join(dir, 'state');
  await mkdir(state, { recursive: true });
  const path = join(dir, 'docs.sh');
  await writeFile(path, `__dir='${state}'\n__root='${ROOT}'\n${script.text}`);
  const result = await runBash(path, dir, env);
  const checks = readChecks(state);
  const problems = checks.map((check) => judge(script, check)).filter((problem): problem is string => problem !== null);
  if (result.code !== 0) {
    const failedAt = join(state, 'failed-at');
    const at = existsSync(failedAt) ? readFileSync(failedAt, 'utf8').trim() : '(unknown)';
    problems.push(`${at}: the command failed (bash exited ${result.code})\n${result.output.slice(-3000)}`);
  } else if (checks.length !== script.expectations.length) {
    problems.push(`only ${checks.length} of ${script.expectations.length} check points were reached`);
  }
  return problems;
}
