import { hashSecret, issueSecret, redactSecrets, secretLookup, secretMatches } from './secret-token';

describe(issueSecret.name, () => {
  it('should issue distinct secrets whose lookup part finds them and whose hash matches only them', () => {
    const a = issueSecret('hdk');
    const b = issueSecret('hdk');
    expect(a.plaintext).toMatch(/^hdk_[0-9a-f]{16}[A-Za-z0-9_-]{43}$/);
    expect(a.plaintext).not.toBe(b.plaintext);
    expect(secretLookup('hdk', a.plaintext)).toBe(a.lookup);
    expect(a.hash).toEqual(hashSecret(a.plaintext));
    expect(a.hash).toHaveLength(32);
    expect(secretMatches(a.plaintext, a.hash)).toBe(true);
    expect(secretMatches(b.plaintext, a.hash)).toBe(false);
    expect(secretMatches(`${a.plaintext}x`, a.hash)).toBe(false);
  });

  it('should refuse malformed secrets and secrets of the other kind', () => {
    const token = issueSecret('hdc').plaintext;
    expect(secretLookup('hdk', token)).toBeNull();
    expect(secretLookup('hdc', token.slice(0, -1))).toBeNull();
    expect(secretLookup('hdc', `${token} `)).toBeNull();
    expect(secretLookup('hdk', 'Bearer nonsense')).toBeNull();
  });
});

describe(redactSecrets.name, () => {
  it('should cut keys and tokens to their prefix wherever they stand', () => {
    const key = issueSecret('hdk').plaintext;
    const token = issueSecret('hdc').plaintext;
    expect(redactSecrets(`/x/token/${token}.json?k=${key}`)).toBe('/x/token/hdc_[REDACTED].json?k=hdk_[REDACTED]');
  });

  it.each([
    ['inside another word', (s: string) => `/x/abc${s}.json`],
    ['after %00', (s: string) => `/x/token/%00${s}.json`],
    ['after another encoded character', (s: string) => `/x?q=%E2%80%8B${s}&y=1`],
    ['with its prefix percent-encoded', (s: string) => `/x/%68%64${s.slice(2, 3)}%5F${s.slice(4)}.json`],
    ['wholly percent-encoded, in either case of hex', (s: string) => `/x/${[...s].map((c, i) => `%${c.charCodeAt(0).toString(16)[i % 2 ? 'toUpperCase' : 'toLowerCase']()}`).join('')}`],
    ['with only its body percent-encoded', (s: string) => `/x/${s.slice(0, 4)}${[...s.slice(4)].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}?z`],
  ])('should redact a key and a token %s', (_label, place) => {
    for (const prefix of ['hdk', 'hdc'] as const) {
      const secret = issueSecret(prefix).plaintext;
      const redacted = redactSecrets(place(secret));
      expect(redacted).toContain(`${prefix}_[REDACTED]`);
      expect(redacted).not.toContain(secret.slice(4, 20));
      expect(decodeURIComponent(redacted)).not.toContain(secret.slice(4, 20));
    }
  });

  it('should leave what follows the secret and text that only looks like a prefix', () => {
    const key = issueSecret('hdk').plaintext;
    expect(redactSecrets(`/a/${key}/b%2Fc?hd=1&hdx_y`)).toBe('/a/hdk_[REDACTED]/b%2Fc?hd=1&hdx_y');
  });
});
