import { randomBytes } from 'node:crypto';
import { AppConfig } from '@app/config';
import { SecretBox } from '@app/common';
import { OutboxPurge } from '../apps/api/src/live/outbox-purge';
import { BASE } from './support/desk';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { FakePusher, startFakePusher } from './support/pusher-server';
import { recordSecret } from './support/secret-leaks';
import { createTestApp, TestApp, UNLIMITED_DESK } from './support/test-app';
import { waitFor } from './support/wait-for';
import { startWebhookReceiver, WebhookReceiver } from './support/webhook-receiver';

// More pending rows than the old claim's window (the oldest 10,000 pending rows of all tenants).
const HELD_BACKLOG = 10_050;

const payload = (tenantId: number, id: number) => ({ event: 'conversation.updated', channels: [`private-tenant-${tenantId}`], data: { id }, socketId: null });

describe('Live updates: a held tenant never holds up the others; the purge leaves what the fan-out has still to read', () => {
  let t: TestApp;
  let pusher: FakePusher;
  let held: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    pusher = await startFakePusher();
    // The webhooks' fan-out ticks at start, then only a minute later: it does not read the purge
    // test's marked rows meanwhile.
    t = await createTestApp({ ...pusher.env(), PUSHER_DISPATCH_INTERVAL_MS: '50', WEBHOOK_DISPATCH_INTERVAL_MS: '60000' }, { inProcessHttp: true });
    held = await createTenant(t, 'Held tenant');
    other = await createTenant(t, 'Other tenant');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await pusher?.close();
  });

  it('should claim another tenant while a held tenant has more pending rows than any window, and none of the held ones', async () => {
    await t.db.query(`UPDATE outbox SET delivered_at = now() WHERE topic = 'pusher' AND delivered_at IS NULL`);
    // The held tenant's head leased to another process for an hour, its backlog behind it.
    await t.db.query(
      `INSERT INTO outbox (tenant_id, topic, payload, attempts, available_at, claimed_by) VALUES ($1, 'pusher', $2, 1, now() + interval '1 hour', 'another process')`,
      [held.tenantId, payload(held.tenantId, 0)],
    );
    await t.db.query(
      `INSERT INTO outbox (tenant_id, topic, payload)
       SELECT $1, 'pusher', jsonb_build_object('event', 'conversation.updated', 'channels', jsonb_build_array($2::text), 'data', jsonb_build_object('id', n), 'socketId', null)
         FROM generate_series(1, $3::int) AS n`,
      [held.tenantId, `private-tenant-${held.tenantId}`, HELD_BACKLOG],
    );
    const [{ id: otherRow }] = await t.db.query(`INSERT INTO outbox (tenant_id, topic, payload) VALUES ($1, 'pusher', $2) RETURNING id`, [
      other.tenantId,
      payload(other.tenantId, -7),
    ]);

    await waitFor('the other tenant’s row to be delivered', async () => {
      const [row] = await t.db.query(`SELECT delivered_at FROM outbox WHERE id = $1`, [otherRow]);
      return row.delivered_at !== null;
    }, 10_000);
    expect(pusher.events.filter((e) => e.channels.includes(`private-tenant-${other.tenantId}`)).map((e) => e.data)).toEqual([{ id: -7 }]);
    const [counts] = await t.db.query(
      `SELECT count(*) FILTER (WHERE delivered_at IS NULL AND claimed_by IS NULL AND attempts = 0)::int AS untouched, count(*)::int AS total
         FROM outbox WHERE tenant_id = $1 AND topic = 'pusher'`,
      [held.tenantId],
    );
    expect(counts).toEqual({ untouched: HELD_BACKLOG, total: HELD_BACKLOG + 1 });
    expect(pusher.events.filter((e) => e.channels.includes(`private-tenant-${held.tenantId}`))).toEqual([]);
    // Out of the way of the other tests' claims.
    await t.db.query(`UPDATE outbox SET failed_at = now() WHERE tenant_id = $1 AND topic = 'pusher' AND delivered_at IS NULL`, [held.tenantId]);
  });

  it('should not purge a delivered live update the webhooks’ fan-out has still to read', async () => {
    const insert = (marked: boolean) =>
      t.db
        .query(
          `INSERT INTO outbox (tenant_id, topic, payload, delivered_at, webhooks_pending) VALUES ($1, 'pusher', $2, now() - interval '2 days', $3) RETURNING id`,
          [other.tenantId, payload(other.tenantId, 1), marked],
        )
        .then((r: { id: string }[]) => Number(r[0].id));
    const marked = await insert(true);
    const unmarked = await insert(false);
    await t.app.get(OutboxPurge).purgeDelivered();
    const left = await t.db.query(`SELECT id::int FROM outbox WHERE id = ANY($1::bigint[]) ORDER BY id`, [[marked, unmarked]]);
    expect(left).toEqual([{ id: marked }]);
  });
});

