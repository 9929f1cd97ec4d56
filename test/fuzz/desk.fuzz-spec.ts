import fc from 'fast-check';
import { hostileBody } from './support/arbitraries';
import { deskEndpoints, Endpoint, pathArbitrary, signPusher } from './support/endpoints';
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
    const { acme, agent, globex } = h.seed;
    auth = fc.oneof({ weight: 8, arbitrary: fc.constant(acme.auth) }, { weight: 1, arbitrary: fc.constant(agent.auth) }, { weight: 1, arbitrary: fc.constant(globex.auth) });
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
      fc.tuple(fc.constant(endpoint), pathArbitrary(endpoint, h.seed), auth, hostileBody(endpoint.body!, endpoint.envelope)),
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

  it('answers odd ids and stray parameters on every endpoint with a Desk error', async () => {
    const cases = fc.constantFrom(...endpoints).chain((endpoint) =>
      fc.tuple(fc.constant(endpoint), pathArbitrary(endpoint, h.seed), auth, listQueryArbitrary(undefined), fc.boolean()),
    );
    await h.run('desk paths', cases, ([endpoint, path, authorization, query, withBody]) =>
      request(endpoint, path, authorization, withBody && endpoint.method !== 'GET' ? '{}' : undefined, query),
    );
  });
});
