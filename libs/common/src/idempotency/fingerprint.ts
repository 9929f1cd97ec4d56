import { createHash } from 'node:crypto';

// What makes two requests "the same" for an Idempotency-Key: method, path and body, with object
// keys in a fixed order so that a client re-serialising its body is not refused.
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n${canonicalJson(body)}`).digest('base64url');
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (value && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return sortKeys((value as { toJSON(): unknown }).toJSON());
  }
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

// A webhook's signing secret (Standard Webhooks' whsec_ and base64), shown once too.
const SIGNING_SECRET = /^whsec_[A-Za-z0-9+/=]{20,}$/;

// A stored answer never holds a secret shown once (an API key, a conversation token, a signing
// secret): such strings are replaced by null, so a replay shows everything but the secret.
export function withoutSecrets(value: unknown): unknown {
  if (typeof value === 'string') return /^hd[kc]_[A-Za-z0-9_-]{20,}$/.test(value) || SIGNING_SECRET.test(value) ? null : value;
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === 'object') {
    const plain = typeof (value as { toJSON?: unknown }).toJSON === 'function' ? (value as { toJSON(): unknown }).toJSON() : value;
    if (plain !== value) return withoutSecrets(plain);
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutSecrets(item)]));
  }
  return value;
}