describe('webhook.disabled: one webhook event however many admins are told', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let acme: TestTenant;
  const SECRETS_KEY = `secrets-key-${randomBytes(16).toString('hex')}`;

  beforeAll(async () => {
    recordSecret('SECRETS_KEY', SECRETS_KEY);
    [t, receiver] = await Promise.all([
      createTestApp(
        { ...UNLIMITED_DESK, SECRETS_KEY, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_DISPATCH_INTERVAL_MS: '50' },
        { inProcessHttp: true },
      ),
      startWebhookReceiver(),
    ]);
    acme = await createTenant(t, 'Acme two admins');
    await createAgent(t, acme.tenantId, { role: 'admin' });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const subscribe = async (url: string, events: string[]): Promise<number> => {
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    recordSecret('webhook signing secret', secret);
    const sealed = SecretBox.fromConfig(t.app.get(AppConfig)).seal(secret);
    const [{ id }] = await t.db.query(`INSERT INTO webhook_subscriptions (tenant_id, url, events, secret_sealed) VALUES ($1, $2, $3, $4) RETURNING id`, [
      acme.tenantId,
      url,
      events,
      sealed,
    ]);
    return Number(id);
  };

  it('should deliver one webhook.disabled per disabled subscription to a * subscriber, while each admin gets the live event', async () => {
    receiver.cue((request) => (request.path === '/gone' ? { status: 410, body: 'gone' } : { status: 200, body: 'ok' }));
    const everything = await subscribe(`${receiver.url}/everything`, ['*']);
    const gone = await subscribe(`${receiver.url}/gone`, ['conversation.created']);
    const { contactId } = await createContact(t.db, acme.tenantId);
    const created = await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId });
    expect(created.status).toBe(201);

    const disabledDeliveries = () =>
      t.db.query(`SELECT status, payload FROM webhook_deliveries WHERE subscription_id = $1 AND event = 'webhook.disabled' ORDER BY id`, [everything]);
    await waitFor('the webhook.disabled delivery', async () => (await disabledDeliveries()).some((d: { status: string }) => d.status === 'delivered'));
    // Every marked live update read by the fan-out, and every delivery settled.
    await waitFor('the fan-out and the deliveries to settle', async () => {
      const [{ marked }] = await t.db.query(`SELECT count(*)::int AS marked FROM outbox WHERE webhooks_pending`);
      const [{ pending }] = await t.db.query(`SELECT count(*)::int AS pending FROM webhook_deliveries WHERE status = 'pending'`);
      return marked === 0 && pending === 0;
    });

    const notices = await t.db.query(`SELECT payload FROM outbox WHERE tenant_id = $1 AND payload->>'event' = 'webhook.disabled'`, [acme.tenantId]);
    expect(notices).toHaveLength(2);
    const deliveries = await disabledDeliveries();
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ status: 'delivered', payload: { type: 'webhook.disabled', data: { id: gone, state: 'disabled' } } });
    expect(receiver.at('/everything').filter((r) => JSON.parse(r.body).type === 'webhook.disabled')).toHaveLength(1);
  });
});
