import fc from 'fast-check';

// JSON text written as is, for what JSON.stringify cannot say: 1e309, -0, 2^63 exactly, NaN.
export class RawJson {
  constructor(readonly text: string) {}
}

// JSON.stringify, except that RawJson is written verbatim and own `__proto__` keys stay keys.
export function toJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${toJson(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const UNICODE_EDGES = [
  '\uD800', // lone high surrogate
  '\uDFFF', // lone low surrogate
  'a\uDC00b',
  '\u0000',
  'nul\u0000inside',
  '\u202Eevil\u202C', // RTL override
  'שלום עולם',
  'e\u0301\u0302\u0303\u0304\u0305',
  'Z̸̡̧̛̖̗̘̙̜̝̞̟̠̣̤̥̦̩̪̫̬̭̮̯̰̱̲̳̹̺̻̼ͅ',
  '👩‍👩‍👧‍👦🏳️‍🌈',
  '\uFFFF',
  '\uFFFE',
  '\uFEFFbom',
  '\u200B\u200C\u200D',
  '\u2028\u2029',
  '\r\n\t\b\f\v',
  '\u001B[31m',
  '𝕳𝖊𝖑𝖑𝖔',
  '',
  ' ',
];

export const SQL_TEXT = [
  "' OR 1=1 --",
  "'; DROP TABLE conversations; --",
  '1; SELECT pg_sleep(5)',
  "admin'--",
  '" OR ""="',
  '$1',
  '%',
  '_',
  '\\',
  "') UNION SELECT secret_hash FROM api_keys --",
  'NULL',
  '::text',
  'E\'\\x00\'',
];

export const NUMBER_TEXT = [
  '1e309',
  '-1e309',
  '-0',
  '9223372036854775808',
  '9223372036854775807',
  '-9223372036854775809',
  '18446744073709551616',
  '2147483648',
  '-2147483649',
  '1e-400',
  '0.1e1',
  '1.0',
  '1E2',
  '123456789012345678901234567890',
];

export const NUMBER_WORDS = ['NaN', 'Infinity', '-Infinity', '1e309', '-0', '0x10', '0b1', '1_000', '١٢٣', '１２', ' 1', '1 ', '+1', '.5', '1.', '--1', 'true', 'null', 'undefined', '[]', '{}'];

// Past HTTP_BODY_MAX_BYTES once in a while; mostly long text that fits.
const hugeString = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1000, 10_000, 100_000) }, { weight: 1, arbitrary: fc.constant(1_200_000) }).map((n) => 'x'.repeat(n));
const repeatedEdge = fc.tuple(fc.constantFrom(...UNICODE_EDGES), fc.integer({ min: 2, max: 5000 })).map(([s, n]) => s.repeat(n));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...UNICODE_EDGES) },
  { weight: 2, arbitrary: fc.constantFrom(...SQL_TEXT) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMBER_WORDS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: repeatedEdge },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.constantFrom('2026-02-30T00:00:00Z', '0000-00-00', '9999-12-31T23:59:59Z', '+275760-09-13T00:00:00Z', '2026-01-01T25:00:00Z', 'yesterday') },
  { weight: 1, arbitrary: fc.emailAddress() },
);

export const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...NUMBER_TEXT).map((text) => new RawJson(text)),
  fc.constantFrom(0, -1, 1, 1.5, -0.000001, 2 ** 31, 2 ** 53, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE, 1e21),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const deep = fc
  .tuple(fc.integer({ min: 10, max: 5000 }), fc.constantFrom('array', 'object'))
  .map(([depth, kind]) => new RawJson(kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)));

const prototypeKeys = fc
  .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'), fc.constantFrom<unknown>({ polluted: true }, { prototype: { polluted: true } }, 1, null, 'x'))
  .map(([key, value]) => ({ [key]: value }));

const scalar: fc.Arbitrary<unknown> = fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null));

