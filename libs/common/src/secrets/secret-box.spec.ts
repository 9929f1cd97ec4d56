import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from './secret-box';

describe(SecretBox.name, () => {
  it('should open what it sealed, and never show the plaintext in the sealed form', () => {
    const box = new SecretBox('k'.repeat(32));
    const sealed = box.seal('whsec_c2VjcmV0');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('c2VjcmV0');
    expect(box.seal('whsec_c2VjcmV0')).not.toBe(sealed);
    expect(box.open(sealed)).toBe('whsec_c2VjcmV0');
  });

  it('should refuse a sealed secret altered or sealed under another key', () => {
    const sealed = new SecretBox('a'.repeat(32)).seal('secret');
    expect(() => new SecretBox('b'.repeat(32)).open(sealed)).toThrow();
    const [v, iv, tag, data] = sealed.split('.');
    const flipped = Buffer.from(data, 'base64url');
    flipped[0] ^= 1;
    expect(() => new SecretBox('a'.repeat(32)).open([v, iv, tag, flipped.toString('base64url')].join('.'))).toThrow();
    expect(() => new SecretBox('a'.repeat(32)).open('nonsense')).toThrow('not a sealed secret');
  });

  it('should create the key file once, private to its owner, and agree with it afterwards', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'secret-box-')), 'nested', 'secrets.key');
    const first = SecretBox.fromConfig({ SECRETS_KEY_FILE: file });
    const key = readFileSync(file, 'utf8');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = SecretBox.fromConfig({ SECRETS_KEY_FILE: file });
    expect(readFileSync(file, 'utf8')).toBe(key);
    expect(second.open(first.seal('x'))).toBe('x');
    expect(() => SecretBox.fromConfig({ SECRETS_KEY: 'z'.repeat(32), SECRETS_KEY_FILE: file }).open(first.seal('x'))).toThrow();
  });

  it('should derive one key per label, the same from the same material, revealing nothing of the others', () => {
    const box = new SecretBox('k'.repeat(32));
    expect(box.derive('a').equals(new SecretBox('k'.repeat(32)).derive('a'))).toBe(true);
    expect(box.derive('a').equals(box.derive('b'))).toBe(false);
    expect(box.derive('a').equals(new SecretBox('j'.repeat(32)).derive('a'))).toBe(false);
    expect(box.derive('a')).toHaveLength(32);
  });

  it('should give processes starting at the same moment one key, never a half-written one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-box-race-'));
    const file = join(dir, 'secrets.key');
    // Node runs the TypeScript source (type stripping); each child waits for the same instant.
    const startAt = Date.now() + 1_500;
    const child = `const { SecretBox } = require(${JSON.stringify(join(__dirname, 'secret-box.ts'))});
      while (Date.now() < ${startAt});
      process.stdout.write(SecretBox.fromConfig({ SECRETS_KEY_FILE: ${JSON.stringify(file)} }).seal('same'));`;
    const run = () =>
      new Promise<{ code: number | null; out: string; err: string }>((done) => {
        const proc = spawn(process.execPath, ['--no-warnings', '-e', child]);
        let [out, err] = ['', ''];
        proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
        proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
        proc.on('close', (code) => done({ code, out, err }));
      });
    const results = await Promise.all(Array.from({ length: 8 }, run));
    expect(results.map((r) => [r.code, r.err])).toEqual(results.map(() => [0, '']));
    const box = SecretBox.fromConfig({ SECRETS_KEY_FILE: file });
    expect(results.map((r) => box.open(r.out))).toEqual(results.map(() => 'same'));
    expect(readdirSync(dir)).toEqual(['secrets.key']);
  }, 20_000);
});
