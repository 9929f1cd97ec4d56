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
});
