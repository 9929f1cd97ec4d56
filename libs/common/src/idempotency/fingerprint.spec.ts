import { canonicalJson, requestFingerprint, withoutSecrets } from './fingerprint';

describe('idempotency fingerprints', () => {
  it('should not depend on the order of object keys, but on everything else', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
    const base = requestFingerprint('POST', '/x.json', { a: 1, b: 2 });
    expect(requestFingerprint('POST', '/x.json', { b: 2, a: 1 })).toBe(base);
    expect(requestFingerprint('POST', '/y.json', { a: 1, b: 2 })).not.toBe(base);
    expect(requestFingerprint('POST', '/x.json', { a: 1, b: 3 })).not.toBe(base);
    expect(requestFingerprint('POST', '/x.json', undefined)).toBe(requestFingerprint('POST', '/x.json', null));
  });

  it('should fingerprint objects by their toJSON', () => {
    const upload = { path: '/tmp/random-123', toJSON: () => ({ sha256: 'ab', size: 2 }) };
    expect(canonicalJson({ file: upload })).toBe('{"file":{"sha256":"ab","size":2}}');
  });

  it('should strip shown-once secrets from a stored answer, nothing else', () => {
    const token = `hdc_${'0'.repeat(16)}${'A'.repeat(43)}`;
    const at = new Date('2026-01-01T00:00:00Z');
    expect(withoutSecrets({ conversation: { token, id: 3, note: 'hdc_ in prose', at }, list: [token] })).toEqual({
      conversation: { token: null, id: 3, note: 'hdc_ in prose', at: '2026-01-01T00:00:00.000Z' },
      list: [null],
    });
    expect(withoutSecrets({ webhook: { secret: `whsec_${'A'.repeat(32)}`, url: 'https://example.test/whsec_' } })).toEqual({
      webhook: { secret: null, url: 'https://example.test/whsec_' },
    });
  });
});
