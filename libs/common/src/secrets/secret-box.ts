import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

// Seals secrets the service must use later rather than only compare (a webhook's signing secret
// signs every delivery, so it cannot be stored as a hash): AES-256-GCM under one key, the same in
// every process. The sealed form is `v1.<iv>.<tag>.<ciphertext>`, each base64url.
export class SecretBox {
  private readonly key: Buffer;

  // Any string as the key material: its SHA-256 is the AES key.
  constructor(keyMaterial: string) {
    this.key = createHash('sha256').update(keyMaterial, 'utf8').digest();
  }

  // The key from SECRETS_KEY; unset, from a file created once with a random key (0600) and shared
  // by the processes of one machine (or of one volume). Processes starting together agree on the
  // first one put in place, and none reads it half written.
  static fromConfig(config: { SECRETS_KEY?: string; SECRETS_KEY_FILE: string }): SecretBox {
    if (config.SECRETS_KEY) return new SecretBox(config.SECRETS_KEY);
    return new SecretBox(readOrCreateKeyFile(config.SECRETS_KEY_FILE));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  // Throws when the sealed text was not sealed under this key or was altered.
  open(sealed: string): string {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== 'v1' || ciphertext === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }

  // A key of its own for one purpose (`label`), from the same material: every process derives the
  // same one, and none of them reveals the sealing key.
  derive(label: string): Buffer {
    return createHmac('sha256', this.key).update(`derive:${label}`, 'utf8').digest();
  }
}

// The key is written whole to a file of its own, then linked into place: link() fails when the
// file exists (EEXIST: another process was first, its key is read), so the key file never exists
// empty or half written.
function readOrCreateKeyFile(path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
  const key = readFileSync(path, 'utf8').trim();
  if (key.length < 32) throw new Error(`${path} holds no key: delete it, or set SECRETS_KEY`);
  return key;
}
