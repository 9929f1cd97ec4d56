import fc from 'fast-check';
import { hostileBody, hostileString, hostileValue, toJson } from './support/arbitraries';
import { DESK, deskEndpoints, Endpoint, pathArbitrary, signPusher } from './support/endpoints';
import { FuzzHarness, FuzzRequest } from './support/harness';
import { listQueryArbitrary } from './support/queries';

// The Desk dialect under hostile bodies, list parameters and path ids. See support/harness.ts for
// what every case is held to.
describe('fuzz: Desk dialect', () => {
  const h = new FuzzHarness();
  let endpoints: Endpoint[];
  let auth: fc.Arbitrary<string>;

  beforeAll(async () => {
    await h.start();
    endpoints = deskEndpoints(h.seed);
    auth = h.authArbitrary();
  });
  afterAll(() => h.close());

  const request = (endpoint: Endpoint, path: string, authorization: string, payload?: string, query = ''): FuzzRequest => ({
    method: endpoint.method,
    url: query ? `${path}?${query}` : path,
    headers: {
      authorization,
      ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(endpoint.pusherSigned && payload !== undefined ? signPusher(payload) : {}),
    },
    payload,
  });

  it('answers hostile bodies on every write with a Desk error and changes nothing', async () => {
    const writes = endpoints.filter((endpoint) => endpoint.body);
    const cases = fc.constantFrom(...writes).chain((endpoint) =>
      fc.tuple(fc.constant(endpoint), pathArbitrary(endpoint, h.seed), auth, hostileBody(endpoint.body!, endpoint.envelope, endpoint.beside)),
    );
    await h.run('desk bodies', cases, ([endpoint, path, authorization, payload]) => request(endpoint, path, authorization, payload));
  });

  it('answers malformed list parameters on every list with a Desk error and changes nothing', async () => {
    const lists = endpoints.filter((endpoint) => endpoint.list);
    const cases = fc.constantFrom(...lists).chain((endpoint) =>
      fc.tuple(fc.constant(endpoint), pathArbitrary(endpoint, h.seed), auth, listQueryArbitrary(endpoint.list)),
    );
    await h.run('desk list queries', cases, ([endpoint, path, authorization, query]) => request(endpoint, path, authorization, undefined, query));
  });

  // Past the signature, Pusher's batches are parsed field by field: events of every kind, on our
  // channels and others, with hostile fields and message data.
  it('stores or ignores hostile events of a signed Pusher batch, and refuses only a malformed batch', async () => {
    const { conversationId, contactId, acme } = h.seed;
    const channel = fc.oneof(
      fc.constantFrom(`private-conversation-${conversationId}`, `presence-conversation-${conversationId}`, `private-tenant-${acme.tenantId}`, 'private-conversation-99999999999999999999', 'presence-conversation-0', 'private-conversation--1'),
      hostileString,
    );
    const data = fc.oneof(
      fc.record({ message: fc.oneof(fc.constant('hello'), hostileValue), clientMessageId: fc.oneof(fc.uuid(), hostileValue), files: fc.oneof(fc.constant([]), hostileValue) }, { requiredKeys: [] }).map(toJson),
      hostileString,
    );
    const event = fc.record(
      {
        name: fc.oneof(fc.constantFrom('client_event', 'member_added', 'member_removed', 'channel_occupied', 'channel_vacated', 'subscription_count'), hostileString),
        channel,
        event: fc.oneof(fc.constant('client-message'), hostileString),
        data: fc.oneof(data, hostileValue),
        user_id: fc.oneof(fc.constantFrom(`contact-${contactId}`, `user-${acme.adminId}`, 'user-99999999999999999999', 'contact-0'), hostileString),
        socket_id: fc.oneof(fc.constant('1234.5678'), hostileString),
      },
      { requiredKeys: ['name'] },
    );
    const batch = fc
      .tuple(fc.oneof({ weight: 4, arbitrary: fc.constant<unknown>(null) }, { weight: 1, arbitrary: hostileValue }), fc.array(fc.oneof({ weight: 4, arbitrary: event }, { weight: 1, arbitrary: hostileValue }), { minLength: 1, maxLength: 5 }))
      .map(([time, events]) => toJson({ time_ms: time ?? Date.now(), events }));
    await h.run('desk pusher webhooks', batch, (payload) => ({
      method: 'POST',
      url: `${DESK}/conversationmessages/webhooks.json`,
      headers: { 'content-type': 'application/json', ...signPusher(payload) },
      payload,
    }));
  });

  it('answers odd ids and stray parameters on every endpoint with a Desk error', async () => {
    const cases = fc.constantFrom(...endpoints).chain((endpoint) =>
      fc.tuple(fc.constant(endpoint), pathArbitrary(endpoint, h.seed), auth, listQueryArbitrary(undefined), fc.boolean()),
    );
    await h.run('desk paths', cases, ([endpoint, path, authorization, query, withBody]) =>
      request(endpoint, path, authorization, withBody && endpoint.method !== 'GET' ? '{}' : undefined, query),
    );
  });
});
