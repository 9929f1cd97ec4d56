import { readFileSync } from 'node:fs';
import { WebhookSecrets } from '../apps/api/src/webhooks/webhook-secrets';
import { BASE, ISO } from './support/desk';
import { createAgent, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

// Receivers on a closed loopback port, allowlisted: whatever a dispatcher does with these
// subscriptions' deliveries, nothing leaves the machine and nothing answers.
const HOOK = 'https://127.0.0.1:1/hooks';
const SECRET = /^whsec_[A-Za-z0-9+/]{32}$/;
const WEBHOOK_FIELDS = [
  'createdAt',
  'createdBy',
  'disabledAt',
  'disabledReason',
  'events',
  'failingSince',
  'id',
  'previousSecretExpiresAt',
  'state',
  'updatedAt',
  'updatedBy',
  'url',
];
const ADMIN_ONLY = { errors: { _: ['only an admin may manage webhooks'] } };

describe('Webhook subscriptions (Desk v2)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;
  let agent: { id: number; auth: string };
  let secrets: WebhookSecrets;

  beforeAll(async () => {
    t = await createTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
    agent = await createAgent(t, acme.tenantId);
    secrets = t.app.get(WebhookSecrets);
  });
  afterAll(() => t.close());

  const call = (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: unknown, auth = acme.auth) => {
    const req = t.http[method](`${BASE}/${path}`).set('Authorization', auth);
    return body === undefined ? req : req.send(body as object);
  };
  const create = async (body: Record<string, unknown> = {}, auth = acme.auth) => {
    const res = await call('post', 'webhooks.json', { webhook: { url: HOOK, events: ['*'], ...body } }, auth);
    expect(res.status).toBe(201);
    return res.body.webhook as { id: number; secret: string } & Record<string, unknown>;
  };
  const subscriptionRow = async (id: number) => (await t.db.query(`SELECT * FROM webhook_subscriptions WHERE id = $1`, [id]))[0];
  const deliveryRows = async (subscriptionId: number) =>
    t.db.query(`SELECT * FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY id`, [subscriptionId]);
  const countSubscriptions = async (): Promise<number> =>
    (await t.db.query(`SELECT count(*)::int AS n FROM webhook_subscriptions WHERE tenant_id = $1`, [acme.tenantId]))[0].n;
  // Arranged as the fan-out and the dispatcher would leave them.
  const insertDelivery = async (subscriptionId: number, values: Record<string, unknown>) => {
    const row = { message_id: `msg_${Math.random().toString(36).slice(2)}`, event: 'message.created', payload: { type: 'message.created', data: { id: 1 } }, ...values };
    const columns = Object.keys(row);
    const [{ id }] = await t.db.query(
      `INSERT INTO webhook_deliveries (tenant_id, subscription_id, ${columns.join(', ')})
       VALUES ($1, $2, ${columns.map((_, i) => `$${i + 3}`).join(', ')}) RETURNING id`,
      [acme.tenantId, subscriptionId, ...Object.values(row).map((v) => (typeof v === 'object' && v !== null && !(v instanceof Date) ? JSON.stringify(v) : v))],
    );
    return id as number;
  };

  describe('create, read, list', () => {
    it('should create a subscription, answer its secret once and store it only sealed', async () => {
      const res = await call('post', 'webhooks.json', { webhook: { url: HOOK, events: ['ticket.created', 'message.created', 'ticket.created'], id: 5, createdAt: '2001-01-01T00:00:00Z' } });
      expect(res.status).toBe(201);
      const webhook = res.body.webhook;
      expect(Object.keys(webhook).sort()).toEqual([...WEBHOOK_FIELDS, 'secret'].sort());
      expect(webhook).toMatchObject({
        url: HOOK,
        events: ['ticket.created', 'message.created'],
        state: 'active',
        disabledReason: null,
        disabledAt: null,
        failingSince: null,
        previousSecretExpiresAt: null,
        createdBy: { id: acme.adminId, type: 'users' },
      });
      expect(webhook.id).not.toBe(5);
      expect(webhook.createdAt).toMatch(ISO);
      expect(webhook.secret).toMatch(SECRET);
      const row = await subscriptionRow(webhook.id);
      expect(row).toMatchObject({ tenant_id: acme.tenantId, url: HOOK, events: ['ticket.created', 'message.created'], state: 'active', created_by: acme.adminId });
      expect(row.secret_sealed).not.toContain(webhook.secret.slice(6));
      expect(secrets.open(row.secret_sealed)).toBe(webhook.secret);

      const read = await call('get', `webhooks/${webhook.id}.json`);
      expect(read.status).toBe(200);
      expect(Object.keys(read.body.webhook).sort()).toEqual(WEBHOOK_FIELDS);
      expect(JSON.stringify(read.body)).not.toContain(webhook.secret);
    });

    it('should list the tenant’s subscriptions in the list language, never a secret, never a deleted one', async () => {
      const first = await create({ events: ['conversation.created'] });
      const second = await create({ state: 'disabled' });
      const gone = await create();
      expect((await call('delete', `webhooks/${gone.id}.json`)).status).toBe(204);
      await create({}, globex.auth);

      const all = await call('get', 'webhooks.json?pageSize=100');
      expect(all.status).toBe(200);
      const ids = all.body.webhooks.map((w: { id: number }) => w.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(ids).toEqual(expect.arrayContaining([first.id, second.id]));
      expect(ids).not.toContain(gone.id);
      expect(all.body.meta.page).toMatchObject({ count: ids.length, hasMore: false });
      for (const secret of [first.secret, second.secret]) expect(JSON.stringify(all.body)).not.toContain(secret);

      const disabled = await call('get', `webhooks.json?filter=${encodeURIComponent(JSON.stringify({ state: 'disabled' }))}&orderMode=desc&fields=url,state`);
      expect(disabled.status).toBe(200);
      expect(disabled.body.webhooks).toEqual([{ id: second.id, url: HOOK, state: 'disabled' }]);
      const badFilter = await call('get', `webhooks.json?filter=${encodeURIComponent(JSON.stringify({ state: 'deleted' }))}`);
      expect(badFilter.status).toBe(400);
    });

    it('should answer 400 with the field errors and its code for a bad body, and write nothing', async () => {
      const before = await countSubscriptions();
      const cases: [unknown, string[], string][] = [
        [{ events: [] }, ['events', 'url'], 'VALIDATION_FAILED'],
        [{ url: HOOK, events: ['ticket.deleted', 'webhook.test'], state: 'deleted', secret: 'whsec_mine' }, ['events', 'secret', 'state'], 'VALIDATION_FAILED'],
        [{ url: 42, events: 'ticket.created' }, ['events', 'url'], 'VALIDATION_FAILED'],
        [{ url: 'example.test/hook', events: ['*'] }, ['url'], 'WEBHOOK_URL_INVALID'],
        [{ url: 'http://127.0.0.1:1/hook', events: ['*'] }, ['url'], 'WEBHOOK_URL_INVALID'],
        [{ url: 'ftp://127.0.0.1/hook', events: ['*'] }, ['url'], 'WEBHOOK_URL_INVALID'],
        [{ url: 'https://user:pass@127.0.0.1:1/hook', events: ['*'] }, ['url'], 'WEBHOOK_URL_INVALID'],
        [{ url: `${HOOK}?${'x'.repeat(2048)}`, events: ['*'] }, ['url'], 'WEBHOOK_URL_INVALID'],
        // Where the host resolves, not only what the URL says: none of these is on the allowlist.
        [{ url: 'https://10.0.0.1/hook', events: ['*'] }, ['url'], 'WEBHOOK_URL_INVALID'],
        [{ url: 'https://169.254.169.254/latest/meta-data', events: ['*'] }, ['url'], 'WEBHOOK_URL_INVALID'],
        [{ url: 'https://127.0.0.2:1/hook', events: ['*'] }, ['url'], 'WEBHOOK_URL_INVALID'],
        [{ url: 'https://[::1]:1/hook', events: ['*'] }, ['url'], 'WEBHOOK_URL_INVALID'],
        [{ url: 'https://[::ffff:10.0.0.1]/hook', events: ['*'] }, ['url'], 'WEBHOOK_URL_INVALID'],
        [{ url: HOOK, events: Array.from({ length: 51 }, () => '*') }, ['events'], 'VALIDATION_FAILED'],
      ];
      for (const [body, fields, code] of cases) {
        const res = await call('post', 'webhooks.json', body);
        expect({ body, status: res.status, code: res.headers['x-error-code'], fields: Object.keys(res.body.errors ?? {}).sort() }).toEqual({ body, status: 400, code, fields });
      }
      const http = await call('post', 'webhooks.json', { url: 'http://127.0.0.1:1/hook', events: ['*'] });
      expect(http.body.errors.url).toEqual(['must be an https URL']);
      const metadata = await call('post', 'webhooks.json', { url: 'https://169.254.169.254/latest/meta-data', events: ['*'] });
      expect(metadata.body.errors.url[0]).toMatch(/169\.254\.169\.254.*not a public address/);
      expect(await countSubscriptions()).toBe(before);
    });
  });

  describe('update and delete', () => {
    it('should change only the given properties, and re-enabling should forget why it was disabled', async () => {
      const webhook = await create({ events: ['ticket.created'] });
      const disabled = await call('patch', `webhooks/${webhook.id}.json`, { webhook: { state: 'disabled' } });
      expect(disabled.status).toBe(200);
      expect(disabled.body.webhook).toMatchObject({ state: 'disabled', disabledReason: 'disabled by an admin', url: HOOK, events: ['ticket.created'] });
      expect(disabled.body.webhook.disabledAt).toMatch(ISO);
      expect(disabled.body.webhook.secret).toBeUndefined();

      // As the dispatcher leaves a subscription it gave up on.
      await t.db.query(`UPDATE webhook_subscriptions SET disabled_reason = 'the receiver answered 410 Gone', failing_since = now() - interval '1 day' WHERE id = $1`, [webhook.id]);
      const url = 'https://127.0.0.1:1/other';
      const enabled = await call('patch', `webhooks/${webhook.id}.json`, { url, events: ['message.created', 'ticket.updated', 'message.created'], state: 'active' });
      expect(enabled.status).toBe(200);
      expect(enabled.body.webhook).toMatchObject({ url, events: ['message.created', 'ticket.updated'], state: 'active', disabledReason: null, disabledAt: null, failingSince: null });
      expect(await subscriptionRow(webhook.id)).toMatchObject({ url, state: 'active', disabled_reason: null, disabled_at: null, failing_since: null, updated_by: acme.adminId });

      const invalid = await call('patch', `webhooks/${webhook.id}.json`, { url: 'http://127.0.0.1:1/', events: [] });
      expect(invalid.status).toBe(400);
      expect(Object.keys(invalid.body.errors)).toEqual(['events']);
      const badUrl = await call('patch', `webhooks/${webhook.id}.json`, { url: 'http://127.0.0.1:1/' });
      expect([badUrl.status, badUrl.headers['x-error-code']]).toEqual([400, 'WEBHOOK_URL_INVALID']);
      expect((await subscriptionRow(webhook.id)).url).toBe(url);

      // Nothing given, nothing changed: updatedAt stays.
      const before = (await subscriptionRow(webhook.id)).updated_at;
      expect((await call('patch', `webhooks/${webhook.id}.json`, { events: ['message.created', 'ticket.updated'] })).status).toBe(200);
      expect((await subscriptionRow(webhook.id)).updated_at).toEqual(before);
    });

    it('should delete it (404 afterwards) and fail its pending deliveries in the same transaction', async () => {
      const webhook = await create({ state: 'disabled' });
      const pending = await insertDelivery(webhook.id, {});
      const delivered = await insertDelivery(webhook.id, { status: 'delivered', next_attempt_at: null, delivered_at: new Date(), attempts: 1, last_status_code: 200 });
      const claimed = await insertDelivery(webhook.id, { claimed_by: 'process-1', attempts: 2 });
      expect((await call('delete', `webhooks/${webhook.id}.json`)).status).toBe(204);

      const rows = await deliveryRows(webhook.id);
      const byId = new Map(rows.map((r: { id: number }) => [r.id, r]));
      for (const id of [pending, claimed]) {
        expect(byId.get(id)).toMatchObject({ status: 'failed', next_attempt_at: null, claimed_by: null, last_error: 'subscription deleted' });
      }
      expect(byId.get(delivered)).toMatchObject({ status: 'delivered', last_error: null });
      expect((await subscriptionRow(webhook.id)).state).toBe('deleted');
      for (const path of [`webhooks/${webhook.id}.json`, `webhooks/${webhook.id}/deliveries.json`]) {
        const res = await call('get', path);
        expect([res.status, res.headers['x-error-code']]).toEqual([404, 'WEBHOOK_NOT_FOUND']);
      }
      expect((await call('delete', `webhooks/${webhook.id}.json`)).status).toBe(404);
      expect((await call('patch', `webhooks/${webhook.id}.json`, { state: 'active' })).status).toBe(404);
    });
    it('should leave no pending delivery to a subscription deleted while pings race it', async () => {
      const webhook = await create();
      const ping = () => call('post', `webhooks/${webhook.id}/test.json`);
      const results = await Promise.all([ping(), ping(), ping(), call('delete', `webhooks/${webhook.id}.json`), ping(), ping(), ping()]);
      const statuses = results.map((r) => r.status);
      expect(statuses[3]).toBe(204);
      for (const status of [...statuses.slice(0, 3), ...statuses.slice(4)]) expect([202, 404]).toContain(status);
      const rows: { status: string; last_error: string | null }[] = await deliveryRows(webhook.id);
      expect(rows).toHaveLength(statuses.filter((status) => status === 202).length);
      for (const row of rows) expect(row).toMatchObject({ status: 'failed', last_error: 'subscription deleted' });
    });
  });

  describe('secret rotation', () => {
    it('should answer a new secret once and keep the previous one signing for 24 hours', async () => {
      const webhook = await create();
      const res = await call('post', `webhooks/${webhook.id}/secret.json`);
      expect(res.status).toBe(200);
      const rotated = res.body.webhook;
      expect(rotated.secret).toMatch(SECRET);
      expect(rotated.secret).not.toBe(webhook.secret);
      const expiresIn = Date.parse(rotated.previousSecretExpiresAt) - Date.now();
      expect(expiresIn).toBeGreaterThan(23.9 * 3600_000);
      expect(expiresIn).toBeLessThanOrEqual(24 * 3600_000);

      const row = await subscriptionRow(webhook.id);
      expect(secrets.open(row.secret_sealed)).toBe(rotated.secret);
      expect(secrets.open(row.previous_secret_sealed)).toBe(webhook.secret);
      expect(row.previous_secret_expires_at.toISOString()).toBe(rotated.previousSecretExpiresAt);

      const read = await call('get', `webhooks/${webhook.id}.json`);
      expect(read.body.webhook.previousSecretExpiresAt).toBe(rotated.previousSecretExpiresAt);
      expect(JSON.stringify(read.body)).not.toMatch(/whsec_/);

      // A second rotation: the secret it replaces is the one signing now; the first is gone.
      const again = (await call('post', `webhooks/${webhook.id}/secret.json`)).body.webhook;
      const twice = await subscriptionRow(webhook.id);
      expect(secrets.open(twice.secret_sealed)).toBe(again.secret);
      expect(secrets.open(twice.previous_secret_sealed)).toBe(rotated.secret);
    });

    it('should replay a creation or a rotation by its Idempotency-Key without the secret, which is never stored unsealed', async () => {
      const before = await countSubscriptions();
      const keyed = (path: string, key: string, body?: object) => {
        const req = t.http.post(`${BASE}/${path}`).set('Authorization', acme.auth).set('Idempotency-Key', key);
        return body ? req.send(body) : req;
      };
      const key = `create-${Date.now()}`;
      const created = await keyed('webhooks.json', key, { url: HOOK, events: ['*'] });
      const replayed = await keyed('webhooks.json', key, { url: HOOK, events: ['*'] });
      expect([created.status, replayed.status, replayed.headers['idempotent-replayed']]).toEqual([201, 201, 'true']);
      expect(created.body.webhook.secret).toMatch(SECRET);
      expect(replayed.body.webhook).toEqual({ ...created.body.webhook, secret: null });
      expect(await countSubscriptions()).toBe(before + 1);

      const id = created.body.webhook.id;
      const rotated = await keyed(`webhooks/${id}/secret.json`, `rotate-${id}`);
      const again = await keyed(`webhooks/${id}/secret.json`, `rotate-${id}`);
      expect([rotated.status, again.status, again.body.webhook.secret]).toEqual([200, 200, null]);
      const row = await subscriptionRow(id);
      expect(secrets.open(row.secret_sealed)).toBe(rotated.body.webhook.secret);
      expect(secrets.open(row.previous_secret_sealed)).toBe(created.body.webhook.secret);
      const stored = JSON.stringify(await t.db.query(`SELECT * FROM idempotency_keys`));
      for (const secret of [created.body.webhook.secret, rotated.body.webhook.secret]) expect(stored).not.toContain(secret.slice(6));
    });

    it('should keep every secret it handed out out of the log, even one a client puts in a URL', async () => {
      // An app of its own, closed (its log flushed) before the log is read.
      const own = await createTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }, { inProcessHttp: true });
      let handedOut: string[];
      try {
        const tenant = await createTenant(own, 'Logged');
        const created = await own.http.post(`${BASE}/webhooks.json`).set('Authorization', tenant.auth).send({ url: HOOK, events: ['*'] });
        const rotated = await own.http.post(`${BASE}/webhooks/${created.body.webhook.id}/secret.json`).set('Authorization', tenant.auth);
        handedOut = [created.body.webhook.secret, rotated.body.webhook.secret];
        const filter = encodeURIComponent(JSON.stringify({ url: rotated.body.webhook.secret }));
        expect((await own.http.get(`${BASE}/webhooks.json?filter=${filter}`).set('Authorization', tenant.auth)).status).toBe(200);
      } finally {
        await own.close();
      }
      const log = readFileSync(own.logFile!, 'utf8');
      expect(log).toContain('whsec_[REDACTED]');
      for (const secret of handedOut) {
        expect(secret).toMatch(SECRET);
        expect(log).not.toContain(secret.slice(6));
        expect(log).not.toContain(encodeURIComponent(secret.slice(6)));
      }
    });
  });

  describe('deliveries', () => {
    it('should list a subscription’s deliveries newest first, filtered and paged by cursor', async () => {
      const webhook = await create({ state: 'disabled' });
      const other = await create({ state: 'disabled' });
      const failed = await insertDelivery(webhook.id, {
        status: 'failed',
        next_attempt_at: null,
        attempts: 9,
        last_status_code: 500,
        last_duration_ms: 31,
        last_response: 'boom',
        last_error: 'the receiver answered 500',
        last_attempt_at: new Date(),
      });
      const delivered = await insertDelivery(webhook.id, { event: 'ticket.created', status: 'delivered', next_attempt_at: null, attempts: 1, last_status_code: 204, delivered_at: new Date() });
      const pending = await insertDelivery(webhook.id, { message_id: 'msg_pending' });
      await insertDelivery(other.id, {});

      const res = await call('get', `webhooks/${webhook.id}/deliveries.json`);
      expect(res.status).toBe(200);
      expect(res.body.deliveries.map((d: { id: number }) => d.id)).toEqual([pending, delivered, failed]);
      expect(res.body.deliveries[2]).toEqual({
        id: failed,
        webhookId: expect.stringMatching(/^msg_/),
        webhook: { id: webhook.id, type: 'webhooks' },
        event: 'message.created',
        status: 'failed',
        attempts: 9,
        lastStatusCode: 500,
        lastDurationMs: 31,
        lastResponse: 'boom',
        lastError: 'the receiver answered 500',
        lastAttemptAt: expect.stringMatching(ISO),
        nextAttemptAt: null,
        createdAt: expect.stringMatching(ISO),
        deliveredAt: null,
      });
      expect(res.body.deliveries[0]).toMatchObject({ webhookId: 'msg_pending', status: 'pending', nextAttemptAt: expect.stringMatching(ISO) });

      const filter = encodeURIComponent(JSON.stringify({ status: { $in: ['delivered', 'failed'] } }));
      const firstPage = await call('get', `webhooks/${webhook.id}/deliveries.json?filter=${filter}&pageSize=1&fields=status,lastStatusCode`);
      expect(firstPage.body.deliveries).toEqual([{ id: delivered, status: 'delivered', lastStatusCode: 204 }]);
      expect(firstPage.body.meta.page).toMatchObject({ count: 2, hasMore: true });
      const next = await call('get', `webhooks/${webhook.id}/deliveries.json?filter=${filter}&pageSize=1&cursor=${firstPage.body.meta.page.nextCursor}`);
      expect(next.body.deliveries.map((d: { id: number }) => d.id)).toEqual([failed]);
      // A cursor belongs to its subscription's list.
      expect((await call('get', `webhooks/${other.id}/deliveries.json?filter=${filter}&pageSize=1&cursor=${firstPage.body.meta.page.nextCursor}`)).status).toBe(400);
      expect((await call('get', `webhooks/${webhook.id}/deliveries.json?orderBy=event`)).status).toBe(400);
    });

    it('should queue a ping as a pending delivery of no lane, answered 202', async () => {
      const webhook = await create();
      const res = await call('post', `webhooks/${webhook.id}/test.json`);
      expect(res.status).toBe(202);
      expect(res.body.delivery).toMatchObject({ webhook: { id: webhook.id, type: 'webhooks' }, event: 'webhook.test', status: 'pending', attempts: 0, deliveredAt: null });
      const [row] = await deliveryRows(webhook.id);
      expect(row).toMatchObject({ id: res.body.delivery.id, tenant_id: acme.tenantId, event: 'webhook.test', lane: null, source_id: null, message_id: res.body.delivery.webhookId });
      expect(row.message_id).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(row.payload).toEqual({ type: 'webhook.test', timestamp: expect.stringMatching(ISO), data: { webhookId: webhook.id } });

      // A retried ping with its Idempotency-Key is answered again, not queued again.
      const keyed = () => t.http.post(`${BASE}/webhooks/${webhook.id}/test.json`).set('Authorization', acme.auth).set('Idempotency-Key', `ping-${webhook.id}`);
      const first = await keyed();
      const again = await keyed();
      expect([first.status, again.status, again.headers['idempotent-replayed']]).toEqual([202, 202, 'true']);
      expect(again.body).toEqual(first.body);
      expect(await deliveryRows(webhook.id)).toHaveLength(2);
    });

    it('should redeliver as a new pending delivery with the same body and webhook-id, of no lane', async () => {
      const webhook = await create();
      const payload = { type: 'message.created', timestamp: '2026-12-01T10:00:00.000Z', data: { id: 77, body: 'hello' } };
      const original = await insertDelivery(webhook.id, {
        message_id: 'msg_original',
        event: 'message.created',
        lane: 'conversation:12',
        source_id: 4242,
        payload,
        status: 'failed',
        next_attempt_at: null,
        attempts: 8,
      });
      const res = await call('post', `webhooks/${webhook.id}/deliveries/${original}/redeliver.json`);
      expect(res.status).toBe(202);
      expect(res.body.delivery).toMatchObject({ webhookId: 'msg_original', event: 'message.created', status: 'pending', attempts: 0 });
      expect(res.body.delivery.id).not.toBe(original);
      const rows = await deliveryRows(webhook.id);
      expect(rows).toHaveLength(2);
      expect(rows[1]).toMatchObject({ id: res.body.delivery.id, message_id: 'msg_original', event: 'message.created', lane: null, source_id: null, payload });
      expect(rows[0]).toMatchObject({ id: original, status: 'failed', attempts: 8 });

      const missing = await call('post', `webhooks/${webhook.id}/deliveries/999999999/redeliver.json`);
      expect([missing.status, missing.headers['x-error-code']]).toEqual([404, 'WEBHOOK_DELIVERY_NOT_FOUND']);
      // Another subscription's delivery is not this one's.
      const other = await create();
      expect((await call('post', `webhooks/${other.id}/deliveries/${original}/redeliver.json`)).status).toBe(404);
    });

    it('should refuse a ping or a redelivery to a disabled subscription with 409, queueing nothing', async () => {
      const webhook = await create({ state: 'disabled' });
      const original = await insertDelivery(webhook.id, { status: 'failed', next_attempt_at: null });
      for (const path of [`webhooks/${webhook.id}/test.json`, `webhooks/${webhook.id}/deliveries/${original}/redeliver.json`]) {
        const res = await call('post', path);
        expect([res.status, res.headers['x-error-code']]).toEqual([409, 'WEBHOOK_NOT_ACTIVE']);
      }
      expect(await deliveryRows(webhook.id)).toHaveLength(1);
    });
  });

  describe('who may', () => {
    const everyEndpoint = (id: number, deliveryId: number): [string, 'get' | 'post' | 'patch' | 'delete', unknown?][] => [
      ['webhooks.json', 'get'],
      ['webhooks.json', 'post', { url: HOOK, events: ['*'] }],
      [`webhooks/${id}.json`, 'get'],
      [`webhooks/${id}.json`, 'patch', { state: 'disabled' }],
      [`webhooks/${id}/secret.json`, 'post'],
      [`webhooks/${id}/deliveries.json`, 'get'],
      [`webhooks/${id}/deliveries/${deliveryId}/redeliver.json`, 'post'],
      [`webhooks/${id}/test.json`, 'post'],
      [`webhooks/${id}.json`, 'delete'],
    ];

    it('should answer an agent 403 ADMIN_REQUIRED on every endpoint and change nothing', async () => {
      const webhook = await create();
      const deliveryId = await insertDelivery(webhook.id, { status: 'failed', next_attempt_at: null });
      const before = [await countSubscriptions(), await subscriptionRow(webhook.id), await deliveryRows(webhook.id)];
      for (const [path, method, body] of everyEndpoint(webhook.id, deliveryId)) {
        const res = await call(method, path, body, agent.auth);
        expect({ path, method, status: res.status, code: res.headers['x-error-code'], body: res.body }).toEqual({
          path,
          method,
          status: 403,
          code: 'ADMIN_REQUIRED',
          body: ADMIN_ONLY,
        });
      }
      expect([await countSubscriptions(), await subscriptionRow(webhook.id), await deliveryRows(webhook.id)]).toEqual(before);
    });

    it('should answer another tenant’s admin 404 for this tenant’s subscription and change nothing', async () => {
      const webhook = await create();
      const deliveryId = await insertDelivery(webhook.id, { status: 'failed', next_attempt_at: null });
      const before = [await subscriptionRow(webhook.id), await deliveryRows(webhook.id)];
      for (const [path, method, body] of everyEndpoint(webhook.id, deliveryId).filter(([path]) => path !== 'webhooks.json')) {
        const res = await call(method, path, body, globex.auth);
        expect({ path, method, status: res.status, code: res.headers['x-error-code'] }).toEqual({ path, method, status: 404, code: 'WEBHOOK_NOT_FOUND' });
      }
      expect([await subscriptionRow(webhook.id), await deliveryRows(webhook.id)]).toEqual(before);
      const theirs = await call('get', 'webhooks.json?pageSize=100', undefined, globex.auth);
      expect(theirs.body.webhooks.map((w: { id: number }) => w.id)).not.toContain(webhook.id);
    });
  });
});
