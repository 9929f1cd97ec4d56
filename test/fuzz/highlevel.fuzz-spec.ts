import fc from 'fast-check';
import { hostileBody } from './support/arbitraries';
import { Endpoint, highLevelEndpoints, pathArbitrary } from './support/endpoints';
import { FuzzHarness, FuzzRequest } from './support/harness';
import { highLevelQueryArbitrary } from './support/queries';

const VERSION = '2021-07-28';

// HighLevel's dialect (/conversations, with its Version header) under hostile bodies, queries and ids.
describe('fuzz: HighLevel dialect', () => {
  const h = new FuzzHarness();
  let endpoints: Endpoint[];
  let auth: fc.Arbitrary<string>;

  beforeAll(async () => {
    await h.start();
    endpoints = highLevelEndpoints(h.seed);
    auth = h.authArbitrary();
  });
  afterAll(() => h.close());

  const request = (endpoint: Endpoint, path: string, authorization: string, payload?: string, query = ''): FuzzRequest => ({
    method: endpoint.method,
    url: query ? `${path}?${query}` : path,
    headers: { authorization, version: VERSION, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    payload,
  });

  it('answers hostile bodies with a HighLevel error and changes nothing', async () => {
    const writes = endpoints.filter((endpoint) => endpoint.body);
    const cases = fc.constantFrom(...writes).chain((endpoint) =>
      fc.tuple(fc.constant(endpoint), pathArbitrary(endpoint, h.seed), auth, hostileBody(endpoint.body!)),
    );
    await h.run('highlevel bodies', cases, ([endpoint, path, authorization, payload]) => request(endpoint, path, authorization, payload));
  });

  it('answers malformed queries and odd ids on every endpoint with a HighLevel error', async () => {
    const cases = fc.constantFrom(...endpoints).chain((endpoint) =>
      fc.tuple(fc.constant(endpoint), pathArbitrary(endpoint, h.seed), auth, highLevelQueryArbitrary(h.seed.acme.locationId)),
    );
    await h.run('highlevel queries and ids', cases, ([endpoint, path, authorization, query]) => request(endpoint, path, authorization, undefined, query));
  });
});
