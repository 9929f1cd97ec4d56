import { readFileSync } from 'node:fs';

// How the docs state what an API call answers, and how a block is left out of the run:
//
//   curl -s -X POST $BASE/conversations.json …
//   # => 201 {"conversation": {"id": …, "state": "active"}}
//
// `# =>` follows the curl command it describes: the status, then optionally JSON that the body must
// contain (objects as a subset; `…` for any value, `…` as an array's last item for "and more", `…`
// inside a string for any text). The JSON may continue on the next comment lines.
//
//   <!-- test:docs skip: why -->
//   ```bash
//
// on the line before a shell block's fence leaves the block out (install, start, npm test).
export const ANSWER = /^\s*# => (\d{3})\b\s*(.*)$/;
export const SKIP = /^<!-- test:docs skip: (.+?) -->$/;
const SHELL_FENCE = /^```(bash|sh|shell)\s*$/;

export interface Expectation {
  file: string;
  // 1-based line of the `# =>` comment, and of the command it describes.
  line: number;
  commandLine: number;
  status: number;
  json: string | null;
}

export interface ShellBlock {
  file: string;
  // 1-based line of the block's first line of code.
  line: number;
  lines: string[];
  skipped: string | null;
}

export function readShellBlocks(path: string, file: string): ShellBlock[] {
  const text = readFileSync(path, 'utf8').split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < text.length; i++) {
    if (!SHELL_FENCE.test(text[i])) continue;
    const skipped = SKIP.exec(text[i - 1] ?? '')?.[1] ?? null;
    const start = i + 1;
    let end = start;
    while (end < text.length && !text[end].startsWith('```')) end++;
    blocks.push({ file, line: start + 1, lines: text.slice(start, end), skipped });
    i = end;
  }
  return blocks;
}

// The answer a block states after line `index`, with the comment lines its JSON continues on.
export function readAnswer(block: ShellBlock, index: number): { expectation: Expectation; last: number } | null {
  const match = ANSWER.exec(block.lines[index]);
  if (!match) return null;
  let json = match[2].trim();
  let last = index;
  while (json && !parsesAsAnswer(json) && /^\s*#/.test(block.lines[last + 1] ?? '') && !ANSWER.test(block.lines[last + 1])) {
    last++;
    json += ` ${block.lines[last].replace(/^\s*#/, '').trim()}`;
  }
  const commandLine = findCommand(block, index);
  return {
    expectation: { file: block.file, line: block.line + index, commandLine: block.line + commandLine, status: Number(match[1]), json: json || null },
    last,
  };
}

// The line of the curl command an answer describes: the nearest line above that names curl.
function findCommand(block: ShellBlock, index: number): number {
  for (let i = index - 1; i >= 0; i--) if (/\bcurl\b/.test(block.lines[i]) && !/^\s*#/.test(block.lines[i])) return i;
  return index;
}

function parsesAsAnswer(json: string): boolean {
  try {
    parseAnswer(json);
    return true;
  } catch {
    return false;
  }
}

// Sentinels for `…`: any value, and "more items may follow" at an array's end.
export const ANY = '\u0000any';
export const MORE = '\u0000more';

// The stated JSON with its `…` turned into sentinels, outside strings only.
export function parseAnswer(json: string): unknown {
  const parts = json.split(/("(?:[^"\\]|\\.)*")/);
  const rewritten = parts
    .map((part, i) => {
      if (i % 2 === 1) return part;
      return part
        .replace(/,\s*…\s*}/g, '}')
        .replace(/{\s*…\s*}/g, '{}')
        .replace(/,\s*…\s*]/g, `, "${MORE}"]`)
        .replace(/\[\s*…\s*]/g, `["${MORE}"]`)
        .replace(/…/g, `"${ANY}"`);
    })
    .join('');
  return JSON.parse(rewritten.split('\u0000').join('\\u0000'));
}

// Where `actual` differs from `expected` (a parsed answer), as a path and a reason; null when it fits.
export function mismatch(expected: unknown, actual: unknown, path = '$'): string | null {
  if (expected === ANY) return null;
  if (typeof expected === 'string' && expected.includes('…')) {
    const pattern = new RegExp(`^${expected.split('…').map(escapeRegExp).join('[\\s\\S]*')}$`);
    return typeof actual === 'string' && pattern.test(actual) ? null : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
  }
  if (Array.isArray(expected)) return arrayMismatch(expected, actual, path);
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      if (!(key in actual)) return `${path}.${key}: missing`;
      const problem = mismatch(value, (actual as Record<string, unknown>)[key], `${path}.${key}`);
      if (problem) return problem;
    }
    return null;
  }
  return Object.is(expected, actual) ? null : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

function arrayMismatch(expected: unknown[], actual: unknown, path: string): string | null {
  if (!Array.isArray(actual)) return `${path}: expected an array, got ${JSON.stringify(actual)}`;
  const open = expected[expected.length - 1] === MORE;
  const items = open ? expected.slice(0, -1) : expected;
  if (open ? actual.length < items.length : actual.length !== items.length) {
    return `${path}: expected ${open ? 'at least ' : ''}${items.length} items, got ${actual.length}`;
  }
  for (let i = 0; i < items.length; i++) {
    const problem = mismatch(items[i], actual[i], `${path}[${i}]`);
    if (problem) return problem;
  }
  return null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
