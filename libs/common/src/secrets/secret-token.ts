import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Secrets handed out once (API keys, conversation tokens): `<prefix>_<lookup><secret>`.
// The lookup part (8 random bytes, hex) finds the row; the secret part (32 random bytes) is only
// ever stored as a SHA-256 hash and compared in constant time. The prefix makes leaked secrets
// easy to spot and to redact from logs.
const LOOKUP_LENGTH = 16;
const SECRET_LENGTH = 43;

export type SecretPrefix = 'hdk' | 'hdc';

export interface IssuedSecret {
  plaintext: string;
  lookup: string;
  hash: Buffer;
}

export function issueSecret(prefix: SecretPrefix): IssuedSecret {
  const lookup = randomBytes(LOOKUP_LENGTH / 2).toString('hex');
  const plaintext = `${prefix}_${lookup}${randomBytes(32).toString('base64url')}`;
  return { plaintext, lookup, hash: hashSecret(plaintext) };
}

// The lookup part of a well-formed secret, or null for anything else.
export function secretLookup(prefix: SecretPrefix, presented: string): string | null {
  const pattern = new RegExp(`^${prefix}_([0-9a-f]{${LOOKUP_LENGTH}})[A-Za-z0-9_-]{${SECRET_LENGTH}}$`);
  return pattern.exec(presented)?.[1] ?? null;
}

export function hashSecret(plaintext: string): Buffer {
  return createHash('sha256').update(plaintext, 'utf8').digest();
}

export function secretMatches(presented: string, storedHash: Buffer): boolean {
  const presentedHash = hashSecret(presented);
  return presentedHash.length === storedHash.length && timingSafeEqual(presentedHash, storedHash);
}

// For log lines: anything shaped like one of our secrets is cut to its prefix.
export function redactSecrets(text: string): string {
  return text.replace(/\b(hd[kc])_[A-Za-z0-9_-]+/g, '$1_[REDACTED]');
}
