import { loadAppConfig } from '@app/config';
import { createApp } from '../apps/api/src/create-app';
import { BASE } from './support/desk';
import { createContact, createTenant, TestTenant } from './support/factories';
import { proxiedDatabaseUrl, TcpProxy } from './support/tcp-proxy';
import { createTestDatabaseEnv, TestApp, testAppOf } from './support/test-app';
import { withClient } from './support/test-database';

// The app reaches its database through a proxy the test cuts: to the app, the database has gone
// away (connections dropped, new ones refused), while the shared server stays up for the others.
describe('A database that goes away', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let directUrl: string;
  let tenant: TestTenant;
  let conversationId: number;

  beforeAll(async () => {
    // The server the app reaches (PgBouncer's under E2E_PGBOUNCER), behind a proxy the test can cut.
    const databaseEnv = await createTestDatabaseEnv();
    directUrl = databaseEnv.DATABASE_URL;
    const proxied = await proxiedDatabaseUrl(directUrl);
    proxy = proxied.proxy;
    const env = { ...databaseEnv, DATABASE_URL: proxied.url };
    const config = loadAppConfig({ LOG_LEVEL: 'silent', PUSHER_HOST: '127.0.0.1', PUSHER_PORT: '1', ...env });
    const app = await createApp(config);
    t = await testAppOf(app, env);
    tenant = await createTenant(t, 'Outage');
    const { contactId } = await createContact(t.db, tenant.tenantId);
    const created = await t.http.post(`${BASE}/conversations.json`).set('Authorization', tenant.auth).send({ contactId });
    expect(created.status).toBe(201);
    conversationId = created.body.conversation.id;
  });

  afterAll(async () => {
    await proxy.restore().catch(() => undefined);
    await t.close();
    await proxy.close();
  });

  const post = (message: string) =>
    t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', tenant.auth).send({ conversationId, message });
  const stored = (message: string) =>
    withClient(directUrl, async (db) => Number((await db.query(`SELECT count(*) FROM conversation_messages WHERE message = $1`, [message])).rows[0].count));

  it('should answer 503 DATABASE_UNAVAILABLE with Retry-After in each dialect, report not ready, and recover by itself', async () => {
    await proxy.cut();

    const startedAt = Date.now();
    const desk = await post('while the database is away');
    expect(desk.status).toBe(503);
    expect(desk.headers['x-error-code']).toBe('DATABASE_UNAVAILABLE');
    expect(desk.headers['retry-after']).toBe('5');
    expect(desk.body).toEqual({ errors: { _: ['the database is unavailable; retry later'] } });

    const highLevel = await t.http
      .get('/conversations/search')
      .query({ locationId: tenant.locationId })
      .set('Authorization', tenant.auth)
      .set('Version', '2021-07-28');
    expect(highLevel.status).toBe(503);
    expect(highLevel.body).toEqual({ statusCode: 503, message: 'the database is unavailable; retry later', error: 'Service Unavailable' });

    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(503);
    expect((await t.http.get('/health')).status).toBe(200);
    // Fast: a refused connection is not waited on.
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(await stored('while the database is away')).toBe(0);

    await proxy.restore();
    expect((await t.http.get('/health/ready')).status).toBe(200);
    const after = await post('after the database came back');
    expect(after.status).toBe(201);
    expect(await stored('after the database came back')).toBe(1);
  });
});
