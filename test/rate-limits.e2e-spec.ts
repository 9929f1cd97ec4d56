import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { describeWith, tool, Tool } from './support/requirements';
import { freePort } from './support/service-process';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { BASE } from './support/desk';
import { createTestApp, createTestAppOn, TestApp } from './support/test-app';

// test/global-setup.ts: the machine's Redis, or one of the run's own (in suites that need 'redis').
const redisUrl = () => tool('redis');
// One hour: a sequence of requests stays inside one window unless it starts in its last seconds.
const WINDOW_MS = 3_600_000;
const LIMITS = {
  DESK_RATE_LIMIT_PER_KEY: '3',
  DESK_RATE_LIMIT_PER_TENANT: '5',
  DESK_RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
  HL_RATE_LIMIT_MAX: '3',
  HL_RATE_LIMIT_INTERVAL_MS: String(WINDOW_MS),
  HL_RATE_LIMIT_DAILY: '5',
};
const HL_VERSION = '2021-07-28';

// Windows are fixed and aligned to multiples of their length: wait out the last seconds of one.
async function insideOneWindow(): Promise<void> {
  const left = WINDOW_MS - (Date.now() % WINDOW_MS);
  if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

// Test runs share one Redis, and every run's databases start their tenants and keys at id 1: each
// app gets its own key prefix.
const freshPrefix = () => `test-${randomBytes(6).toString('hex')}:`;

const modes: [string, Tool[], () => Record<string, string>][] = [
  ['in memory (no REDIS_URL)', [], () => ({})],
  ['in Redis', ['redis'], () => ({ REDIS_URL: redisUrl(), REDIS_KEY_PREFIX: freshPrefix() })],
];

for (const [mode, needs, storeEnv] of modes) describeWith(needs, `rate limits ${mode}`, () => {
  const shared = mode === 'in Redis';
  let env: Record<string, string>;
  let t: TestApp;

  beforeAll(async () => {
    env = { ...LIMITS, ...storeEnv() };
    // Counted in memory, a limit is one process's: under E2E_PROCESSES its requests stay in this one.
    t = await createTestApp(env, { inProcessHttp: !shared });
  });
  // Nothing to close when the app did not start: its own error is the one to read.
  afterAll(() => t?.close());

  const list = (auth: string, app: TestApp = t) => app.http.get(`${BASE}/conversations.json`).set('Authorization', auth);
  const hl = (auth: string, app: TestApp = t) => app.http.get('/conversations/987654321').set('Authorization', auth).set('Version', HL_VERSION);

  describe('Desk dialect', () => {
    it("should count a key's requests down on every answer, then refuse with 429 in the Desk dialect until the window ends", async () => {
      const tenant = await createTenant(t);
      await insideOneWindow();

      for (let n = 1; n <= 3; n++) {
        const before = Date.now();
        const res = await list(tenant.auth);
        expect(res.status).toBe(200);
        expect(res.headers['ratelimit-limit']).toBe('3');
        expect(res.headers['ratelimit-remaining']).toBe(String(3 - n));
        const windowEnd = before - (before % WINDOW_MS) + WINDOW_MS;
        // Seconds from now to the end of the window, rounded up.
        const reset = Number(res.headers['ratelimit-reset']);
        expect(reset).toBeLessThanOrEqual(Math.ceil((windowEnd - before) / 1000));
        expect(reset).toBeGreaterThanOrEqual(Math.floor((windowEnd - Date.now()) / 1000));
        // Teamwork Desk's own headers: the same figures, the reset as a UTC epoch second.
        expect(res.headers['x-rate-limit-limit']).toBe('3');
        expect(res.headers['x-rate-limit-remaining']).toBe(String(3 - n));
        expect(res.headers['x-rate-limit-reset']).toBe(String(windowEnd / 1000));
      }

      const refused = await list(tenant.auth);
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ errors: { _: ['Too many requests: the rate limit of this API key was reached'] } });
      expect(refused.headers['x-error-code']).toBe('RATE_LIMITED');
      expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(refused.headers['retry-after']).toBe(refused.headers['ratelimit-reset']);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(WINDOW_MS / 1000);
      expect(refused.headers['ratelimit-limit']).toBe('3');
      expect(refused.headers['ratelimit-remaining']).toBe('0');
      expect(refused.headers['x-rate-limit-remaining']).toBe('0');
      // Every route an API key authenticates is limited, errors included.
      expect((await t.http.get(`${BASE}/conversations/987654321.json`).set('Authorization', tenant.auth)).status).toBe(429);
    });

    it("should give two keys of one tenant their own key limits but one tenant limit, and not charge the tenant for a key's refusals", async () => {
      const tenant = await createTenant(t);
      const colleague = await createAgent(t, tenant.tenantId);
      await insideOneWindow();

      for (let n = 1; n <= 3; n++) expect((await list(tenant.auth)).status).toBe(200);
      // Refused for the key: the tenant's count stays at 3 of 5.
      for (let n = 1; n <= 4; n++) expect((await list(tenant.auth)).status).toBe(429);

      // The colleague's key has 3 of its own, but the tenant only 2 left: the nearer limit is shown.
      const first = await list(colleague.auth);
      expect(first.status).toBe(200);
      expect([first.headers['ratelimit-limit'], first.headers['ratelimit-remaining']]).toEqual(['5', '1']);
      const second = await list(colleague.auth);
      expect(second.status).toBe(200);
      expect([second.headers['ratelimit-limit'], second.headers['ratelimit-remaining']]).toEqual(['5', '0']);

      const refused = await list(colleague.auth);
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ errors: { _: ['Too many requests: the rate limit of this account (all its API keys together) was reached'] } });
      expect(refused.headers['x-error-code']).toBe('RATE_LIMITED');
      expect([refused.headers['ratelimit-limit'], refused.headers['ratelimit-remaining']]).toEqual(['5', '0']);
      expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    });

    it('should leave another tenant alone', async () => {
      const busy = await createTenant(t);
      const other = await createTenant(t);
      await insideOneWindow();
      for (let n = 1; n <= 4; n++) await list(busy.auth);
      expect((await list(busy.auth)).status).toBe(429);

      const res = await list(other.auth);
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-remaining']).toBe('2');
    });

    it('should write nothing for a refused write', async () => {
      const tenant = await createTenant(t);
      const { contactId } = await createContact(t.db, tenant.tenantId);
      await insideOneWindow();
      for (let n = 1; n <= 3; n++) expect((await list(tenant.auth)).status).toBe(200);

      const refused = await t.http.post(`${BASE}/conversations.json`).set('Authorization', tenant.auth).send({ conversation: { contactId } });
      expect(refused.status).toBe(429);
      expect(refused.body.errors._).toHaveLength(1);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1`, [tenant.tenantId]);
      expect(n).toBe(0);
    });

    it('should not limit or label requests no API key authenticated', async () => {
      const tenant = await createTenant(t);
      await insideOneWindow();
      for (let n = 1; n <= 4; n++) await list(tenant.auth);
      expect((await list(tenant.auth)).status).toBe(429);

      const unauthenticated = await list('Bearer not-a-key');
      expect(unauthenticated.status).toBe(401);
      const health = await t.http.get('/health');
      expect(health.status).toBe(200);
      for (const res of [unauthenticated, health]) {
        expect(res.headers['ratelimit-limit']).toBeUndefined();
        expect(res.headers['x-rate-limit-limit']).toBeUndefined();
      }
    });
  });

  describe('HighLevel dialect', () => {
    it("should count a tenant's requests in its burst and daily windows, refuse with 429, and not count the refusal", async () => {
      const tenant = await createTenant(t);
      const other = await createTenant(t);
      await insideOneWindow();

      for (let n = 1; n <= 3; n++) {
        const res = await hl(tenant.auth);
        expect(res.status).toBe(400);
        expect(res.headers['x-ratelimit-max']).toBe('3');
        expect(res.headers['x-ratelimit-remaining']).toBe(String(3 - n));
        expect(res.headers['x-ratelimit-limit-daily']).toBe('5');
        expect(res.headers['x-ratelimit-daily-remaining']).toBe(String(5 - n));
        expect(res.headers['x-ratelimit-interval-milliseconds']).toBe(String(WINDOW_MS));
      }
      for (let n = 1; n <= 3; n++) {
        const refused = await hl(tenant.auth);
        expect(refused.status).toBe(429);
        expect(refused.body).toEqual({ statusCode: 429, message: expect.any(String), error: 'Too Many Requests' });
        expect(refused.headers['x-error-code']).toBe('HL_RATE_LIMITED');
        expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);
        expect(refused.headers['x-ratelimit-remaining']).toBe('0');
        // The day did not count the refusals.
        expect(refused.headers['x-ratelimit-daily-remaining']).toBe('2');
      }
      // HighLevel's limits are the tenant's, apart from the Desk dialect's.
      expect((await list(tenant.auth)).status).toBe(200);

      const res = await hl(other.auth);
      expect(res.headers['x-ratelimit-remaining']).toBe('2');
      expect(res.headers['x-ratelimit-daily-remaining']).toBe('4');
    });
  });

  describe('two processes of one deployment', () => {
    let second: TestApp;
    beforeAll(async () => {
      // The same database and the same Redis prefix: a second process of the deployment.
      second = await createTestAppOn(t.databaseEnv, env, { inProcessHttp: !shared });
    });
    afterAll(() => second?.close());

    it(shared ? 'should share one Desk limit' : 'should each count its own Desk requests', async () => {
      const tenant = await createTenant(t);
      await insideOneWindow();
      expect((await list(tenant.auth, t)).headers['ratelimit-remaining']).toBe('2');
      expect((await list(tenant.auth, second)).headers['ratelimit-remaining']).toBe(shared ? '1' : '2');
      expect((await list(tenant.auth, t)).headers['ratelimit-remaining']).toBe(shared ? '0' : '1');
      expect((await list(tenant.auth, second)).status).toBe(shared ? 429 : 200);
    });

    it(shared ? "should share one HighLevel tenant's windows" : "should each count its own HighLevel tenant's windows", async () => {
      const tenant = await createTenant(t);
      await insideOneWindow();
      const first = await hl(tenant.auth, t);
      expect([first.headers['x-ratelimit-remaining'], first.headers['x-ratelimit-daily-remaining']]).toEqual(['2', '4']);
      const next = await hl(tenant.auth, second);
      expect([next.headers['x-ratelimit-remaining'], next.headers['x-ratelimit-daily-remaining']]).toEqual(shared ? ['1', '3'] : ['2', '4']);
      await hl(tenant.auth, t);
      expect((await hl(tenant.auth, second)).status).toBe(shared ? 429 : 400);
    });
  });
});

describeWith('redis', 'rate limit store in Redis', () => {
  it('should write every key under the configured prefix', async () => {
    const prefix = freshPrefix();
    const t = await createTestApp({ ...LIMITS, REDIS_URL: redisUrl(), REDIS_KEY_PREFIX: prefix });
    const redis = new Redis(redisUrl());
    try {
      const tenant: TestTenant = await createTenant(t);
      expect((await t.http.get(`${BASE}/conversations.json`).set('Authorization', tenant.auth)).status).toBe(200);
      expect((await t.http.get('/conversations/1').set('Authorization', tenant.auth).set('Version', HL_VERSION)).status).toBe(400);

      const keys = await redis.keys(`*${prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      const names = keys.map((key) => key.split(prefix)[1].split(':')[0]).sort();
      expect([...new Set(names)]).toEqual(['desk-key', 'desk-tenant', 'hl-burst', 'hl-daily']);
    } finally {
      redis.disconnect();
      await t.close();
    }
  });
});

