import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { AppConfig, loadAppConfig } from '@app/config';
import { SecretBox } from '@app/common';
import { Webhook } from 'standardwebhooks';
import { resolveWebhookTarget, webhookAddressRules, webhookUrlRefusal } from '../apps/api/src/webhooks/delivery/safe-address';
import { DELIVERY_RETENTION_DAYS, WebhookDeliveriesPurge } from '../apps/api/src/webhooks/delivery/webhook-deliveries-purge';
import { WebhookDispatcher } from '../apps/api/src/webhooks/delivery/webhook-dispatcher';
import { MAX_ATTEMPTS, RETRY_DELAYS_MS, retryDelayMs } from '../apps/api/src/webhooks/delivery/webhook-retries';
import { BASE } from './support/desk';
import { createContact, createTenant, TestTenant } from './support/factories';
import { itWithOwnProcesses } from './support/passes';
import { recordSecret } from './support/secret-leaks';
import { ServiceProcess, startServiceProcess } from './support/service-processes';
import { createApp } from '../apps/api/src/create-app';
import { proxiedDatabaseUrl, TcpProxy } from './support/tcp-proxy';
import { createTestApp, createTestDatabaseEnv, TestApp, testAppOf, UNLIMITED_DESK } from './support/test-app';
import { waitFor } from './support/wait-for';
import { ReceivedWebhook, startWebhookReceiver, WebhookReceiver } from './support/webhook-receiver';

const SECRETS_KEY = `secrets-key-${randomBytes(16).toString('hex')}`;
const METRICS_TOKEN = `metrics-${randomBytes(16).toString('hex')}`;
const ENV = {
  SECRETS_KEY,
  METRICS_TOKEN,
  WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_TIMEOUT_MS: '700',
  WEBHOOK_DISPATCH_INTERVAL_MS: '50',
};

interface Subscription {
  id: number;
  secret: string;
  url: string;
}

interface DeliveryRow {
  id: number;
  subscription_id: number;
  message_id: string;
  event: string;
  lane: string | null;
  status: string;
  attempts: number;
  next_attempt_at: Date | null;
  claimed_by: string | null;
  last_status_code: number | null;
  last_response: string | null;
  last_error: string | null;
  last_duration_ms: number | null;
  delivered_at: Date | null;
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
}

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

// A subscription written straight to its table, its secret sealed as the service seals it.
async function subscribe(t: TestApp, tenant: TestTenant, url: string, events: string[] = ['*']): Promise<Subscription> {
  const secret = newSecret();
  recordSecret('webhook signing secret', secret);
  const sealed = SecretBox.fromConfig(t.app.get(AppConfig)).seal(secret);
  const [{ id }] = await t.db.query(`INSERT INTO webhook_subscriptions (tenant_id, url, events, secret_sealed) VALUES ($1, $2, $3, $4) RETURNING id`, [
    tenant.tenantId,
    url,
    events,
    sealed,
  ]);
  return { id: Number(id), secret, url };
}

// As a receiver checks it: the Standard Webhooks package, the headers and the raw body.
function verify(secret: string, request: ReceivedWebhook): unknown {
  return new Webhook(secret).verify(request.body, request.headers);
}

async function deliveries(t: TestApp, subscriptionId: number): Promise<DeliveryRow[]> {
  return t.db.query(`SELECT * FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY id`, [subscriptionId]);
}

