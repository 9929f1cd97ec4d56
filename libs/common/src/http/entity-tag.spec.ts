import { entityTag, isNotModified, parseIfMatch } from './entity-tag';

describe(parseIfMatch.name, () => {
  it('should leave a write unconditional when If-Match is absent or blank', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('  ')).toBeUndefined();
  });

  it('should read * and the strong tags of a list, and drop weak ones', () => {
    expect(parseIfMatch(' * ')).toBe('*');
    expect(parseIfMatch('"a", W/"b" ,"c,d"')).toEqual(['a', 'c,d']);
    expect(parseIfMatch('"a", , "b"')).toEqual(['a', 'b']);
    expect(parseIfMatch('""')).toEqual(['']);
  });

  it('should keep what parsed before a malformed element, so that a bad list matches nothing new', () => {
    expect(parseIfMatch('abc')).toEqual([]);
    expect(parseIfMatch('"a", b, "c"')).toEqual(['a']);
    expect(parseIfMatch('"a" "b"')).toEqual([]);
    expect(parseIfMatch('*, "a"')).toEqual([]);
  });
});

describe(isNotModified.name, () => {
  it('should compare weakly, and match * always', () => {
    expect(isNotModified(undefined, 'v')).toBe(false);
    expect(isNotModified('W/"v"', 'v')).toBe(true);
    expect(isNotModified('"x", "v"', 'v')).toBe(true);
    expect(isNotModified('"x"', 'v')).toBe(false);
    expect(isNotModified('*', 'v')).toBe(true);
  });

  it('should quote a version as a strong tag', () => {
    expect(entityTag('v1')).toBe('"v1"');
  });
});
