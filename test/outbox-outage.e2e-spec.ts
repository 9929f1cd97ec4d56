import { setTimeout as delay } from 'node:timers/promises';
import { loadAppConfig } from '@app/config';
import { createApp } from '../apps/api/src/create-app';
import { OutboxDispatcher } from '../apps/api/src/live/outbox-dispatcher';
import { BASE } from './support/desk';
import { createContact, createTenant, TestTenant } from './support/factories';
import { FakePusher, startFakePusher } from './support/pusher-server';
import { proxiedDatabaseUrl, TcpProxy } from './support/tcp-proxy';
import { createTestDatabaseEnv, TestApp, testAppOf, UNLIMITED_DESK } from './support/test-app';
import { withClient } from './support/test-database';
import { waitFor } from './support/wait-for';

// The dispatcher's database goes away while a send to Pusher is in flight: the send's outcome
// cannot be recorded. It must be recorded as soon as the database is back, not left to the claim's
// one-minute lease (which would also send the event a second time).
describe('Live updates across a database outage mid-send', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let pusher: FakePusher;
  let directUrl: string;
  let tenant: TestTenant;
  let conversationId: number;

  beforeAll(async () => {
    const databaseEnv = await createTestDatabaseEnv();
    directUrl = databaseEnv.DATABASE_URL;
    const proxied = await proxiedDatabaseUrl(directUrl);
    proxy = proxied.proxy;
    pusher = await startFakePusher({ appId: '1', key: 'key', secret: 'secret' });
    const env = { ...databaseEnv, DATABASE_URL: proxied.url };
    const config = loadAppConfig({
      LOG_LEVEL: 'silent',
      ...UNLIMITED_DESK,
      ...pusher.env(),
      PUSHER_DISPATCH_INTERVAL_MS: '50',
      PUSHER_TIMEOUT_MS: '5000',
      ...env,
    });
    // In-process: the dispatcher under test is this app's.
    t = await testAppOf(await createApp(config), env);
    tenant = await createTenant(t, 'Outage mid-send');
    const { contactId } = await createContact(t.db, tenant.tenantId);
    const created = await t.http.post(`${BASE}/conversations.json`).set('Authorization', tenant.auth).send({ contactId });
    expect(created.status).toBe(201);
    conversationId = created.body.conversation.id;
    await waitFor('the conversation.created event is delivered', () => pusher.events.some((e) => e.name === 'conversation.created'), 10_000);
  });

  afterAll(async () => {
    await proxy.restore().catch(() => undefined);
    await t.close();
    await proxy.close();
    await pusher.close();
  });

  const undelivered = () =>
    withClient(directUrl, async (db) =>
      Number((await db.query(`SELECT count(*) FROM outbox WHERE topic = 'pusher' AND delivered_at IS NULL`)).rows[0].count),
    );

  it('should record a send that ended while the database was away as soon as it is back, and not send it again', async () => {
    pusher.delayNext(1_500);
    const posted = await t.http
      .post(`${BASE}/conversationmessages.json`)
      .set('Authorization', tenant.auth)
      .send({ conversationId, message: 'sent while the database goes away' });
    expect(posted.status).toBe(201);

    await waitFor('the message.created send is in flight', () => pusher.pending > 0, 5_000);
    await proxy.cut();
    // Pusher takes the event; its record fails, the database being away.
    await waitFor('the delayed send is answered', () => pusher.pending === 0, 5_000);
    await delay(300);
    // The customer's row and the agents'.
    expect(await undelivered()).toBe(2);

    await proxy.restore();
    const restoredAt = Date.now();
    await waitFor('the outbox has no undelivered row', async () => (await undelivered()) === 0, 20_000);
    // The lease is a minute; the loop's backoff after an outage is at most 10 s.
    expect(Date.now() - restoredAt).toBeLessThan(15_000);

    await delay(500);
    // One event on each of its two channels, each once.
    const created = pusher.events.filter((e) => e.name === 'message.created');
    expect(created.map((e) => e.channels).sort()).toEqual([[`private-conversation-${conversationId}`], [`private-tenant-${tenant.tenantId}`]]);
    for (const event of created) expect(event.data).toMatchObject({ conversationId, message: 'sent while the database goes away' });
  });

  it('should take back at once, when the database is back, a claim whose answer the outage swallowed', async () => {
    const claimant = t.app.get(OutboxDispatcher).claimant;
    pusher.delayNext(1_500);
    const posted = await t.http
      .post(`${BASE}/conversationmessages.json`)
      .set('Authorization', tenant.auth)
      .send({ conversationId, message: 'the second outage' });
    expect(posted.status).toBe(201);
    await waitFor('the message.created send is in flight', () => pusher.pending > 0, 5_000);
    await proxy.cut();
    // A claim that committed while its answer was lost: leased to this process for an hour.
    const data = { id: -1, note: 'claimed, the answer lost' };
    const lost = await withClient(directUrl, async (db) =>
      Number(
        (
          await db.query(
            `INSERT INTO outbox (tenant_id, topic, payload, attempts, available_at, claimed_by)
             VALUES ($1, 'pusher', $2, 1, now() + interval '1 hour', $3) RETURNING id`,
            [tenant.tenantId, { event: 'conversation.updated', channels: [`private-tenant-${tenant.tenantId}`], data, socketId: null }, claimant],
          )
        ).rows[0].id,
      ),
    );
    await waitFor('the delayed send is answered', () => pusher.pending === 0, 5_000);
    // The dispatcher has seen the outage (a tick failed), as a claim whose answer was lost makes it;
    // restored sooner, its record of that send could pass and no tick would fail.
    const dispatcher = t.app.get(OutboxDispatcher) as unknown as { abandoned: boolean };
    await waitFor('a dispatch tick failed', () => dispatcher.abandoned, 15_000);

    await proxy.restore();
    const restoredAt = Date.now();
    await waitFor('the outbox has no undelivered row', async () => (await undelivered()) === 0, 20_000);
    expect(Date.now() - restoredAt).toBeLessThan(15_000);
    const row = await withClient(directUrl, async (db) => (await db.query(`SELECT attempts, claimed_by FROM outbox WHERE id = $1`, [lost])).rows[0]);
    // Its lost attempt undone, then claimed and sent once, by this process.
    expect(row).toEqual({ attempts: 1, claimed_by: claimant });
    expect(pusher.events.filter((e) => e.name === 'conversation.updated' && (e.data as { id: number }).id === -1)).toHaveLength(1);
  });
});