describe('Webhook delivery', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let acme: TestTenant;
  let globex: TestTenant;
  let path = 0;
  const nextPath = () => `/hook-${++path}`;

  beforeAll(async () => {
    recordSecret('SECRETS_KEY', SECRETS_KEY);
    [t, receiver] = await Promise.all([createTestApp(ENV, { inProcessHttp: true }), startWebhookReceiver()]);
    acme = await createTenant(t, 'Acme webhooks');
    globex = await createTenant(t, 'Globex webhooks');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const newConversation = async (tenant: TestTenant): Promise<number> => {
    const { contactId } = await createContact(t.db, tenant.tenantId);
    const res = await t.http.post(`${BASE}/conversations.json`).set('Authorization', tenant.auth).send({ contactId });
    expect(res.status).toBe(201);
    return res.body.conversation.id;
  };
  const postMessage = async (tenant: TestTenant, conversationId: number, message: string): Promise<number> => {
    const res = await t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', tenant.auth).send({ conversationId, message });
    expect(res.status).toBe(201);
    return res.body.conversationmessage.id;
  };
  const settled = (subscriptionId: number, count: number) =>
    waitFor(`${count} settled deliveries of subscription ${subscriptionId}`, async () => {
      const rows = await deliveries(t, subscriptionId);
      return rows.length >= count && rows.every((r) => r.status !== 'pending') ? rows : null;
    });

  it('should deliver the events a subscription names, signed as Standard Webhooks, the body the agents JSON, and nothing of another tenant', async () => {
    const hook = nextPath();
    const all = await subscribe(t, acme, `${receiver.url}${hook}`);
    const messagesOnly = await subscribe(t, acme, `${receiver.url}${hook}-messages`, ['message.created']);
    const other = await subscribe(t, globex, `${receiver.url}${hook}-globex`);

    const conversationId = await newConversation(acme);
    const messageId = await postMessage(acme, conversationId, 'hello over webhooks');

    const rows = await settled(all.id, 2);
    expect(rows.map((r) => [r.event, r.status, r.attempts, r.last_status_code, r.lane])).toEqual(
      expect.arrayContaining([
        ['conversation.created', 'delivered', 1, 200, `conversation:${conversationId}`],
        ['message.created', 'delivered', 1, 200, `conversation:${conversationId}`],
      ]),
    );
    expect(rows.every((r) => r.claimed_by === null && r.last_response === 'ok' && r.delivered_at !== null && r.last_duration_ms! >= 0)).toBe(true);
    const received = receiver.at(hook);
    const sentRows = await deliveries(t, all.id);
    for (const request of received) {
      expect(verify(all.secret, request)).toEqual(JSON.parse(request.body));
      expect(request.headers['content-type']).toBe('application/json');
      const row = sentRows.find((r) => r.message_id === request.headers['webhook-id'])!;
      expect(JSON.parse(request.body)).toEqual(row.payload);
    }
    const message = received.map((r) => JSON.parse(r.body)).find((b) => b.type === 'message.created');
    expect(message).toEqual({ type: 'message.created', timestamp: expect.stringMatching(/^\d{4}-/), data: expect.objectContaining({ id: messageId, conversationId, message: 'hello over webhooks' }) });

    const onlyMessages = await settled(messagesOnly.id, 1);
    expect(onlyMessages.map((r) => r.event)).toEqual(['message.created']);
    expect(() => verify(all.secret, receiver.at(`${hook}-messages`)[0])).toThrow();
    expect(await deliveries(t, other.id)).toEqual([]);
    expect(receiver.at(`${hook}-globex`)).toEqual([]);
  });

  it('should retry a failed delivery with the same webhook-id after its backoff, and hold the lane behind it', async () => {
    const hook = nextPath();
    let failures = 1;
    receiver.cue((request) => (request.path === hook && failures-- > 0 ? { status: 500, body: 'down for maintenance' } : { status: 200, body: 'ok' }));
    const sub = await subscribe(t, acme, `${receiver.url}${hook}`, ['message.created']);
    const conversationId = await newConversation(acme);
    const first = await postMessage(acme, conversationId, 'first');
    const [failed] = await waitFor('the first attempt to fail', async () => {
      const rows = await deliveries(t, sub.id);
      return rows[0]?.attempts === 1 ? rows : null;
    });
    const [{ now }] = await t.db.query(`SELECT now()`);
    expect(failed).toMatchObject({ status: 'pending', last_status_code: 500, last_response: 'down for maintenance', last_error: 'the receiver answered 500', claimed_by: null });
    const delay = new Date(failed.next_attempt_at!).getTime() - new Date(now).getTime();
    expect(delay).toBeGreaterThan(RETRY_DELAYS_MS[0] - 1_000);
    expect(delay).toBeLessThanOrEqual(RETRY_DELAYS_MS[0] * 1.25);

    const second = await postMessage(acme, conversationId, 'second');
    // The second waits behind the first, however long: nothing of it is sent meanwhile.
    await waitFor('the second to be fanned out', async () => (await deliveries(t, sub.id)).length === 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.at(hook)).toHaveLength(1);

    await t.db.query(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = $1`, [failed.id]);
    const rows = await settled(sub.id, 2);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([
      ['delivered', 2],
      ['delivered', 1],
    ]);
    const received = receiver.at(hook);
    expect(received.map((r) => r.headers['webhook-id'])).toEqual([rows[0].message_id, rows[0].message_id, rows[1].message_id]);
    expect(received.map((r) => (verify(sub.secret, r) as { data: { id: number } }).data.id)).toEqual([first, first, second]);
    receiver.cue(() => ({ status: 200, body: 'ok' }));
  });

  it('should keep at most 1 KB of an answer, count a redirect and a timeout as failures, and follow no redirect', async () => {
    const hook = nextPath();
    receiver.cue((request) => {
      if (request.path === `${hook}-big`) return { status: 200, body: 'x'.repeat(5_000) };
      if (request.path === `${hook}-redirect`) return { status: 302, headers: { location: `${hook}-target` } };
      if (request.path === `${hook}-slow`) return 'hang';
      return { status: 200, body: 'ok' };
    });
    const big = await subscribe(t, acme, `${receiver.url}${hook}-big`, ['conversation.created']);
    const redirect = await subscribe(t, acme, `${receiver.url}${hook}-redirect`, ['conversation.created']);
    const slow = await subscribe(t, acme, `${receiver.url}${hook}-slow`, ['conversation.created']);
    await newConversation(acme);

    const [bigRow] = await settled(big.id, 1);
    expect(bigRow.last_response).toHaveLength(1024);
    const attempted = (id: number) => waitFor(`an attempt of ${id}`, async () => ((await deliveries(t, id))[0]?.attempts === 1 ? (await deliveries(t, id))[0] : null));
    expect(await attempted(redirect.id)).toMatchObject({ status: 'pending', last_status_code: 302, last_error: 'the receiver answered 302' });
    expect(receiver.at(`${hook}-target`)).toEqual([]);
    const timedOut = await attempted(slow.id);
    expect(timedOut).toMatchObject({ status: 'pending', last_status_code: null, last_error: 'no answer within 700 ms' });
    expect(timedOut.last_duration_ms).toBeGreaterThanOrEqual(690);
    receiver.cue(() => ({ status: 200, body: 'ok' }));
  });

  it('should sign with both secrets while a rotated-out one still signs, and with the current one alone after', async () => {
    const hook = nextPath();
    const sub = await subscribe(t, acme, `${receiver.url}${hook}`, ['conversation.created']);
    const previous = newSecret();
    recordSecret('webhook signing secret', previous);
    const sealed = SecretBox.fromConfig(t.app.get(AppConfig)).seal(previous);
    await t.db.query(`UPDATE webhook_subscriptions SET previous_secret_sealed = $2, previous_secret_expires_at = now() + interval '24 hours' WHERE id = $1`, [sub.id, sealed]);
    await newConversation(acme);
    await settled(sub.id, 1);
    const [rotated] = receiver.at(hook);
    expect(rotated.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verify(sub.secret, rotated)).toBeTruthy();
    expect(verify(previous, rotated)).toBeTruthy();

    await t.db.query(`UPDATE webhook_subscriptions SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`, [sub.id]);
    await newConversation(acme);
    await settled(sub.id, 2);
    const after = receiver.at(hook)[1];
    expect(after.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(verify(sub.secret, after)).toBeTruthy();
    expect(() => verify(previous, after)).toThrow();
  });

  it('should disable a subscription on a 410 and after 3 days of failures, and tell each admin why', async () => {
    const hook = nextPath();
    receiver.cue((request) => (request.path === `${hook}-gone` ? { status: 410, body: 'gone' } : request.path === `${hook}-failing` ? { status: 503 } : { status: 200 }));
    const gone = await subscribe(t, acme, `${receiver.url}${hook}-gone`, ['conversation.created']);
    const failing = await subscribe(t, acme, `${receiver.url}${hook}-failing`, ['conversation.created']);
    await t.db.query(`UPDATE webhook_subscriptions SET failing_since = now() - interval '3 days 1 hour' WHERE id = $1`, [failing.id]);
    const healthy = await subscribe(t, acme, `${receiver.url}${hook}-healthy`, ['conversation.created']);
    await t.db.query(`UPDATE webhook_subscriptions SET failing_since = now() - interval '4 days' WHERE id = $1`, [healthy.id]);
    await newConversation(acme);

    const subscription = (id: number) => t.db.query(`SELECT state, disabled_reason, disabled_at, failing_since FROM webhook_subscriptions WHERE id = $1`, [id]).then((r) => r[0]);
    await waitFor('both to be disabled', async () => (await subscription(gone.id)).state === 'disabled' && (await subscription(failing.id)).state === 'disabled');
    expect(await subscription(gone.id)).toMatchObject({ disabled_reason: 'the receiver answered 410 Gone', disabled_at: expect.any(Date) });
    expect((await subscription(failing.id)).disabled_reason).toMatch(/^every delivery failed since \d{4}-\d\d-\d\dT.*\(3 days or more\)$/);
    expect((await deliveries(t, gone.id))[0]).toMatchObject({ status: 'failed', last_status_code: 410 });
    await settled(healthy.id, 1);
    expect(await subscription(healthy.id)).toMatchObject({ state: 'active', failing_since: null });

    const notices = await t.db.query(
      `SELECT payload FROM outbox WHERE tenant_id = $1 AND payload->>'event' = 'webhook.disabled' ORDER BY id`,
      [acme.tenantId],
    );
    expect(notices.map((n: { payload: { channels: string[]; data: { id: number } } }) => [n.payload.channels, n.payload.data.id])).toEqual(
      expect.arrayContaining([
        [[`private-user-${acme.adminId}`], gone.id],
        [[`private-user-${acme.adminId}`], failing.id],
      ]),
    );
    receiver.cue(() => ({ status: 200, body: 'ok' }));
  });

  it('should refuse at delivery time an address that is not public unless the allowlist names it', async () => {
    const sub = await subscribe(t, acme, 'http://10.1.2.3:9/hook', ['conversation.created']);
    await newConversation(acme);
    const row = await waitFor('the refusal', async () => (await deliveries(t, sub.id))[0]?.attempts === 1 && (await deliveries(t, sub.id))[0]);
    expect(row).toMatchObject({ status: 'pending', last_status_code: null });
    expect(row.last_error).toMatch(/^refused: 10\.1\.2\.3 resolves to 10\.1\.2\.3, which is not a public address/);

    const strict = webhookAddressRules({ WEBHOOK_ALLOW_HTTP: false });
    const lenient = webhookAddressRules({ WEBHOOK_ALLOW_HTTP: true, WEBHOOK_ALLOWED_HOSTS: 'hooks.internal, 10.9.0.0/16' });
    const resolveTo = (address: string) => async () => [{ address, family: address.includes(':') ? 6 : 4 }];
    expect(await webhookUrlRefusal('http://example.com/', strict, resolveTo('93.184.216.34'))).toBe('only https URLs (WEBHOOK_ALLOW_HTTP is off)');
    for (const address of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::ffff:127.0.0.1', '::ffff:a00:1', 'fe80::1', 'fd00::1', 'ff02::1', '::',
      '::7f00:1', '::a00:1', '64:ff9b:1::a00:1', 'fec0::1']) {
      expect(await webhookUrlRefusal('https://evil.example/', strict, resolveTo(address))).toMatch(/which is not a public address/);
    }
    expect(await webhookUrlRefusal('https://[::ffff:10.0.0.1]/', strict)).toMatch(/not a public address/);
    expect(await webhookUrlRefusal('https://[::7f00:1]/', strict)).toMatch(/not a public address/);
    expect(await webhookUrlRefusal('https://[2606:4700::1]/', strict)).toBeNull();
    expect(await webhookUrlRefusal('https://[fec0::5]/', webhookAddressRules({ WEBHOOK_ALLOW_HTTP: false, WEBHOOK_ALLOWED_HOSTS: 'fec0::/10' }))).toBeNull();
    expect(await webhookUrlRefusal('https://localhost/', strict)).toMatch(/not a public address/);
    expect(await webhookUrlRefusal('https://example.com/', strict, resolveTo('93.184.216.34'))).toBeNull();
    expect(await webhookUrlRefusal('https://hooks.internal/', lenient, resolveTo('10.0.0.5'))).toBeNull();
    expect(await webhookUrlRefusal('https://other/', lenient, resolveTo('10.9.3.3'))).toBeNull();
    expect(await webhookUrlRefusal('https://other/', lenient, resolveTo('10.8.3.3'))).toMatch(/not a public address/);
    // Any one private address among several refuses the name.
    const mixed = async () => [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }];
    expect(await webhookUrlRefusal('https://mixed.example/', strict, mixed)).toMatch(/127\.0\.0\.1/);
    expect((await resolveWebhookTarget('https://example.com/x', strict, resolveTo('93.184.216.34'))).address).toBe('93.184.216.34');
  });

  it('should tell a signing secret it cannot open (SECRETS_KEY changed) from a failed connection', async () => {
    const hook = nextPath();
    const sub = await subscribe(t, acme, `${receiver.url}${hook}`, ['conversation.created']);
    const foreign = new SecretBox(`another-key-${randomBytes(16).toString('hex')}`).seal(newSecret());
    await t.db.query(`UPDATE webhook_subscriptions SET secret_sealed = $2 WHERE id = $1`, [sub.id, foreign]);
    await newConversation(acme);
    const row = await waitFor('the failed attempt', async () => (await deliveries(t, sub.id))[0]?.attempts === 1 && (await deliveries(t, sub.id))[0]);
    expect(row).toMatchObject({ status: 'pending', last_status_code: null, last_error: 'signing secret cannot be opened: SECRETS_KEY changed?' });
    expect(receiver.at(hook)).toEqual([]);
    await t.db.query(`UPDATE webhook_subscriptions SET state = 'disabled' WHERE id = $1`, [sub.id]);
  });

  it('should fan out new events while a slow receiver holds the dispatch', async () => {
    const hook = nextPath();
    receiver.cue((request) => (request.path === `${hook}-slow` ? 'hang' : { status: 200, body: 'ok' }));
    const slow = await subscribe(t, acme, `${receiver.url}${hook}-slow`, ['message.created']);
    const quick = await subscribe(t, acme, `${receiver.url}${hook}-quick`, ['conversation.created']);
    await postMessage(acme, await newConversation(acme), 'to the slow one');
    await waitFor('the slow receiver to hold a request', async () => receiver.at(`${hook}-slow`).length === 1);
    await newConversation(acme);
    // Fanned out while the slow attempt is still in flight (WEBHOOK_TIMEOUT_MS is 700 ms).
    await waitFor('the new event fanned out', async () => (await deliveries(t, quick.id)).length === 2);
    expect((await deliveries(t, slow.id)).map((r) => [r.attempts, r.claimed_by !== null])).toEqual([[0, true]]);
    await t.db.query(`UPDATE webhook_subscriptions SET state = 'disabled' WHERE id IN ($1, $2)`, [slow.id, quick.id]);
    receiver.cue(() => ({ status: 200, body: 'ok' }));
  });

  it('should retry over more than 24 hours with jitter, then give up', () => {
    expect(MAX_ATTEMPTS).toBe(RETRY_DELAYS_MS.length + 1);
    const least = RETRY_DELAYS_MS.reduce((sum, d) => sum + d, 0);
    expect(least).toBeGreaterThan(24 * 3_600_000);
    expect(retryDelayMs(1, () => 0)).toBe(5_000);
    expect(retryDelayMs(1, () => 0.999)).toBeGreaterThan(6_000);
    expect(retryDelayMs(MAX_ATTEMPTS, () => 0)).toBeNull();
  });

  it('should give up a delivery whose attempts are used up, and send the lane on', async () => {
    const hook = nextPath();
    receiver.cue((request) => (request.path === hook && JSON.parse(request.body).data.message === 'doomed' ? { status: 500 } : { status: 200, body: 'ok' }));
    const sub = await subscribe(t, acme, `${receiver.url}${hook}`, ['message.created']);
    const conversationId = await newConversation(acme);
    await postMessage(acme, conversationId, 'doomed');
    const [first] = await waitFor('the first attempt to fail', async () => {
      const rows = await deliveries(t, sub.id);
      return rows[0]?.attempts === 1 && rows[0].claimed_by === null ? rows : null;
    });
    await t.db.query(`UPDATE webhook_deliveries SET attempts = $2 - 1, next_attempt_at = now() WHERE id = $1 AND status = 'pending'`, [first.id, MAX_ATTEMPTS]);
    await postMessage(acme, conversationId, 'after');
    const rows = await settled(sub.id, 2);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([
      ['failed', MAX_ATTEMPTS],
      ['delivered', 1],
    ]);
    receiver.cue(() => ({ status: 200, body: 'ok' }));
  });

  it('should purge settled deliveries past their retention, never a pending one', async () => {
    const sub = await subscribe(t, globex, 'http://10.255.0.1:9/never', ['webhook.test']);
    await t.db.query(`UPDATE webhook_subscriptions SET state = 'disabled' WHERE id = $1`, [sub.id]);
    const insert = (status: string, ageDays: number) =>
      t.db
        .query(
          `INSERT INTO webhook_deliveries (tenant_id, subscription_id, message_id, event, payload, status, next_attempt_at, created_at)
           VALUES ($1, $2, 'msg_purge', 'webhook.test', '{}', $3, CASE WHEN $3 = 'pending' THEN now() END, now() - $4::int * interval '1 day') RETURNING id`,
          [globex.tenantId, sub.id, status, ageDays],
        )
        .then((r) => r[0].id);
    const old = [await insert('delivered', DELIVERY_RETENTION_DAYS + 1), await insert('failed', DELIVERY_RETENTION_DAYS + 1)];
    const kept = [await insert('pending', DELIVERY_RETENTION_DAYS + 1), await insert('delivered', DELIVERY_RETENTION_DAYS - 1)];
    expect(await t.app.get(WebhookDeliveriesPurge).purgeSettled()).toBeGreaterThanOrEqual(2);
    const left = (await t.db.query(`SELECT id FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY id`, [sub.id])).map((r: { id: string }) => r.id);
    expect(left).toEqual(kept);
    expect(left).not.toContain(old[0]);
  });

  it('should count deliveries, failures and the backlog in /metrics', async () => {
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(res.text)?.[1]);
    expect(value('helpdesk_webhook_deliveries_total{outcome="delivered"}')).toBeGreaterThan(5);
    expect(value('helpdesk_webhook_deliveries_total{outcome="gone"}')).toBeGreaterThanOrEqual(1);
    expect(value('helpdesk_webhook_delivery_failures_total{reason="timeout"}')).toBeGreaterThanOrEqual(1);
    expect(value('helpdesk_webhook_delivery_failures_total{reason="refused_address"}')).toBeGreaterThanOrEqual(1);
    expect(value('helpdesk_webhook_delivery_failures_total{reason="secret"}')).toBeGreaterThanOrEqual(1);
    const [{ backlog }] = await t.db.query(
      `SELECT count(*)::int AS backlog FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.tenant_id = d.tenant_id AND s.id = d.subscription_id
        WHERE d.status = 'pending' AND s.state = 'active'`,
    );
    expect(backlog).toBeGreaterThan(0);
    expect(value('helpdesk_webhook_backlog')).toBe(backlog);
    expect(value('helpdesk_webhook_backlog_oldest_age_seconds')).toBeGreaterThan(0);
  });
});

// Deliveries of one conversation reach a subscription in order whatever the number of processes:
// two service processes dispatch (the in-process app's dispatcher stopped), the receiver fails and
// stalls at random.
describe('Webhook delivery across processes', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let acme: TestTenant;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    [t, receiver] = await Promise.all([createTestApp(ENV, { inProcessHttp: true }), startWebhookReceiver()]);
    await t.app.get(WebhookDispatcher).beforeApplicationShutdown();
    acme = await createTenant(t, 'Acme ordered webhooks');
    const env = { ...t.databaseEnv, ...ENV, PUSHER_HOST: '127.0.0.1', PUSHER_PORT: '1', PUSHER_USE_TLS: 'false', LOG_LEVEL: 'warn' };
    services.push(...(await Promise.all([startServiceProcess(env), startServiceProcess(env)])));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await t?.close();
    await receiver?.close();
  });

  itWithOwnProcesses('should deliver each conversation in commit order with two dispatching processes', async () => {
    let calls = 0;
    // One in five answers 500 (retried after 5 s: hastened below); some answer late.
    receiver.cue(() => (++calls % 5 === 0 ? { status: 500 } : { status: 200, body: 'ok' }));
    const sub = await subscribe(t, acme, `${receiver.url}/ordered`, ['message.created']);
    const conversations: number[] = [];
    for (let i = 0; i < 4; i++) {
      const { contactId } = await createContact(t.db, acme.tenantId);
      conversations.push((await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId })).body.conversation.id);
    }
    const sent = await Promise.all(
      conversations.map(async (conversationId) => {
        const ids: number[] = [];
        for (let i = 0; i < 10; i++) {
          const res = await t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', acme.auth).send({ conversationId, message: `m${i}` });
          ids.push(res.body.conversationmessage.id);
        }
        return ids;
      }),
    );
    await waitFor(
      'all 40 delivered',
      async () => {
        await t.db.query(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE subscription_id = $1 AND status = 'pending' AND claimed_by IS NULL AND attempts > 0`, [sub.id]);
        const [{ delivered }] = await t.db.query(`SELECT count(*)::int AS delivered FROM webhook_deliveries WHERE subscription_id = $1 AND status = 'delivered'`, [sub.id]);
        return delivered === 40;
      },
      30_000,
    );
    const claimers = await t.db.query(`SELECT DISTINCT claimed_by FROM webhook_deliveries WHERE subscription_id = $1`, [sub.id]);
    expect(claimers).toEqual([{ claimed_by: null }]);
    // Per conversation, the messages as first received (a retry repeats one already counted).
    const firstSeen = new Map<number, number[]>();
    for (const request of receiver.at('/ordered')) {
      const { data } = verify(sub.secret, request) as { data: { id: number; conversationId: number } };
      const seen = firstSeen.get(data.conversationId) ?? [];
      if (!seen.includes(data.id)) seen.push(data.id);
      firstSeen.set(data.conversationId, seen);
    }
    conversations.forEach((conversationId, i) => expect(firstSeen.get(conversationId)).toEqual(sent[i]));
  }, 60_000);
});

