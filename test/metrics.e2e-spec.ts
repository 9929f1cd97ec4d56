import { createHmac, randomBytes } from 'node:crypto';
import { BASE } from './support/desk';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const METRICS_TOKEN = `metrics-${randomBytes(16).toString('hex')}`;
const PUSHER = { PUSHER_APP_ID: '1', PUSHER_KEY: 'metrics-key', PUSHER_SECRET: `pusher-${randomBytes(16).toString('hex')}` };
const HL_MAX = 3;
// An hour: the burst window the HighLevel requests below count in (10 s by default could end midway).
const HL_INTERVAL_MS = 3_600_000;
const WEBHOOKS = `${BASE}/conversationmessages/webhooks.json`;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// Prometheus' text format, the sample lines only.
function parseMetrics(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]));
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('GET /metrics', () => {
  describe('without METRICS_TOKEN', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t.close());

    it('should answer 404 as for an unknown route when no token is configured, whatever is sent', async () => {
      for (const auth of [undefined, 'Bearer anything-at-all-here']) {
        const req = t.http.get('/metrics');
        const res = await (auth ? req.set('Authorization', auth) : req);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ statusCode: 404, message: 'Cannot GET /metrics', error: 'Not Found' });
      }
    });

    it('should still document /metrics, with its 404 for metrics that are off', async () => {
      const res = await t.http.get('/docs-json');
      expect(res.status).toBe(200);
      expect(res.body.paths['/metrics'].get.responses['404'].description).toBe('METRICS_TOKEN is not set: metrics are off');
    });
  });

  describe('with METRICS_TOKEN', () => {
    let t: TestApp;
    let acme: TestTenant;
    const scrape = async (): Promise<Sample[]> => {
      const res = await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
      expect(res.status).toBe(200);
      return parseMetrics(res.text);
    };

    beforeAll(async () => {
      // Each process has its own numbers (and its own in-memory limits): under E2E_PROCESSES these
      // requests stay in the process whose /metrics the tests read.
      t = await createTestApp({ METRICS_TOKEN, ...PUSHER, HL_RATE_LIMIT_MAX: String(HL_MAX), HL_RATE_LIMIT_INTERVAL_MS: String(HL_INTERVAL_MS) }, { inProcessHttp: true });
      acme = await createTenant(t, 'Acme');
    });
    afterAll(() => t.close());

    it('should answer 401 without the token or with a wrong one, and 200 in the Prometheus format with it', async () => {
      const cases: [string, string | undefined][] = [
        ['no Authorization', undefined],
        ['a wrong token', `Bearer ${METRICS_TOKEN.slice(0, -1)}x`],
        ['the token with a suffix', `Bearer ${METRICS_TOKEN}x`],
        ['the token as Basic', `Basic ${Buffer.from(`${METRICS_TOKEN}:`).toString('base64')}`],
        ['an API key', acme.auth],
      ];
      for (const [label, auth] of cases) {
        const req = t.http.get('/metrics');
        const res = await (auth ? req.set('Authorization', auth) : req);
        expect({ label, status: res.status, body: res.body }).toEqual({
          label,
          status: 401,
          body: { statusCode: 401, message: 'a valid metrics token is required', error: 'Unauthorized' },
        });
      }
      const res = await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(res.text).toContain('# TYPE helpdesk_http_requests_total counter');
      // prom-client's process metrics.
      expect(valueOf(parseMetrics(res.text), 'helpdesk_process_resident_memory_bytes')).toBeGreaterThan(0);
    });

    it('should count and time requests by route pattern and status, never by the URL with its ids', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const created = await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId });
      expect(created.status).toBe(201);
      const id = created.body.conversation.id;
      const before = await scrape();
      const route = '/desk/api/v2/conversations/:id.json';
      const ok = (s: Sample[]) => valueOf(s, 'helpdesk_http_requests_total', { method: 'GET', route, status: '200' }) ?? 0;
      const missing = (s: Sample[]) => valueOf(s, 'helpdesk_http_requests_total', { method: 'GET', route, status: '404' }) ?? 0;

      for (let i = 0; i < 3; i++) expect((await t.http.get(`${BASE}/conversations/${id}.json`).set('Authorization', acme.auth)).status).toBe(200);
      expect((await t.http.get(`${BASE}/conversations/${id + 1000}.json`).set('Authorization', acme.auth)).status).toBe(404);
      expect((await t.http.get('/no/such/route/42')).status).toBe(404);

      const after = await scrape();
      expect(ok(after) - ok(before)).toBe(3);
      expect(missing(after) - missing(before)).toBe(1);
      expect(valueOf(after, 'helpdesk_http_request_duration_seconds_count', { method: 'GET', route, status: '200' })).toBe(ok(after));
      expect(valueOf(after, 'helpdesk_http_request_duration_seconds_bucket', { method: 'GET', route, status: '200', le: '+Inf' })).toBe(ok(after));
      expect(valueOf(after, 'helpdesk_http_requests_total', { method: 'POST', route: '/desk/api/v2/conversations.json', status: '201' })).toBeGreaterThanOrEqual(1);
      expect(valueOf(after, 'helpdesk_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
      // No series names a URL with an id in it, and the scrapes themselves are not counted.
      const routes = new Set(after.flatMap((s) => (s.labels.route ? [s.labels.route] : [])));
      expect([...routes].filter((r) => /\d/.test(r.replace('/api/v2/', '')))).toEqual([]);
      expect(routes).not.toContain('/metrics');
    });

    it('should count HighLevel requests and its rate-limit rejections by dialect and scope', async () => {
      const globex = await createTenant(t, 'Globex');
      // The burst window is fixed and aligned to its length: the requests must not straddle two.
      const left = HL_INTERVAL_MS - (Date.now() % HL_INTERVAL_MS);
      if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
      const before = await scrape();
      const statuses: number[] = [];
      for (let i = 0; i < HL_MAX + 2; i++) {
        const res = await t.http.get('/conversations/search').query({ locationId: globex.locationId }).set({ Authorization: globex.auth, Version: '2021-07-28' });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const after = await scrape();
      const rejections = (s: Sample[]) => valueOf(s, 'helpdesk_rate_limit_rejections_total', { dialect: 'highlevel', scope: 'tenant' }) ?? 0;
      expect(rejections(after) - rejections(before)).toBe(2);
      // The Desk limiter's series exist before its first rejection, so rate() works from the start.
      expect(valueOf(after, 'helpdesk_rate_limit_rejections_total', { dialect: 'desk', scope: 'api_key' })).toBe(0);
      const requests = (s: Sample[], status: string) => valueOf(s, 'helpdesk_http_requests_total', { method: 'GET', route: '/conversations/search', status }) ?? 0;
      expect(requests(after, '200') - requests(before, '200')).toBe(3);
      expect(requests(after, '429') - requests(before, '429')).toBe(2);
    });

    it('should count webhook events by kind and outcome: created, applied, duplicate, ignored', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const conversation = (await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId })).body.conversation;
      const channel = `private-conversation-${conversation.id}`;
      const events = [
        { name: 'client_event', channel, event: 'client-message', data: JSON.stringify({ message: 'Hi', clientMessageId: `m-${Date.now()}` }), socket_id: '1.2' },
        { name: 'channel_occupied', channel },
        { name: 'client_event', channel: 'private-conversation-999999999', event: 'client-message', data: JSON.stringify({ message: 'lost', clientMessageId: 'x' }) },
        { name: 'cache_miss', channel },
      ];
      const raw = JSON.stringify({ time_ms: Date.now(), events });
      const send = () =>
        t.http
          .post(WEBHOOKS)
          .set({ 'Content-Type': 'application/json', 'X-Pusher-Key': PUSHER.PUSHER_KEY, 'X-Pusher-Signature': createHmac('sha256', PUSHER.PUSHER_SECRET).update(raw).digest('hex') })
          .send(raw);
      const before = await scrape();
      const first = await send();
      expect(first.status).toBe(201);
      expect(first.body.meta).toEqual({ received: 4, created: 1, applied: 1, duplicates: 0, ignored: 2, conflicts: 0 });
      expect((await send()).body.meta).toEqual({ received: 4, created: 0, applied: 0, duplicates: 4, ignored: 0, conflicts: 0 });
      const after = await scrape();

      const delta = (kind: string, outcome: string) =>
        (valueOf(after, 'helpdesk_webhook_events_total', { kind, outcome }) ?? 0) - (valueOf(before, 'helpdesk_webhook_events_total', { kind, outcome }) ?? 0);
      expect({
        messageCreated: delta('message', 'created'),
        messageDuplicate: delta('message', 'duplicate'),
        occupancyApplied: delta('occupancy', 'applied'),
        occupancyDuplicate: delta('occupancy', 'duplicate'),
        // A message for a conversation that does not exist: classified as a message, then ignored.
        messageIgnored: delta('message', 'ignored'),
        otherIgnored: delta('other', 'ignored'),
        otherDuplicate: delta('other', 'duplicate'),
      }).toEqual({ messageCreated: 1, messageDuplicate: 2, occupancyApplied: 1, occupancyDuplicate: 1, messageIgnored: 1, otherIgnored: 1, otherDuplicate: 1 });
      // What the counters say is what the database holds.
      const [{ count }] = await t.db.query(`SELECT count(*)::int FROM conversation_messages WHERE tenant_id = $1 AND conversation_id = $2`, [acme.tenantId, conversation.id]);
      expect(count).toBe(1);
    });

    it('should report the outbox backlog and the age of its oldest undelivered live update, across tenants', async () => {
      const globex = await createTenant(t, 'Globex outbox');
      // Not due for a day, so the dispatcher leaves them where they are.
      const insert = (tenantId: number, age: string) =>
        t.db.query(
          `INSERT INTO outbox (tenant_id, topic, payload, created_at, available_at)
           VALUES ($1, 'pusher', '{"event":"x","channels":["private-conversation-1"],"data":{}}', now() - $2::interval, now() + interval '1 day')`,
          [tenantId, age],
        );
      await insert(acme.tenantId, '2 hours');
      await insert(globex.tenantId, '5 minutes');
      // Delivered, given up, or of another topic: not backlog.
      await t.db.query(`INSERT INTO outbox (tenant_id, topic, payload, created_at, delivered_at) VALUES ($1, 'pusher', '{}', now() - interval '3 hours', now())`, [acme.tenantId]);
      await t.db.query(`INSERT INTO outbox (tenant_id, topic, payload, created_at, failed_at) VALUES ($1, 'pusher', '{}', now() - interval '3 hours', now())`, [acme.tenantId]);
      await t.db.query(`INSERT INTO outbox (tenant_id, topic, payload, created_at) VALUES ($1, 'email', '{}', now() - interval '3 hours')`, [acme.tenantId]);

      const [{ count }] = await t.db.query(`SELECT count(*)::int FROM outbox WHERE topic = 'pusher' AND delivered_at IS NULL AND failed_at IS NULL`);
      expect(count).toBeGreaterThanOrEqual(2);
      const samples = await scrape();
      expect(valueOf(samples, 'helpdesk_outbox_backlog')).toBe(count);
      const age = valueOf(samples, 'helpdesk_outbox_oldest_age_seconds')!;
      expect(age).toBeGreaterThanOrEqual(7200);
      expect(age).toBeLessThan(7200 + 600);

      await t.db.query(`UPDATE outbox SET delivered_at = now() WHERE topic = 'pusher' AND delivered_at IS NULL`);
      const drained = await scrape();
      expect(valueOf(drained, 'helpdesk_outbox_backlog')).toBe(0);
      expect(valueOf(drained, 'helpdesk_outbox_oldest_age_seconds')).toBe(0);
    });

    it("should report the database pool's connections in use and idle, and the queries waiting", async () => {
      const samples = await scrape();
      const inUse = valueOf(samples, 'helpdesk_db_pool_connections', { state: 'in_use' });
      const idle = valueOf(samples, 'helpdesk_db_pool_connections', { state: 'idle' });
      expect(inUse).toBeGreaterThanOrEqual(0);
      expect(idle).toBeGreaterThanOrEqual(0);
      expect(inUse! + idle!).toBeGreaterThanOrEqual(1);
      expect(inUse! + idle!).toBeLessThanOrEqual(10);
      // The scrape's own outbox query may be waiting for its connection.
      expect(valueOf(samples, 'helpdesk_db_pool_waiting')).toBeGreaterThanOrEqual(0);
    });

    it('should keep its series apart from those of another app in the same process', async () => {
      const other = await createTestApp({ METRICS_TOKEN }, { inProcessHttp: true });
      try {
        const res = await other.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
        expect(res.status).toBe(200);
        expect(valueOf(parseMetrics(res.text), 'helpdesk_http_requests_total', { route: '/conversations/search' })).toBeUndefined();
      } finally {
        await other.close();
      }
    });
  });

  describe('with the Desk rate limits reached', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ METRICS_TOKEN, DESK_RATE_LIMIT_PER_KEY: '2', DESK_RATE_LIMIT_PER_TENANT: '3' }, { inProcessHttp: true });
    });
    afterAll(() => t.close());

    it('should count Desk 429s by what refused them: the API key, then the tenant', async () => {
      const acme = await createTenant(t, 'Acme');
      const colleague = await createAgent(t, acme.tenantId);
      const me = (auth: string) => t.http.get(`${BASE}/me.json`).set('Authorization', auth);
      const statuses = [];
      // The admin's key: 2 allowed, then refused for the key (not charged to the tenant); the
      // colleague's: the tenant's third request, then refused for the tenant.
      for (const auth of [acme.auth, acme.auth, acme.auth, acme.auth, colleague.auth, colleague.auth]) statuses.push((await me(auth)).status);
      expect(statuses).toEqual([200, 200, 429, 429, 200, 429]);
      const samples = parseMetrics((await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`)).text);
      expect(valueOf(samples, 'helpdesk_rate_limit_rejections_total', { dialect: 'desk', scope: 'api_key' })).toBe(2);
      expect(valueOf(samples, 'helpdesk_rate_limit_rejections_total', { dialect: 'desk', scope: 'tenant' })).toBe(1);
      expect(valueOf(samples, 'helpdesk_rate_limit_rejections_total', { dialect: 'highlevel', scope: 'tenant' })).toBe(0);
    });
  });
});