// Any value a field might be sent instead of what it should be.
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 6, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('id', 'type', 'name', '$eq', '')), tie('value'), { maxKeys: 3 }) },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: prototypeKeys },
    { weight: 1, arbitrary: fc.constantFrom<unknown>([], {}, [[]], [{}], [null], { id: null }, { id: '1' }, { id: 1, type: 'users' }) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 500, maxLength: 2000 }) },
  ),
})).value;

const DELETE = Symbol('delete');

// A valid body with some of its fields (or the fields of its envelope) replaced, deleted, or joined by
// others; or something that is not that body at all.
export function hostileBody(template: Record<string, unknown>, envelope?: string, beside: Record<string, unknown> = {}): fc.Arbitrary<string> {
  const keys = Object.keys(template);
  const anyKey = fc.oneof(fc.constantFrom(...(keys.length > 0 ? keys : ['id'])), fc.constantFrom('id', 'tenantId', 'tenant_id', 'createdAt', 'state', '__proto__', 'constructor', 'prototype'), fc.string({ maxLength: 10 }));
  // A field deleted, set to null (which clears many a field: `"assignee": null`), or to anything else.
  const change = fc.oneof({ weight: 1, arbitrary: fc.constant<unknown>(DELETE) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 6, arbitrary: hostileValue });
  const mutated = fc
    .tuple(fc.array(fc.tuple(anyKey, change), { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([changes, wrap]) => {
      const body: Record<string, unknown> = { ...template };
      for (const [key, value] of changes) {
        if (value === DELETE) delete body[key];
        else body[key] = value;
      }
      return toJson(wrap && envelope ? { ...beside, [envelope]: body } : body);
    });
  const replaced = fc.tuple(hostileValue, fc.boolean()).map(([value, wrap]) => toJson(wrap && envelope ? { ...beside, [envelope]: value } : value));
  const malformed = fc.oneof(
    fc.constantFrom(
      '',
      '{',
      '{"a":1,}',
      "{'a':1}",
      '{"a":1}{"b":2}',
      '\uFEFF{}',
      '{"a":"\\ud800"}',
      '{"a":"\\u0000"}',
      '{"a":"\\uDFFF\\uD800"}',
      '{"__proto__":{"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"a":1,"a":2}',
      'null',
      'true',
      '0',
      '"string"',
      '[]',
      'NaN',
      '{"a":NaN}',
      '{"a":Infinity}',
      '{"a":01}',
      '{"a":1e309}',
      '\u0000',
      '{"a":"\u0000"}',
    ),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.constantFrom(2, 10, 100).map((n) => `{"a":${'[{"b":'.repeat(n)}1${'}]'.repeat(n)}}`),
    fc.integer({ min: 1000, max: 100_000 }).map((n) => `{"x":[${'1,'.repeat(n)}1]}`),
    fc.jsonValue().map((value) => JSON.stringify(value).slice(0, -1)),
  );
  return fc.oneof({ weight: 6, arbitrary: mutated }, { weight: 2, arbitrary: replaced }, { weight: 2, arbitrary: malformed });
}

// What a path's id may be instead of an id.
export const hostileId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('0', '-1', '1.5', '1e3', '1e309', 'NaN', 'null', '9223372036854775807', '9223372036854775808', '99999999999999999999', '%00', '%FF', '%ED%A0%80', '%E2%80%AE', 'abc', '%20', '1%20', '%27%20OR%201%3D1', '..%2F..', '0x10', '00001', '+1', '%2B1'),
  fc.integer({ min: -10, max: 2 ** 31 + 10 }).map(String),
);

// Percent-encodes text as UTF-8, lone surrogates too (as their raw 3-byte form, which no decoder accepts).
export function encodeQuery(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (/^[A-Za-z0-9\-_.~]$/.test(char)) out += char;
    else if (code >= 0xd800 && code <= 0xdfff) out += `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
    else out += [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');
  }
  return out;
}

// Raw fragments that are not valid percent-encoding.
export const BROKEN_ENCODING = ['%', '%%', '%zz', '%FF', '%C0%AF', '%ED%A0%80', '%00', '%E0%80', '&', '=', '==', '[]', '%5B%5D', '+'];