// The dispatcher's database goes away while a delivery is in flight: its outcome is recorded, and
// the rest of its run handed back, as soon as the database answers again, not after the lease.
describe('Webhook delivery across a database outage mid-send', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let receiver: WebhookReceiver;
  let directUrl: string;
  let acme: TestTenant;

  beforeAll(async () => {
    const databaseEnv = await createTestDatabaseEnv();
    directUrl = databaseEnv.DATABASE_URL;
    const proxied = await proxiedDatabaseUrl(directUrl);
    proxy = proxied.proxy;
    receiver = await startWebhookReceiver();
    const env = { ...databaseEnv, DATABASE_URL: proxied.url };
    const config = loadAppConfig({ LOG_LEVEL: 'silent', ...UNLIMITED_DESK, PUSHER_HOST: '127.0.0.1', PUSHER_PORT: '1', PUSHER_USE_TLS: 'false', ...ENV, WEBHOOK_TIMEOUT_MS: '5000', ...env });
    t = await testAppOf(await createApp(config), env);
    acme = await createTenant(t, 'Acme webhook outage');
  }, 60_000);
  afterAll(async () => {
    await proxy?.restore().catch(() => undefined);
    await t?.close();
    await proxy?.close();
    await receiver?.close();
  });

  it('should record a send that ended while the database was away, and hand back the rest of its run, as soon as it is back', async () => {
    const sub = await subscribe(t, acme, `${receiver.url}/outage`, ['message.created']);
    const conversationId = await (async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      return (await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId })).body.conversation.id;
    })();
    // Two messages fanned out before the dispatcher claims them: one run of one lane.
    await t.app.get(WebhookDispatcher).beforeApplicationShutdown();
    for (const message of ['first', 'second']) {
      expect((await t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', acme.auth).send({ conversationId, message })).status).toBe(201);
    }
    receiver.cue((request) => ({ status: 200, body: 'ok', delayMs: JSON.parse(request.body).data.message === 'first' ? 1_500 : 0 }));
    // Polling again, both loops at once (a stopped loop starts again).
    t.app.get(WebhookDispatcher).onApplicationBootstrap();

    await waitFor('the first send in flight', () => receiver.pending() > 0, 10_000);
    const held = await t.db.query(`SELECT claimed_by FROM webhook_deliveries WHERE subscription_id = $1`, [sub.id]);
    expect(held).toHaveLength(2);
    expect(held.every((r: { claimed_by: string | null }) => r.claimed_by === t.app.get(WebhookDispatcher).token)).toBe(true);
    await proxy.cut();
    await waitFor('the delayed answer', () => receiver.pending() === 0, 5_000);
    await delay(300);
    await proxy.restore();
    const restoredAt = Date.now();
    const rows = await waitFor('both delivered', async () => {
      const r: DeliveryRow[] = await t.db.query(`SELECT * FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY id`, [sub.id]);
      return r.every((d) => d.status === 'delivered') ? r : null;
    }, 20_000);
    // The lease is a minute; the loop's backoff after an outage is at most 10 s.
    expect(Date.now() - restoredAt).toBeLessThan(15_000);
    expect(rows.map((r) => [r.attempts, r.claimed_by])).toEqual([
      [1, null],
      [1, null],
    ]);
    expect(receiver.at('/outage').map((r) => (verify(sub.secret, r) as { data: { message: string } }).data.message)).toEqual(['first', 'second']);
  }, 60_000);
});