describe('rate limit store without Redis', () => {
  it('should keep serving, unlimited and without delay, when Redis cannot be reached', async () => {
    const bootStart = Date.now();
    // A closed port on loopback.
    const t = await createTestApp({ ...LIMITS, REDIS_URL: 'redis://127.0.0.1:1', REDIS_KEY_PREFIX: freshPrefix() });
    try {
      expect(Date.now() - bootStart).toBeLessThan(15_000);
      const tenant = await createTenant(t);
      const started = Date.now();
      for (let n = 1; n <= 6; n++) {
        const desk = await t.http.get(`${BASE}/conversations.json`).set('Authorization', tenant.auth);
        expect(desk.status).toBe(200);
        expect(desk.headers['ratelimit-remaining']).toBeUndefined();
        const hl = await t.http.get('/conversations/1').set('Authorization', tenant.auth).set('Version', HL_VERSION);
        expect(hl.status).toBe(400);
        expect(hl.headers['x-ratelimit-remaining']).toBeUndefined();
      }
      // Twelve requests, each refused by the closed port at once rather than waiting on it.
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await t.close();
    }
  });
});

// A Redis of its own, started after the app: the redis-server binary.
describeWith('redis-server', 'rate limit store when Redis comes up late', () => {
  it('should count again once Redis comes back', async () => {
    const port = await freePort();
    // One process's reconnection is what is watched: under E2E_PROCESSES its requests stay here.
    const t = await createTestApp({ ...LIMITS, REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: freshPrefix() }, { inProcessHttp: true });
    const redis = spawn(tool('redis-server'), ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    try {
      const tenant = await createTenant(t);
      await insideOneWindow();
      // The service reconnects by itself (every 2 s at most): the limits hold again, headers and all.
      let remaining: string | undefined;
      for (const deadline = Date.now() + 10_000; remaining === undefined && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        remaining = (await t.http.get(`${BASE}/conversations.json`).set('Authorization', tenant.auth)).headers['ratelimit-remaining'];
      }
      expect(remaining).toBe('2');
      await t.http.get(`${BASE}/conversations.json`).set('Authorization', tenant.auth);
      await t.http.get(`${BASE}/conversations.json`).set('Authorization', tenant.auth);
      expect((await t.http.get(`${BASE}/conversations.json`).set('Authorization', tenant.auth)).status).toBe(429);
    } finally {
      redis.kill();
      await t.close();
    }
  });
});
