import fc from 'fast-check';
import { hostileBody, UNICODE_EDGES } from './support/arbitraries';
import { deskEndpoints, Endpoint, highLevelEndpoints, pathArbitrary } from './support/endpoints';
import { FuzzHarness, FuzzRequest } from './support/harness';

// Odd headers on every endpoint of both dialects: content types, charsets, authorisation forms,
// Idempotency-Key and Version values, duplicates, and headers far larger than any client sends.
describe('fuzz: headers and content types', () => {
  const h = new FuzzHarness();
  let endpoints: Endpoint[];

  beforeAll(async () => {
    await h.start();
    endpoints = [...deskEndpoints(h.seed), ...highLevelEndpoints(h.seed)];
  });
  afterAll(() => h.close());

  const huge = (n: number) => 'h'.repeat(n);
  const oneOrTwo = (value: fc.Arbitrary<string>): fc.Arbitrary<string | string[]> =>
    fc.oneof({ weight: 4, arbitrary: value }, { weight: 1, arbitrary: fc.tuple(value, value).map(([a, b]) => [a, b]) });

  const contentType = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=UTF-8',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/json;charset="utf-8"',
    'application/json; boundary=x',
    'APPLICATION/JSON',
    'application/json;;',
    'application/json, text/plain',
    'application/vnd.api+json',
    'application/problem+json',
    'application/jsonx',
    'text/json',
    'text/plain',
    'text/plain; charset=utf-8',
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=utf-8',
    'multipart/form-data',
    'multipart/form-data; boundary=----x',
    'application/octet-stream',
    'application/xml',
    '*/*',
    '',
    ' ',
    ';',
    'json',
    'application/',
    `application/json; charset=${huge(10_000)}`,
  );

  const authorization = (auth: string, key: string) =>
    fc.constantFrom(
      auth,
      auth,
      auth,
      `bearer ${key}`,
      `BEARER ${key}`,
      `Bearer  ${key}`,
      `Bearer ${key} ${key}`,
      `Bearer ${key}x`,
      `Bearer ${key.slice(0, -1)}`,
      `Basic ${Buffer.from(`${key}:x`).toString('base64')}`,
      `Basic ${Buffer.from(`${key}`).toString('base64')}`,
      `Basic ${Buffer.from(':').toString('base64')}`,
      'Basic !!!!',
      'Basic',
      'Basic ',
      'Bearer',
      'Bearer ',
      'Bearer hdk_',
      'Bearer hdk_x_y',
      `Token ${key}`,
      key,
      '',
      'Bearer é',
      `Bearer ${huge(20_000)}`,
      `Bearer hdk_${'0'.repeat(16)}_${huge(5000)}`,
      'Digest username="x"',
      'Bearer null',
      'Bearer undefined',
    );

  const idempotencyKey = fc.oneof(
    fc.uuid(),
    fc.constantFrom('', ' ', 'a', huge(300), huge(10_000), 'ключ', '🔑', "'; DROP TABLE idempotency_keys; --", 'key\ttab'),
    fc.string({ maxLength: 40 }),
  );

  const version = fc.constantFrom('2021-07-28', '2021-04-15', '2023-02-21', '', 'v1', '2021-07-28 ', '2021-07-28, 2021-04-15', huge(5000), '٢٠٢١-٠٧-٢٨');

  const oddHeader = fc.tuple(
    fc.constantFrom('accept', 'accept-encoding', 'accept-charset', 'x-request-id', 'x-forwarded-for', 'x-forwarded-proto', 'host', 'origin', 'content-encoding', 'transfer-encoding', 'if-match', 'if-none-match', 'range', 'expect', 'x-http-method-override', 'x-pusher-key', 'x-pusher-signature', 'cookie'),
    fc.oneof(fc.constantFrom('gzip', 'br', 'deflate', 'identity', '*', 'bytes=0-1', 'bytes=-1', '100-continue', 'DELETE', 'null', '"etag"', '*/*;q=0', huge(50_000)), fc.string({ unit: 'grapheme-ascii', maxLength: 30 })),
  );

  it('answers odd headers on every endpoint in the dialect and changes nothing on an error', async () => {
    const { acme } = h.seed;
    const key = acme.auth.slice('Bearer '.length);
    const cases = fc.constantFrom(...endpoints).chain((endpoint) =>
      fc.record({
        endpoint: fc.constant(endpoint),
        path: pathArbitrary(endpoint, h.seed),
        authorization: fc.option(oneOrTwo(authorization(acme.auth, key)), { freq: 8 }),
        contentType: fc.option(oneOrTwo(contentType), { freq: 4 }),
        idempotencyKey: fc.option(oneOrTwo(idempotencyKey), { freq: 1 }),
        version: fc.option(oneOrTwo(version), { freq: 6 }),
        odd: fc.array(oddHeader, { maxLength: 3 }),
        body: fc.oneof(
          endpoint.body ? hostileBody(endpoint.body, endpoint.envelope) : fc.constant('{}'),
          fc.constantFrom('', 'socket_id=1.2&channel_name=presence-conversation-1', 'a=1&a=2', '--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n--x--', '<xml/>', ...UNICODE_EDGES),
        ),
        withBody: fc.boolean(),
      }),
    );
    await h.run('headers', cases, (c): FuzzRequest => {
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of c.odd) headers[name] = value;
      if (c.authorization !== null) headers.authorization = c.authorization;
      if (c.contentType !== null) headers['content-type'] = c.contentType;
      if (c.idempotencyKey !== null) headers['idempotency-key'] = c.idempotencyKey;
      if (c.version !== null) headers.version = c.version;
      const withBody = c.withBody || c.endpoint.method === 'POST' || c.endpoint.method === 'PUT' || c.endpoint.method === 'PATCH';
      return { method: c.endpoint.method, url: c.path, headers, payload: withBody ? c.body : undefined };
    });
  });
});
