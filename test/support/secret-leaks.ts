import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// Every secret a test run hands out is written down here, and every test app logs (at debug) to a
// file of the run; after the run, test/global-teardown.ts greps the logs for the secrets. Both live
// under TEST_RUN_DIR, which test/global-setup.ts sets per run.

export interface RecordedSecret {
  // What it is (an API key, the Pusher secret, …): all a leak report shows of it.
  kind: string;
  value: string;
}

export interface Leak {
  kind: string;
  // How it appeared: as is, base64 (alone or in a Basic header), URL-encoded.
  form: string;
  file: string;
  line: number;
}

// Shorter secrets (fixtures like 'secret') would match ordinary words in the logs.
export const MIN_SECRET_LENGTH = 8;
// Our own keys and tokens by their shape (secret-token.ts), recorded or not, wherever they start
// (inside another word, after %00): the log redacts them to their prefix, so any whole one there
// is a leak.
const OUR_SECRET_SHAPE = /hd[kc]_[0-9a-f]{16}[A-Za-z0-9_-]{43}/;

export function testRunDir(): string | undefined {
  return process.env.TEST_RUN_DIR;
}

export function recordSecret(kind: string, value: string | undefined | null): void {
  const dir = testRunDir();
  if (!dir || !value || value.length < MIN_SECRET_LENGTH) return;
  appendFileSync(join(dir, `secrets-${process.pid}.jsonl`), `${JSON.stringify({ kind, value })}\n`);
}

// The secrets of an app's environment: the Pusher secrets (the rotation's too) and the metrics token.
export function recordEnvSecrets(env: Record<string, string>): void {
  recordSecret('PUSHER_SECRET', env.PUSHER_SECRET);
  recordSecret('METRICS_TOKEN', env.METRICS_TOKEN);
  for (const pair of env.PUSHER_ADDITIONAL_CREDENTIALS?.split(',') ?? []) recordSecret('PUSHER_ADDITIONAL_CREDENTIALS secret', pair.split(':')[1]);
}

// The strings whose presence in a log betrays `secret`. Base64 is matched wherever the secret sits
// in the encoded text (alone, `key:x` of a Basic header, `user:secret`): for each of the three
// alignments, the encoded characters that depend on the secret's bytes only.
export function needlesFor(secret: string): { form: string; needle: string }[] {
  const needles = [{ form: 'as is', needle: secret }];
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret) needles.push({ form: 'URL-encoded', needle: encoded });
  const bytes = Buffer.from(secret, 'utf8');
  for (let offset = 0; offset < 3; offset++) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    const whole = Math.floor(padded.length / 3) * 3;
    const base64 = padded.subarray(0, whole).toString('base64').slice(offset === 0 ? 0 : 4);
    if (base64.length < MIN_SECRET_LENGTH) continue;
    needles.push({ form: 'base64', needle: base64 });
    const base64url = base64.replace(/\+/g, '-').replace(/\//g, '_');
    if (base64url !== base64) needles.push({ form: 'base64url', needle: base64url });
  }
  return needles;
}

// One pass over each line, whatever the number of secrets: needles are indexed by their first
// MIN_SECRET_LENGTH characters, and every position of a line looks its own up.
export function findLeaks(secrets: readonly RecordedSecret[], logFiles: readonly string[]): Leak[] {
  const index: NeedleIndex = new Map();
  for (const secret of new Map(secrets.map((s) => [s.value, s])).values()) {
    for (const needle of needlesFor(secret.value)) {
      const head = needle.needle.slice(0, MIN_SECRET_LENGTH);
      index.set(head, [...(index.get(head) ?? []), { ...needle, kind: secret.kind }]);
    }
  }
  const leaks: Leak[] = [];
  for (const file of logFiles) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((text, lineIndex) => {
        const found = new Set<string>();
        const report = (kind: string, form: string) => {
          if (found.has(`${kind}\n${form}`)) return;
          found.add(`${kind}\n${form}`);
          leaks.push({ kind, form, file, line: lineIndex + 1 });
        };
        scanLine(index, text, report);
        // Percent-encoded in part or whole (a path or query logged as sent): decoded, it is as is.
        const decoded = percentDecoded(text);
        const before = new Set([...found].map((key) => key.split('\n')[0]));
        if (decoded !== text) {
          scanLine(index, decoded, (kind, form) => before.has(kind) || report(kind, form === 'as is' ? 'percent-encoded' : `${form}, percent-encoded`));
        }
      });
  }
  return leaks;
}

type NeedleIndex = Map<string, { kind: string; form: string; needle: string }[]>;

function scanLine(index: NeedleIndex, text: string, report: (kind: string, form: string) => void): void {
  for (let at = 0; at + MIN_SECRET_LENGTH <= text.length; at++) {
    for (const { kind, form, needle } of index.get(text.slice(at, at + MIN_SECRET_LENGTH)) ?? []) {
      if (text.startsWith(needle, at)) report(kind, form);
    }
  }
  if (OUR_SECRET_SHAPE.test(text)) report('an API key or conversation token (by its shape)', 'as is');
}

// Every %XX of the line decoded to its character (bytes alone: a secret is ASCII).
function percentDecoded(text: string): string {
  return text.replace(/%([0-9a-fA-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

// The run's recorded secrets against the run's logs.
export function findLeaksInRun(dir: string): { leaks: Leak[]; secrets: number; logFiles: number; logBytes: number } {
  if (!existsSync(dir)) return { leaks: [], secrets: 0, logFiles: 0, logBytes: 0 };
  const secrets = readdirSync(dir)
    .filter((name) => name.startsWith('secrets-'))
    .flatMap((name) =>
      readFileSync(join(dir, name), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as RecordedSecret),
    );
  const logDir = join(dir, 'logs');
  const logFiles = existsSync(logDir) ? readdirSync(logDir).map((name) => join(logDir, name)) : [];
  return {
    leaks: findLeaks(secrets, logFiles),
    secrets: new Set(secrets.map((s) => s.value)).size,
    logFiles: logFiles.length,
    logBytes: logFiles.reduce((sum, file) => sum + statSync(file).size, 0),
  };
}

// What a report shows: the kind of secret and where, never the secret.
export function describeLeaks(leaks: readonly Leak[]): string {
  return leaks.map((leak) => `${leak.kind} (${leak.form}) in ${leak.file}:${leak.line}`).join('\n');
}
