import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mismatch, parseAnswer, readShellBlocks } from './doc-blocks';
import { buildScript, runScript } from './doc-script';

const BODY = { conversation: { id: 7, state: 'active', users: [{ id: 1 }, { id: 2 }] }, token: 'hdk_abc' };

describe('The docs runner', () => {
  let server: Server;
  let port: number;
  let dir: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const found = req.url === '/ok';
      res.writeHead(found ? 200 : 404, { 'Content-Type': 'application/json' }).end(JSON.stringify(found ? BODY : { errors: { _: ['not found'] } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    dir = await mkdtemp(join(tmpdir(), 'helpdesk-docs-runner-'));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  // The problems the runner finds in a markdown file of the given text.
  async function problemsOf(markdown: string): Promise<string[]> {
    const file = join(dir, `doc-${Math.random().toString(36).slice(2)}.md`);
    await writeFile(file, markdown);
    const script = buildScript(readShellBlocks(file, 'doc.md'), port);
    return runScript(script, await mkdtemp(join(dir, 'shell-')), { PATH: process.env.PATH!, HOME: dir });
  }

  const block = (...lines: string[]) => ['text', '', '```bash', ...lines, '```', ''].join('\n');

  it('should pass when every curl answers as stated, on the runner port, and skip marked blocks', async () => {
    const skipped = ['<!-- test:docs skip: not an API call -->', '```bash', 'false', '```'].join('\n');
    const problems = await problemsOf(
      skipped +
        '\n' +
        block(
          'ID=$(curl -s http://localhost:3000/ok | node -pe "JSON.parse(fs.readFileSync(0)).conversation.id")',
          '# => 200 {"conversation": {"id": 7, "users": [{"id": 1}, …]},',
          '#    "token": "hdk_…"}',
          'test "$ID" = 7',
          'curl -s http://127.0.0.1:3000/missing',
          '# => 404',
        ),
    );
    expect(problems).toEqual([]);
  });

  it('should name the line of a curl whose status or body differs from the docs', async () => {
    const problems = await problemsOf(block('curl -s http://127.0.0.1:3000/missing', '# => 200', 'curl -s http://127.0.0.1:3000/ok', '# => 200 {"conversation": {"state": "deleted"}}'));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^doc\.md:4: answered 404, the docs say 200/);
    expect(problems[1]).toMatch(/^doc\.md:6: \$\.conversation\.state: expected "deleted", got "active"/);
  });

  it('should fail a curl with no stated answer, and a command that fails', async () => {
    expect(await problemsOf(block('curl -s http://127.0.0.1:3000/ok'))).toEqual([expect.stringMatching(/^doc\.md:\d+: 1 curl call\(s\) before the block's end state no answer/)]);
    const failed = await problemsOf(block('echo one', "printf '%s' \\", '  two | grep -q three'));
    expect(failed).toEqual([expect.stringMatching(/^doc\.md:5: the command failed/)]);
  });

  it('should match JSON as a subset, with … for any value, more items, or any text', () => {
    expect(mismatch(parseAnswer('{"a": …, "b": [1, …], "c": "x…z"}'), { a: null, b: [1, 2], c: 'xyz', d: 4 })).toBeNull();
    expect(mismatch(parseAnswer('{"b": [1]}'), { b: [1, 2] })).toBe('$.b: expected 1 items, got 2');
    expect(mismatch(parseAnswer('{"a": {"b": 1, …}}'), { a: { c: 1 } })).toBe('$.a.b: missing');
    expect(mismatch(parseAnswer('{"a": "…"}'), { a: 5 })).toBe('$.a: expected "…", got 5');
  });
});
