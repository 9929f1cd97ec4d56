import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Secrets handed out once (API keys, conversation tokens): `<prefix>_<lookup><secret>`.
// The lookup part (8 random bytes, hex) finds the row; the secret part (32 random bytes) is only
// ever stored as a SHA-256 hash and compared in constant time. The prefix makes leaked secrets
// easy to spot and to redact from logs.
const LOOKUP_LENGTH = 16;
const SECRET_LENGTH = 43;

// hdk: API keys; hdc: conversation tokens; hdi: inboxes' inbound email secrets.
export type SecretPrefix = 'hdk' | 'hdc' | 'hdi';

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

// One character of a URL as a client may send it: itself or percent-encoded (either case of hex).
function urlChar(char: string): string {
  const hex = char.charCodeAt(0).toString(16);
  return `(?:${char}|%${hex[0]}[${hex[1].toLowerCase()}${hex[1].toUpperCase()}])`;
}

// The characters of a key or token's body, each as is or percent-encoded.
const SECRET_BODY_CHAR = `(?:[A-Za-z0-9_-]|%(?:2[dD]|3[0-9]|4[1-9a-fA-F]|5[0-9aAfF]|6[1-9a-fA-F]|7[0-9aA]))`;
// A key (hdk_), token (hdc_) or inbound secret (hdi_) wherever it starts: inside another word, after %00 or any other
// encoded character, with any of its characters percent-encoded (a path or query is logged as sent).
const SECRET_ANYWHERE = new RegExp(
  `${urlChar('h')}${urlChar('d')}(${urlChar('k')}|${urlChar('c')}|${urlChar('i')})${urlChar('_')}${SECRET_BODY_CHAR}+`,
  'g',
);

// A webhook signing secret (Standard Webhooks' whsec_ + base64), as sent or percent-encoded.
const SIGNING_SECRET_ANYWHERE = /whsec_(?:[A-Za-z0-9+/=_-]|%[0-9A-Fa-f]{2})+/g;

// For log lines: anything shaped like one of our secrets is cut to its prefix.
export function redactSecrets(text: string): string {
  return text
    .replace(SECRET_ANYWHERE, (_match, kind: string) => `hd${decodeURIComponent(kind)}_[REDACTED]`)
    .replace(SIGNING_SECRET_ANYWHERE, 'whsec_[REDACTED]');
}
