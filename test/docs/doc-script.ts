import { Expectation, readAnswer, ShellBlock } from './doc-blocks';

// One bash script from the docs' shell blocks, in order: each line as written, `# =>` answers
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
