import { createHmac } from 'node:crypto';
import { createContact, createTenant, TestTenant } from './support/factories';
import { BASE } from './support/desk';
import { createTestApp, TestApp } from './support/test-app';

const PUSHER = { PUSHER_APP_ID: '4242', PUSHER_KEY: 'hostile-key', PUSHER_SECRET: 'hostile-secret' };

// Counterexamples the fuzz suite (test/fuzz) found, shrunk, kept here as regular regressions: each
// is answered in its endpoint's dialect, never with a 5xx, and writes nothing.
describe('hostile input', () => {
  let t: TestApp;
  let acme: TestTenant;

  beforeAll(async () => {
    t = await createTestApp(PUSHER);
    acme = await createTenant(t, 'Acme');
  });
  afterAll(() => t.close());

  const inject = (options: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; headers?: Record<string, string>; payload?: string }) =>
    t.app.getHttpAdapter().getInstance().inject(options);
  const json = (res: { body: string }) => JSON.parse(res.body);
  const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

  it('should answer a path id longer than the router takes with a Desk error', async () => {
    const res = await inject({ method: 'GET', url: `${BASE}/conversationmessages/history/${'x'.repeat(200)}.json`, headers: { authorization: acme.auth } });

    expect(res.statusCode).toBe(414);
    expect(res.headers['x-error-code']).toBe('FST_ERR_MAX_PARAM_LENGTH');
    expect(json(res)).toEqual({ errors: { _: [expect.any(String)] } });
  });

  it('should answer a deeply nested value in a Desk body with a 400 and create nothing', async () => {
    const [{ n: before }] = await t.db.query(`SELECT count(*)::int AS n FROM ticket_types`);

    const res = await inject({
      method: 'POST',
      url: `${BASE}/tickettypes.json`,
      headers: { authorization: acme.auth, 'content-type': 'application/json' },
      payload: `{"tickettype":{"name":${nested(100_000)}}}`,
    });

    expect(res.statusCode).toBe(400);
    expect(res.headers['x-error-code']).toBe('BODY_TOO_DEEP');
    expect(json(res)).toEqual({ errors: { _: ['the body must not nest deeper than 32 levels'] } });
    const [{ n: after }] = await t.db.query(`SELECT count(*)::int AS n FROM ticket_types`);
    expect(after).toBe(before);
  });

  it('should answer a deeply nested value in a Desk PATCH with a 400 and change nothing', async () => {
    const [type] = await t.db.query(`SELECT * FROM ticket_types WHERE tenant_id = $1 ORDER BY id LIMIT 1`, [acme.tenantId]);

    const res = await inject({
      method: 'PATCH',
      url: `${BASE}/tickettypes/${type.id}.json`,
      headers: { authorization: acme.auth, 'content-type': 'application/json' },
      payload: `{"tickettype":{"name":${nested(100_000)}}}`,
    });

    expect(res.statusCode).toBe(400);
    expect(res.headers['x-error-code']).toBe('BODY_TOO_DEEP');
    expect(json(res)).toEqual({ errors: { _: ['the body must not nest deeper than 32 levels'] } });
    expect((await t.db.query(`SELECT * FROM ticket_types WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, type.id]))[0]).toEqual(type);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])("should refuse a filter on '%s' as an unknown field of every list", async (name) => {
    for (const list of ['tickets', 'conversations', 'customers', 'conversationmessages', 'users', 'tags']) {
      const filter = encodeURIComponent(`{"${name}":"' OR 1=1 --"}`);

      const res = await inject({ method: 'GET', url: `${BASE}/${list}.json?filter=${filter}`, headers: { authorization: acme.auth } });

      expect({ list, status: res.statusCode }).toEqual({ list, status: 400 });
      expect(json(res).errors.filter[0]).toMatch(new RegExp(`^unknown field '${name}'`));
    }
  });

  describe('Pusher webhooks, signed', () => {
    const webhook = (body: string) =>
      inject({
        method: 'POST',
        url: `${BASE}/conversationmessages/webhooks.json`,
        headers: {
          'content-type': 'application/json',
          'x-pusher-key': PUSHER.PUSHER_KEY,
          'x-pusher-signature': createHmac('sha256', PUSHER.PUSHER_SECRET).update(body).digest('hex'),
        },
        payload: body,
      });
    const count = async (table: string) => (await t.db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

    async function conversation(): Promise<{ id: number; contactId: number }> {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const res = await inject({
        method: 'POST',
        url: `${BASE}/conversations.json`,
        headers: { authorization: acme.auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ conversation: { contactId } }),
      });
      return { id: json(res).conversation.id, contactId };
    }

    it('should ignore a client message holding half of a surrogate pair and store the rest of its batch', async () => {
      const c = await conversation();
      const event = (message: string, clientMessageId: string) => ({
        name: 'client_event',
        channel: `private-conversation-${c.id}`,
        event: 'client-message',
        user_id: `contact-${c.contactId}`,
        data: JSON.stringify({ message, clientMessageId }),
      });
      const body = JSON.stringify({ time_ms: Date.now(), events: [event('half \ud800 a pair', 'lone-1'), event('fine', 'fine-1'), event('id', '\udc00')] });

      const res = await webhook(body);

      expect(res.statusCode).toBe(201);
      expect(json(res).meta).toMatchObject({ received: 3, created: 1, ignored: 2 });
      const messages = await t.db.query(`SELECT message FROM conversation_messages WHERE tenant_id = $1 AND conversation_id = $2`, [acme.tenantId, c.id]);
      expect(messages).toEqual([{ message: 'fine' }]);
    });

    it('should store an event whose fields hold half of a surrogate pair, with U+FFFD in its place', async () => {
      // An unknown event's name is quoted in the reason it is ignored for, so that is kept too.
      const events = [
        { name: 'client_event', channel: 'private-elsewhere', event: 'odd \ud800' },
        { name: 'half \udfff', channel: 'private-elsewhere' },
        { name: 'nul \u0000', channel: 'private-elsewhere' },
      ];

      const res = await webhook(JSON.stringify({ time_ms: Date.now(), events }));

      expect(res.statusCode).toBe(201);
      const stored = await t.db.query(`SELECT name, event, reason FROM webhook_events WHERE channel = 'private-elsewhere' ORDER BY name`);
      expect(stored).toEqual([
        { name: 'client_event', event: 'odd \uFFFD', reason: expect.any(String) },
        { name: 'half \uFFFD', event: null, reason: 'half \uFFFD is not an event this service acts on' },
        { name: 'nul \uFFFD', event: null, reason: 'nul \uFFFD is not an event this service acts on' },
      ]);
    });

    it('should refuse a batch nested deeper than any of Pusher and store nothing', async () => {
      const before = await count('webhook_events');
      const body = `{"time_ms":${Date.now()},"events":[{"name":"x","data":${'['.repeat(5000)}${']'.repeat(5000)}}]}`;

      const res = await webhook(body);

      expect(res.statusCode).toBe(400);
      expect(res.headers['x-error-code']).toBe('BODY_TOO_DEEP');
      expect(await count('webhook_events')).toBe(before);
    });
  });
});
