// `npm run lint:docs`, after remark-validate-links: the README stays a front door (at most 12 KB) and
// no markdown file of the repository links outside it (example URLs on loopback are fine).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import process from 'node:process';

const ROOT = join(import.meta.dirname, '../..');
const README_MAX_BYTES = 12 * 1024;
const SKIP_DIRS = new Set(['node_modules', 'dist', '.data', '.git', 'coverage']);
const LOOPBACK = /^https?:\/\/(127\.0\.0\.1|localhost)([:/]|$)/;

function markdownFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return SKIP_DIRS.has(entry.name) ? [] : markdownFiles(join(dir, entry.name));
    return entry.name.endsWith('.md') ? [join(dir, entry.name)] : [];
  });
}

const problems = [];
const readmeBytes = statSync(join(ROOT, 'README.md')).size;
if (readmeBytes > README_MAX_BYTES) problems.push(`README.md: ${readmeBytes} bytes, more than ${README_MAX_BYTES}`);

for (const file of markdownFiles(ROOT)) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      for (const [url] of line.matchAll(/https?:\/\/[^\s)>\]"'`]+/g)) {
        if (!LOOPBACK.test(url)) problems.push(`${relative(ROOT, file)}:${i + 1}: links outside the repository: ${url}`);
      }
    });
}

for (const problem of problems) process.stderr.write(`${problem}\n`);
if (problems.length) process.exit(1);
process.stdout.write(`docs: README.md ${readmeBytes} bytes; no link leaves the repository\n`);
