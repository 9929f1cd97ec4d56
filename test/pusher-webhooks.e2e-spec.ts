import { createHmac } from 'node:crypto';
import { loadAppConfig } from '@app/config';
import Pusher from 'pusher';
import request from 'supertest';
import { createApp } from '../apps/api/src/create-app';
import { WebhookEventsSweeper } from '../apps/api/src/pusher-webhooks/webhook-events-sweeper';
import { BASE, ISO } from './support/desk';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const APP = { PUSHER_APP_ID: '1', PUSHER_KEY: 'app-key', PUSHER_SECRET: 'app-secret' };
const ROTATED = { key: 'old-key', secret: 'old-secret' };
// Small, so a batch of a few dozen events spans several transactions.
const PER_TRANSACTION = 25;
const ENV = { ...APP, PUSHER_ADDITIONAL_CREDENTIALS: `${ROTATED.key}:${ROTATED.secret}`, PUSHER_WEBHOOK_EVENTS_PER_TRANSACTION: String(PER_TRANSACTION) };
const PATH = `${BASE}/conversationmessages/webhooks.json`;

// Signs as Pusher does: the lowercase hex HMAC-SHA256 of the body's bytes with the key's secret.
const sign = (body: string, secret = APP.PUSHER_SECRET) => createHmac('sha256', secret).update(body).digest('hex');

// The official package's own check of the same bytes and headers. It throws (a TypeError) rather
// than answer false when the signature header is missing; that counts as a refusal.
const pusher = new Pusher({ appId: APP.PUSHER_APP_ID, key: APP.PUSHER_KEY, secret: APP.PUSHER_SECRET, host: '127.0.0.1' });
function pusherAccepts(headers: Record<string, string>, rawBody: string): boolean {
  const lowerCase = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  try {
    return pusher.webhook({ headers: lowerCase, rawBody }).isValid([ROTATED]);
  } catch {
    return false;
  }
}

interface SendOptions {
  key?: string;
  secret?: string;
  signature?: string;
  contentType?: string;
  omit?: ('X-Pusher-Key' | 'X-Pusher-Signature')[];
}

type PusherEvent = Record<string, unknown>;

describe('Pusher webhooks: POST /desk/api/v2/conversationmessages/webhooks.json', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;

  beforeAll(async () => {
    t = await createTestApp(ENV);
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
  });
  afterAll(() => t.close());

  function headersFor(raw: string, options: SendOptions = {}): Record<string, string> {
    const headers: Record<string, string> = {
      'Content-Type': options.contentType ?? 'application/json',
      'X-Pusher-Key': options.key ?? APP.PUSHER_KEY,
      'X-Pusher-Signature': options.signature ?? sign(raw, options.secret),
    };
    for (const name of options.omit ?? []) delete headers[name];
    return headers;
  }

  function sendRaw(raw: string, options: SendOptions = {}, http = t.http) {
    return http.post(PATH).set(headersFor(raw, options)).send(raw);
  }

  const batch = (events: PusherEvent[], timeMs = Date.now()) => JSON.stringify({ time_ms: timeMs, events });
  const send = (events: PusherEvent[], timeMs = Date.now(), http = t.http) => sendRaw(batch(events, timeMs), {}, http);

  const clientMessage = (conversationId: number, data: Record<string, unknown>, extra: PusherEvent = {}): PusherEvent => ({
    name: 'client_event',
    channel: `private-conversation-${conversationId}`,
    event: 'client-message',
    data: JSON.stringify(data),
    socket_id: '123.456',
    ...extra,
  });

  let sequence = 0;
  const clientId = () => `client-${Date.now()}-${sequence++}`;

  async function conversation(tenant = acme): Promise<{ id: number; contactId: number; customerId: number }> {
    const { contactId, customerId } = await createContact(t.db, tenant.tenantId);
    const res = await t.http.post(`${BASE}/conversations.json`).set('Authorization', tenant.auth).send({ contactId });
    expect(res.status).toBe(201);
    return { id: res.body.conversation.id, contactId, customerId };
  }

  const count = async (sql: string, params: unknown[] = []) => Number((await t.db.query(sql, params))[0].count);
  const storedEvents = () => count(`SELECT count(*) FROM webhook_events`);
  const messagesOf = (conversationId: number) =>
    t.db.query(`SELECT * FROM conversation_messages WHERE conversation_id = $1 ORDER BY created_at, id`, [conversationId]);

  describe('the signature', () => {
    it('should accept a batch Pusher signed, as the official package does on the same bytes', async () => {
      const c = await conversation();
      const raw = batch([clientMessage(c.id, { message: 'Hello', clientMessageId: clientId() })]);
      const headers = headersFor(raw);
      expect(pusherAccepts(headers, raw)).toBe(true);
      const res = await sendRaw(raw);
      expect(res.status).toBe(201);
      expect(res.body.meta).toEqual({ received: 1, created: 1, applied: 0, duplicates: 0, ignored: 0, conflicts: 0 });
      expect(await messagesOf(c.id)).toHaveLength(1);
    });

    it('should refuse with 401 what Pusher did not sign, storing nothing, where the official package refuses too', async () => {
      const c = await conversation();
      const raw = batch([clientMessage(c.id, { message: 'Hello', clientMessageId: clientId() })]);
      const tampered = raw.replace('Hello', 'Hello!');
      const cases: [string, string, SendOptions][] = [
        ['tampered body', tampered, { signature: sign(raw) }],
        ['wrong key', raw, { key: 'not-a-key' }],
        ['wrong secret', raw, { secret: 'not-the-secret' }],
        ['the rotated key with the current secret', raw, { key: ROTATED.key }],
        ['uppercase hex', raw, { signature: sign(raw).toUpperCase() }],
        ['a truncated signature', raw, { signature: sign(raw).slice(0, 32) }],
        ['no signature', raw, { omit: ['X-Pusher-Signature'] }],
        ['no key', raw, { omit: ['X-Pusher-Key'] }],
        ['no headers at all', raw, { omit: ['X-Pusher-Key', 'X-Pusher-Signature'] }],
      ];
      const before = await storedEvents();
      for (const [label, body, options] of cases) {
        expect([label, pusherAccepts(headersFor(body, options), body)]).toEqual([label, false]);
        const res = await sendRaw(body, options);
        expect([label, res.status]).toEqual([label, 401]);
        expect(res.body.errors._).toEqual([expect.stringMatching(/X-Pusher/)]);
      }
      expect(await storedEvents()).toBe(before);
      expect(await messagesOf(c.id)).toHaveLength(0);
    });

    it('should accept a key and secret of a rotation alongside the current one', async () => {
      const c = await conversation();
      const raw = batch([clientMessage(c.id, { message: 'Rotated', clientMessageId: clientId() })]);
      const options = { key: ROTATED.key, secret: ROTATED.secret };
      expect(pusherAccepts(headersFor(raw, options), raw)).toBe(true);
      const res = await sendRaw(raw, options);
      expect(res.status).toBe(201);
      expect(res.body.conversationmessage.message).toBe('Rotated');
    });

    it('should accept application/json; charset=utf-8, which the official check alone refuses', async () => {
      const c = await conversation();
      const raw = batch([clientMessage(c.id, { message: 'Charset', clientMessageId: clientId() })]);
      const options = { contentType: 'application/json; charset=utf-8' };
      expect(pusherAccepts(headersFor(raw, options), raw)).toBe(false);
      expect(pusherAccepts(headersFor(raw), raw)).toBe(true);
      const res = await sendRaw(raw, options);
      expect(res.status).toBe(201);
      expect(res.body.conversationmessage.message).toBe('Charset');
    });

    it('should check the exact bytes: the same JSON spaced differently is another signature', async () => {
      const c = await conversation();
      const compact = batch([clientMessage(c.id, { message: 'Bytes', clientMessageId: clientId() })]);
      const spaced = JSON.stringify(JSON.parse(compact), null, 2);
      expect((await sendRaw(spaced, { signature: sign(compact) })).status).toBe(401);
      expect((await sendRaw(spaced)).status).toBe(201);
      // Multi-byte characters are signed as UTF-8 bytes, as Pusher sends them.
      const unicode = batch([clientMessage(c.id, { message: 'Grüße 👋', clientMessageId: clientId() })]);
      const res = await sendRaw(unicode);
      expect(res.status).toBe(201);
      expect(res.body.conversationmessage.message).toBe('Grüße 👋');
    });
  });

  describe('the body', () => {
    it('should answer 400 in the Desk dialect for a signed body that is not a batch, storing nothing', async () => {
      const now = Date.now();
      const cases: [string, string, Record<string, string[]>][] = [
        ['not JSON', '{"time_ms": 1, "events": [', { _: ['the body must be valid JSON'] }],
        ['empty', '', { _: ['the body must be {"time_ms": <number>, "events": [...]}'] }],
        ['an array', '[]', { _: ['the body must be {"time_ms": <number>, "events": [...]}'] }],
        ['a prototype key', `{"time_ms": ${now}, "events": [], "__proto__": {"x": 1}}`, { _: ['the body must be valid JSON'] }],
        ['no fields', '{}', { time_ms: ['must be set'], events: ['must be set'] }],
        ['time_ms a string', JSON.stringify({ time_ms: String(now), events: [] }), { time_ms: ['must be a time in milliseconds since 1970'] }],
        ['stale', batch([], now - 11 * 60_000), { time_ms: ['is older than the retry window of 600 seconds'] }],
        ['future', batch([], now + 2 * 60_000), { time_ms: ['is more than a minute in the future'] }],
        ['events an object', JSON.stringify({ time_ms: now, events: {} }), { events: ['must be an array'] }],
        ['an event not an object', batch([{ name: 'channel_occupied', channel: 'x' }, 'x' as never, null as never]), {
          'events[1]': ['must be an object'],
          'events[2]': ['must be an object'],
        }],
      ];
      const before = await storedEvents();
      for (const [label, raw, errors] of cases) {
        // The signature is right, so the guard lets each through to the body's checks; the official
        // check agrees wherever it can read the body (it refuses what is not JSON outright).
        const parses = (() => {
          try {
            JSON.parse(raw);
            return true;
          } catch {
            return false;
          }
        })();
        expect([label, pusherAccepts(headersFor(raw), raw)]).toEqual([label, parses]);
        const res = await sendRaw(raw);
        expect([label, res.status, res.body]).toEqual([label, 400, { errors }]);
      }
      // A wrong signature is found before a bad body.
      expect((await sendRaw('{"time_ms": 1, "events": [', { secret: 'wrong' })).status).toBe(401);
      expect(await storedEvents()).toBe(before);
    });

    it('should accept a batch at the edges of the window, and an empty one', async () => {
      const c = await conversation();
      const old = await send([clientMessage(c.id, { message: 'Old', clientMessageId: clientId() })], Date.now() - 9 * 60_000);
      expect(old.status).toBe(201);
      const ahead = await send([clientMessage(c.id, { message: 'Ahead', clientMessageId: clientId() })], Date.now() + 30_000);
      expect(ahead.status).toBe(201);
      const empty = await send([]);
      expect(empty.status).toBe(201);
      expect(empty.body).toEqual({ conversationmessages: [], meta: { received: 0, created: 0, applied: 0, duplicates: 0, ignored: 0, conflicts: 0 } });
    });

    it('should refuse a body with another content type', async () => {
      const raw = batch([]);
      const res = await sendRaw(raw, { contentType: 'application/json; charset=latin1' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { 'Content-Type': ['must be application/json'] } });
    });
  });

  describe('client-message', () => {
    it("should store the message as the conversation's contact, at the batch's time, and move lastMessageAt", async () => {
      const c = await conversation();
      const timeMs = Date.now() - 5_000;
      const id = clientId();
      const res = await send([clientMessage(c.id, { message: 'Where is my order?', clientMessageId: id })], timeMs);
      expect(res.status).toBe(201);
      const expected = {
        id: expect.any(Number),
        conversationId: c.id,
        userId: null,
        contactId: c.contactId,
        message: 'Where is my order?',
        files: [],
        clientMessageId: id,
        // The widget's messages are public: never a note.
        private: false,
        mentions: [],
        state: 'active',
        createdAt: new Date(timeMs).toISOString(),
        createdBy: null,
        updatedAt: new Date(timeMs).toISOString(),
        updatedBy: null,
      };
      expect(res.body).toEqual({
        conversationmessages: [expected],
        conversationmessage: expected,
        meta: { received: 1, created: 1, applied: 0, duplicates: 0, ignored: 0, conflicts: 0 },
      });
      const [row] = await messagesOf(c.id);
      expect(row).toMatchObject({ contact_id: c.contactId, user_id: null, message: 'Where is my order?', client_message_id: id });
      expect(row.created_at.getTime()).toBe(timeMs);
      const [conv] = await t.db.query(`SELECT last_message_at, updated_by FROM conversations WHERE id = $1`, [c.id]);
      expect(conv.last_message_at.getTime()).toBe(timeMs);
      expect(conv.updated_by).toBeNull();
      const [event] = await t.db.query(`SELECT * FROM webhook_events WHERE dedupe_key = $1`, [`message:${c.id}:inbound:${id}`]);
      expect(event).toMatchObject({ tenant_id: acme.tenantId, conversation_id: c.id, name: 'client_event', event: 'client-message', outcome: 'message' });
      // It is the same message the API shows.
      const api = await t.http.get(`${BASE}/conversationmessages/${res.body.conversationmessage.id}.json`).set('Authorization', acme.auth);
      expect(api.body.conversationmessage).toEqual(res.body.conversationmessage);
    });

    it("should take the author from a presence channel's user_id when it names an agent or a contact of the conversation", async () => {
      const c = await conversation();
      const agent = await createAgent(t, acme.tenantId);
      const [{ id: otherContactId }] = await t.db.query(
        `INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main) VALUES ($1, $2, 'phone', '+15550001', true) RETURNING id`,
        [acme.tenantId, c.customerId],
      );
      const stranger = await createContact(t.db, acme.tenantId);
      const globexAgent = await createAgent(t, globex.tenantId);
      const presence = (userId: string, message: string) =>
        clientMessage(c.id, { message, clientMessageId: clientId() }, { channel: `presence-conversation-${c.id}`, user_id: userId });
      const res = await send([
        presence(`user-${agent.id}`, 'From the agent'),
        presence(`contact-${otherContactId}`, 'From the phone'),
        presence(`contact-${stranger.contactId}`, 'From a stranger'),
        presence(`user-${globexAgent.id}`, "From another tenant's agent"),
        presence('someone', 'From nobody'),
      ]);
      expect(res.status).toBe(201);
      expect(res.body.meta).toEqual({ received: 5, created: 2, applied: 0, duplicates: 0, ignored: 3, conflicts: 0 });
      expect(res.body.conversationmessages.map((m: { userId: number; contactId: number }) => [m.userId, m.contactId])).toEqual([
        [agent.id, null],
        [null, otherContactId],
      ]);
      const reasons = await t.db.query(`SELECT reason FROM webhook_events WHERE conversation_id = $1 AND outcome = 'ignored' ORDER BY reason`, [c.id]);
      expect(reasons.map((r: { reason: string }) => r.reason)).toEqual([
        `contact-${stranger.contactId} is not an agent or contact of the conversation`,
        `user-${globexAgent.id} is not an agent or contact of the conversation`,
        'user_id names no agent (user-{id}) or contact (contact-{id})',
      ]);
      expect(await messagesOf(c.id)).toHaveLength(2);
    });

    it("should count the customer's messages as unread until an agent's, and store them as the widget's, inbound and delivered", async () => {
      const c = await conversation();
      const agent = await createAgent(t, acme.tenantId);
      const unread = async () => (await t.db.query(`SELECT unread_count FROM conversations WHERE id = $1`, [c.id]))[0].unread_count;
      const fromCustomer = (message: string) => clientMessage(c.id, { message, clientMessageId: clientId() });
      const fromAgent = (message: string) =>
        clientMessage(c.id, { message, clientMessageId: clientId() }, { channel: `presence-conversation-${c.id}`, user_id: `user-${agent.id}` });

      expect((await send([fromCustomer('one'), fromCustomer('two')])).status).toBe(201);
      expect(await unread()).toBe(2);
      // In one batch, in its order: the agent's reply reads the first, the third is unread.
      expect((await send([fromCustomer('three'), fromAgent('reply'), fromCustomer('four')])).status).toBe(201);
      expect(await unread()).toBe(1);
      expect((await send([fromCustomer('five')])).status).toBe(201);
      expect(await unread()).toBe(2);
      expect((await send([fromAgent('another reply')])).status).toBe(201);
      expect(await unread()).toBe(0);
      // The search's copy of the last message follows; a late batch leaves it alone.
      const lastText = async () => (await t.db.query(`SELECT last_message_text FROM conversations WHERE id = $1`, [c.id]))[0].last_message_text;
      expect(await lastText()).toBe('another reply');
      expect((await send([fromCustomer('late')], Date.now() - 60_000)).status).toBe(201);
      expect(await lastText()).toBe('another reply');
      expect(await unread()).toBe(1);

      // One batch's messages keep its order, whatever their clientMessageIds' order: listed so, and
      // the last one is the conversation's last text.
      const d = await conversation();
      const ordered = ['zulu', 'alpha', 'mike'].map((clientMessageId) => clientMessage(d.id, { message: `said ${clientMessageId}`, clientMessageId }));
      expect((await send(ordered)).status).toBe(201);
      const listed = await t.db.query(`SELECT message FROM conversation_messages WHERE conversation_id = $1 ORDER BY created_at, id`, [d.id]);
      expect(listed.map((r: { message: string }) => r.message)).toEqual(['said zulu', 'said alpha', 'said mike']);
      expect((await t.db.query(`SELECT last_message_text FROM conversations WHERE id = $1`, [d.id]))[0].last_message_text).toBe('said mike');

      const rows = await t.db.query(
        `SELECT message, direction, status, message_type, source FROM conversation_messages WHERE conversation_id = $1 ORDER BY id`,
        [c.id],
      );
      expect(rows.map((r: { message: string }) => r.message).sort()).toEqual(['another reply', 'five', 'four', 'late', 'one', 'reply', 'three', 'two']);
      for (const row of rows) {
        const agentWrote = row.message.includes('reply');
        expect(row).toEqual({
          message: row.message,
          direction: agentWrote ? 'outbound' : 'inbound',
          status: agentWrote ? 'sent' : 'delivered',
          message_type: 'TYPE_LIVE_CHAT',
          source: 'app',
        });
      }
    });

    it("should attach the files a message's author may attach, drop any other, and ignore a message left empty", async () => {
      const c = await conversation();
      const other = await conversation();
      const agent = await createAgent(t, acme.tenantId);
      // As the token upload and an agent's upload record them (bytes are not needed here).
      const fileOf = async (tenant: TestTenant, uploadedFor: { id: number; contactId: number } | null) =>
        (
          await t.db.query(
            `INSERT INTO files (tenant_id, filename, mime_type, size, sha256, storage_key, conversation_id, contact_id)
             VALUES ($1, 'a.txt', 'text/plain', 1, repeat('a', 64), 'k', $2, $3) RETURNING id`,
            [tenant.tenantId, uploadedFor?.id ?? null, uploadedFor?.contactId ?? null],
          )
        )[0].id as number;
      const [mine, agents, otherConversation, theirs] = [await fileOf(acme, c), await fileOf(acme, null), await fileOf(acme, other), await fileOf(globex, null)];
      const fromAgent = (data: Record<string, unknown>) =>
        clientMessage(c.id, data, { channel: `presence-conversation-${c.id}`, user_id: `user-${agent.id}` });
      const ids = [clientId(), clientId(), clientId(), clientId(), clientId()];

      const res = await send([
        clientMessage(c.id, { message: '', clientMessageId: ids[0], files: [mine] }),
        clientMessage(c.id, { message: 'Look', clientMessageId: ids[1], files: [mine, agents, otherConversation, theirs] }),
        clientMessage(c.id, { message: '', clientMessageId: ids[2], files: [agents] }),
        fromAgent({ message: 'Here', clientMessageId: ids[3], files: [agents, mine, otherConversation] }),
        fromAgent({ message: '', clientMessageId: ids[4], files: [otherConversation] }),
      ]);

      expect(res.status).toBe(201);
      expect(res.body.meta).toMatchObject({ received: 5, created: 3, ignored: 2 });
      const stored = await t.db.query(`SELECT client_message_id, message, file_ids, contact_id, user_id FROM conversation_messages WHERE conversation_id = $1 ORDER BY id`, [c.id]);
      expect(stored).toEqual([
        { client_message_id: ids[0], message: '', file_ids: [mine], contact_id: c.contactId, user_id: null },
        { client_message_id: ids[1], message: 'Look', file_ids: [mine], contact_id: c.contactId, user_id: null },
        { client_message_id: ids[3], message: 'Here', file_ids: [agents, mine], contact_id: null, user_id: agent.id },
      ]);
      // The reasons are recorded where the webhook records what it ignores, alike for every id.
      const events = await t.db.query(`SELECT outcome, reason, data FROM webhook_events WHERE conversation_id = $1 ORDER BY id`, [c.id]);
      const reasonOf = (clientMessageId: string) => events.find((e: { data: string }) => e.data.includes(clientMessageId));
      expect(reasonOf(ids[0])).toMatchObject({ outcome: 'message', reason: null });
      expect(reasonOf(ids[1])).toMatchObject({
        outcome: 'message',
        reason: 'data.files[1], data.files[2], data.files[3] dropped: not a file this author may attach to the conversation',
      });
      expect(reasonOf(ids[2])).toMatchObject({
        outcome: 'ignored',
        reason: 'data.files[0] dropped: not a file this author may attach to the conversation, and nothing else was sent',
      });
      expect(reasonOf(ids[3])).toMatchObject({ outcome: 'message', reason: 'data.files[2] dropped: not a file this author may attach to the conversation' });
      expect(reasonOf(ids[4])).toMatchObject({ outcome: 'ignored' });
    });

    // The webhook's answer to bad input is an event stored as ignored with its reason (a 4xx would
    // make Pusher retry), so a null where an id belongs is that, as any other unusable value.
    it('should ignore, with its reason, a message event whose clientMessageId or a file id is null', async () => {
      const c = await conversation();
      const raw = (data: unknown) => ({ ...clientMessage(c.id, {}), data: JSON.stringify(data) });
      const res = await send([raw({ message: 'no id', clientMessageId: null }), raw({ message: 'null file', files: [null] })]);
      expect(res.status).toBe(201);
      const rows = await t.db.query(`SELECT outcome, reason FROM webhook_events WHERE conversation_id = $1 ORDER BY reason`, [c.id]);
      expect(res.body.meta).toEqual({ received: 2, created: 0, applied: 0, duplicates: 0, ignored: 2, conflicts: 0 });
      expect(rows.map((r: { outcome: string; reason: string }) => [r.outcome, r.reason])).toEqual([
        ['ignored', 'data.clientMessageId is not a string of 1 to 128 characters'],
        ['ignored', 'data.files is not a list of at most 20 file ids'],
      ]);
      expect(await messagesOf(c.id)).toEqual([]);
    });

    it('should ignore, store and acknowledge message data it cannot use', async () => {
      const c = await conversation();
      const raw = (data: unknown) => ({ ...clientMessage(c.id, {}), data });
      const res = await send([
        raw('not json'),
        raw(JSON.stringify(['a'])),
        raw(JSON.stringify({ message: 5 })),
        raw(JSON.stringify({ message: '   ' })),
        raw(JSON.stringify({ message: 'x'.repeat(65_537) })),
        raw(JSON.stringify({ message: 'NUL \u0000 here' })),
        raw(JSON.stringify({ message: 'ok', clientMessageId: '' })),
        raw(JSON.stringify({ message: 'ok', files: ['1'] })),
        raw(null),
        raw('not JSON, with a NUL \u0000'),
      ]);
      expect(res.status).toBe(201);
      expect(res.body.meta).toEqual({ received: 10, created: 0, applied: 0, duplicates: 0, ignored: 10, conflicts: 0 });
      expect(await messagesOf(c.id)).toHaveLength(0);
      const rows = await t.db.query(`SELECT reason, data FROM webhook_events WHERE conversation_id = $1 ORDER BY id`, [c.id]);
      expect(rows).toHaveLength(10);
      expect(rows.map((r: { reason: string }) => r.reason)).toEqual(
        expect.arrayContaining(['data is not JSON', 'data is not a JSON object', 'the message is empty', 'data.message holds a NUL character']),
      );
      // NUL cannot be stored as text: kept as U+FFFD.
      expect(rows.some((r: { data: string }) => r.data?.includes('\uFFFD'))).toBe(true);
    });

    it('should derive a clientMessageId from the event when the widget sent none, so a retry still finds it', async () => {
      const c = await conversation();
      const timeMs = Date.now();
      const events = [clientMessage(c.id, { message: 'No id' })];
      const first = await send(events, timeMs);
      expect(first.body.conversationmessage.clientMessageId).toMatch(/^pusher:[0-9a-f]{64}$/);
      const again = await send(events, timeMs);
      expect(again.body.meta).toEqual({ received: 1, created: 0, applied: 0, duplicates: 1, ignored: 0, conflicts: 0 });
      expect(again.body.conversationmessage).toEqual(first.body.conversationmessage);
      expect(await messagesOf(c.id)).toHaveLength(1);
    });

    it('should list a message that arrives after a newer one at its own time, and keep lastMessageAt at the newest', async () => {
      const c = await conversation();
      const t1 = Date.now() - 60_000;
      const t2 = Date.now() - 30_000;
      await send([clientMessage(c.id, { message: 'second', clientMessageId: clientId() })], t2);
      await send([clientMessage(c.id, { message: 'first', clientMessageId: clientId() })], t1);
      const list = await t.http.get(`${BASE}/conversations/${c.id}/messages.json`).set('Authorization', acme.auth);
      expect(list.body.conversationmessages.map((m: { message: string }) => m.message)).toEqual(['first', 'second']);
      expect(list.body.conversationmessages[0].createdAt).toBe(new Date(t1).toISOString());
      const conv = await t.http.get(`${BASE}/conversations/${c.id}.json`).set('Authorization', acme.auth);
      expect(conv.body.conversation.lastMessageAt).toBe(new Date(t2).toISOString());
    });

    it('should answer with the message posted over REST when the webhook brings the same clientMessageId', async () => {
      const c = await conversation();
      const id = clientId();
      const rest = await t.http
        .post(`${BASE}/conversationmessages.json`)
        .set('Authorization', acme.auth)
        .send({ conversationId: c.id, contactId: c.contactId, message: 'Typed once', clientMessageId: id });
      expect(rest.status).toBe(201);
      const res = await send([clientMessage(c.id, { message: 'Typed once', clientMessageId: id })]);
      expect(res.body.meta).toEqual({ received: 1, created: 0, applied: 0, duplicates: 1, ignored: 0, conflicts: 0 });
      expect(res.body.conversationmessage).toEqual(rest.body.conversationmessage);
      expect(await messagesOf(c.id)).toHaveLength(1);
    });

    describe('a clientMessageId per side of the conversation', () => {
      const NONE = { received: 1, created: 0, applied: 0, duplicates: 0, ignored: 0, conflicts: 0 };
      const eventsUnder = (conversationId: number) =>
        t.db.query(`SELECT dedupe_key, outcome, reason, tenant_id FROM webhook_events WHERE conversation_id = $1 ORDER BY id`, [conversationId]);
      const restPost = (body: object) => t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', acme.auth).send(body);

      it("should keep the widget's message and an agent's later one with the same id, over REST or the presence channel", async () => {
        const c = await conversation();
        const first = await send([clientMessage(c.id, { message: 'squatting', clientMessageId: 'agent-c-77' })]);
        expect(first.body.meta).toEqual({ ...NONE, created: 1 });
        const rest = await restPost({ conversationId: c.id, message: 'the real answer', clientMessageId: 'agent-c-77' });
        expect(rest.status).toBe(201);
        const presence = await send([
          clientMessage(c.id, { message: 'from the dashboard', clientMessageId: 'agent-c-78' }, { channel: `presence-conversation-${c.id}`, user_id: `user-${acme.adminId}` }),
          clientMessage(c.id, { message: 'from the widget', clientMessageId: 'agent-c-78' }),
        ]);
        expect(presence.body.meta).toEqual({ ...NONE, received: 2, created: 2 });
        const rows = await messagesOf(c.id);
        expect(rows.map((m: Record<string, unknown>) => [m.direction, m.message, m.client_message_id])).toEqual([
          ['inbound', 'squatting', 'agent-c-77'],
          ['outbound', 'the real answer', 'agent-c-77'],
          ['outbound', 'from the dashboard', 'agent-c-78'],
          ['inbound', 'from the widget', 'agent-c-78'],
        ]);
        expect((await eventsUnder(c.id)).map((e: { dedupe_key: string }) => e.dedupe_key).sort()).toEqual([
          `message:${c.id}:inbound:agent-c-77`,
          `message:${c.id}:inbound:agent-c-78`,
          `message:${c.id}:outbound:agent-c-78`,
        ]);
      });

      it("should record a conflict and store nothing when the widget reuses the id of the customer's message with another text", async () => {
        const c = await conversation();
        const rest = await restPost({ conversationId: c.id, contactId: c.contactId, message: 'Typed once', clientMessageId: 'w-1' });
        expect(rest.status).toBe(201);
        const conversationBefore = (await t.db.query(`SELECT * FROM conversations WHERE id = $1`, [c.id]))[0];
        const timeMs = Date.now();
        const events = [clientMessage(c.id, { message: 'Typed twice', clientMessageId: 'w-1' })];

        const res = await send(events, timeMs);
        // Acknowledged, as every usable batch is: a 4xx would make Pusher retry it.
        expect(res.status).toBe(201);
        expect(res.body).toEqual({ conversationmessages: [], meta: { ...NONE, conflicts: 1 } });
        const recorded = await eventsUnder(c.id);
        expect(recorded).toEqual([
          {
            dedupe_key: expect.stringMatching(/^conflict:[0-9a-f]{64}$/),
            outcome: 'conflict',
            reason: 'data.clientMessageId names another message of the conversation',
            tenant_id: acme.tenantId,
          },
        ]);
        expect((await messagesOf(c.id)).map((m: { message: string }) => m.message)).toEqual(['Typed once']);
        expect((await t.db.query(`SELECT * FROM conversations WHERE id = $1`, [c.id]))[0]).toEqual(conversationBefore);

        // Pusher's retry of the same batch is a duplicate: recorded once.
        const retry = await send(events, timeMs);
        expect(retry.body.meta).toEqual({ ...NONE, duplicates: 1 });
        expect(await eventsUnder(c.id)).toEqual(recorded);
        expect(await messagesOf(c.id)).toHaveLength(1);
      });

      it('should record a conflict for another text under a widget id used before, in one batch or in a later one', async () => {
        const c = await conversation();
        const together = await send([
          clientMessage(c.id, { message: 'one', clientMessageId: 'w-2' }),
          clientMessage(c.id, { message: 'two', clientMessageId: 'w-2' }),
        ]);
        expect(together.body.meta).toEqual({ ...NONE, received: 2, created: 1, conflicts: 1 });
        expect(together.body.conversationmessages.map((m: { message: string }) => m.message)).toEqual(['one']);
        const later = await send([clientMessage(c.id, { message: 'three', clientMessageId: 'w-2' })]);
        expect(later.body.meta).toEqual({ ...NONE, conflicts: 1 });
        const same = await send([clientMessage(c.id, { message: 'one', clientMessageId: 'w-2' })]);
        expect(same.body.meta).toEqual({ ...NONE, duplicates: 1 });
        expect(same.body.conversationmessage.message).toBe('one');
        expect((await messagesOf(c.id)).map((m: { message: string }) => m.message)).toEqual(['one']);
        expect((await eventsUnder(c.id)).map((e: { outcome: string }) => e.outcome)).toEqual(['message', 'conflict', 'conflict']);
      });
    });
  });

  describe('other events', () => {
    it('should acknowledge other client events without a message', async () => {
      const c = await conversation();
      const res = await send([{ ...clientMessage(c.id, {}), event: 'client-typing', data: '{}' }]);
      expect(res.body.meta).toEqual({ received: 1, created: 0, applied: 1, duplicates: 0, ignored: 0, conflicts: 0 });
      expect(await messagesOf(c.id)).toHaveLength(0);
      const [event] = await t.db.query(`SELECT outcome, event FROM webhook_events WHERE conversation_id = $1`, [c.id]);
      expect(event).toEqual({ outcome: 'applied', event: 'client-typing' });
    });

    it('should keep who is on the presence channel, and make agents who join participants', async () => {
      const c = await conversation();
      const agent = await createAgent(t, acme.tenantId);
      const channel = `presence-conversation-${c.id}`;
      const t1 = Date.now() - 20_000;
      const joined = await send(
        [
          { name: 'member_added', channel, user_id: `user-${agent.id}` },
          { name: 'member_added', channel, user_id: `contact-${c.contactId}` },
        ],
        t1,
      );
      expect(joined.body.meta).toEqual({ received: 2, created: 0, applied: 2, duplicates: 0, ignored: 0, conflicts: 0 });
      const members = () =>
        t.db.query(`SELECT member, online, changed_at FROM conversation_members WHERE conversation_id = $1 ORDER BY member`, [c.id]);
      expect((await members()).map((m: { member: string; online: boolean }) => [m.member, m.online])).toEqual([
        [`contact-${c.contactId}`, true],
        [`user-${agent.id}`, true],
      ]);
      const conv = await t.http.get(`${BASE}/conversations/${c.id}.json`).set('Authorization', acme.auth);
      expect(conv.body.conversation.users).toEqual([{ id: agent.id, type: 'users' }]);
      expect(conv.body.conversation.online).toEqual({ widget: false, widgetChangedAt: null, members: [`contact-${c.contactId}`, `user-${agent.id}`] });
      // Dashboards hear of it: conversation.updated with the conversation as the API shows it; the
      // widget, on its channel, the customer's view (its agents, never who is online).
      const live = await t.db.query(
        `SELECT payload FROM outbox WHERE topic = 'pusher' AND payload->>'event' = 'conversation.updated' AND (payload->'data'->>'id')::bigint = $1 ORDER BY id`,
        [c.id],
      );
      const shown = conv.body.conversation;
      expect(live.map((row: { payload: unknown }) => row.payload)).toEqual([
        {
          event: 'conversation.updated',
          channels: [`private-conversation-${c.id}`],
          data: {
            id: c.id,
            state: 'active',
            converted: false,
            contactId: c.contactId,
            contact: { id: c.contactId, type: shown.contact.type, value: shown.contact.value, isMain: shown.contact.isMain },
            messages: [],
            users: [{ id: agent.id, type: 'users' }],
            lastMessageAt: null,
            createdAt: shown.createdAt,
            updatedAt: shown.updatedAt,
          },
          socketId: null,
        },
        // The agents' JSON, with the change's activities: presence writes none.
        { event: 'conversation.updated', channels: [`private-tenant-${acme.tenantId}`], data: { ...shown, activities: [] }, socketId: null },
      ]);

      // Leaving, then a late copy of an older join: the later state stands.
      const t2 = Date.now() - 10_000;
      await send([{ name: 'member_removed', channel, user_id: `user-${agent.id}` }], t2);
      const late = await send([{ name: 'member_added', channel, user_id: `user-${agent.id}`, extra: 'late' }], t1 - 1_000);
      expect(late.body.meta.applied).toBe(1);
      const rows = await members();
      expect(rows.map((m: { member: string; online: boolean }) => [m.member, m.online])).toEqual([
        [`contact-${c.contactId}`, true],
        [`user-${agent.id}`, false],
      ]);
      expect(rows[1].changed_at.getTime()).toBe(t2);
      // The last of several events for one member in one batch wins.
      await send([
        { name: 'member_added', channel, user_id: `contact-${c.contactId}` },
        { name: 'member_removed', channel, user_id: `contact-${c.contactId}` },
      ]);
      expect((await members())[0].online).toBe(false);
    });

    it('should keep whether the widget is online, with the time, whatever order events arrive in', async () => {
      const c = await conversation();
      const channel = `private-conversation-${c.id}`;
      const state = async () => (await t.db.query(`SELECT widget_online, widget_online_at FROM conversations WHERE id = $1`, [c.id]))[0];
      const t1 = Date.now() - 20_000;
      const t2 = Date.now() - 10_000;
      await send([{ name: 'channel_occupied', channel }], t1);
      expect(await state()).toEqual({ widget_online: true, widget_online_at: new Date(t1) });
      const conv = await t.http.get(`${BASE}/conversations/${c.id}.json`).set('Authorization', acme.auth);
      expect(conv.body.conversation.online).toEqual({ widget: true, widgetChangedAt: new Date(t1).toISOString(), members: [] });
      await send([{ name: 'channel_vacated', channel }], t2);
      await send([{ name: 'channel_occupied', channel }], t1 + 1);
      expect(await state()).toEqual({ widget_online: false, widget_online_at: new Date(t2) });
      // One conversation.updated per change that took effect; none for the late one.
      const updates = await t.db.query(
        `SELECT payload->'channels'->>0 AS channel, payload->'data'->'online' AS online FROM outbox
          WHERE topic = 'pusher' AND payload->>'event' = 'conversation.updated' AND (payload->'data'->>'id')::bigint = $1 ORDER BY id`,
        [c.id],
      );
      const agents = updates.filter((u: { channel: string }) => u.channel === `private-tenant-${acme.tenantId}`);
      expect(agents.map((u: { online: { widget: boolean } }) => u.online.widget)).toEqual([true, false]);
      // The widget's channel gets the customer's view of each, which says nothing of who is online.
      expect(updates.map((u: { channel: string; online: unknown }) => [u.channel, u.online === null])).toEqual(
        agents.flatMap(() => [[channel, true], [`private-tenant-${acme.tenantId}`, false]]),
      );
    });

    it('should store as ignored and acknowledge everything it does not act on, never a 4xx', async () => {
      const c = await conversation();
      const deleted = await conversation();
      expect((await t.http.delete(`${BASE}/conversations/${deleted.id}.json`).set('Authorization', acme.auth)).status).toBe(204);
      const events: PusherEvent[] = [
        { name: 'cache_miss', channel: `private-conversation-${c.id}` },
        { name: 'subscription_count', channel: `private-conversation-${c.id}`, subscription_count: 3 },
        { name: 'something_new', channel: `private-conversation-${c.id}` },
        { channel: 'no-name' },
        { name: 42, channel: ['odd'], data: { an: 'object' } },
        { name: 'channel_occupied', channel: 'private-somebody-else' },
        { name: 'channel_occupied', channel: `presence-conversation-${c.id}` },
        { name: 'member_added', channel: `private-conversation-${c.id}`, user_id: 'user-1' },
        clientMessage(999_999_999, { message: 'To nowhere', clientMessageId: clientId() }),
        clientMessage(deleted.id, { message: 'To the deleted', clientMessageId: clientId() }),
        { name: 'client_event', channel: 'private-tenant-1', event: 'client-message', data: '{}' },
      ];
      const res = await send(events);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ conversationmessages: [], meta: { received: 11, created: 0, applied: 0, duplicates: 0, ignored: 11, conflicts: 0 } });
      expect(await messagesOf(deleted.id)).toHaveLength(0);
      const rows = await t.db.query(`SELECT tenant_id, conversation_id, outcome, reason FROM webhook_events WHERE outcome = 'ignored' ORDER BY id DESC LIMIT 11`);
      expect(rows.every((r: { outcome: string; reason: string }) => r.outcome === 'ignored' && r.reason)).toBe(true);
      expect(rows.find((r: { reason: string }) => r.reason === 'no such conversation')).toMatchObject({ tenant_id: null, conversation_id: null });
      expect(rows.find((r: { reason: string }) => r.reason === 'the conversation is deleted')).toMatchObject({
        tenant_id: acme.tenantId,
        conversation_id: deleted.id,
      });
    });
  });

  describe('exactly once', () => {
    it('should create each message once when the same batch arrives 10 times, one after another and all at once', async () => {
      const c = await conversation();
      const timeMs = Date.now();
      const raw = batch(
        [
          clientMessage(c.id, { message: 'a', clientMessageId: clientId() }),
          clientMessage(c.id, { message: 'b', clientMessageId: clientId() }),
          { name: 'channel_occupied', channel: `private-conversation-${c.id}` },
        ],
        timeMs,
      );
      const first = await sendRaw(raw);
      expect(first.body.meta).toEqual({ received: 3, created: 2, applied: 1, duplicates: 0, ignored: 0, conflicts: 0 });
      for (let i = 0; i < 4; i++) {
        const again = await sendRaw(raw);
        expect(again.body.meta).toEqual({ received: 3, created: 0, applied: 0, duplicates: 3, ignored: 0, conflicts: 0 });
        expect(again.body.conversationmessages).toEqual(first.body.conversationmessages);
      }
      const parallel = await Promise.all(Array.from({ length: 6 }, () => sendRaw(raw)));
      expect(parallel.map((r) => r.status)).toEqual(Array(6).fill(201));
      expect(await messagesOf(c.id)).toHaveLength(2);
      expect(await count(`SELECT count(*) FROM webhook_events WHERE conversation_id = $1`, [c.id])).toBe(3);
    });

    it('should create nothing new for a batch sent again in part and in another order, and take only what is new', async () => {
      const c = await conversation();
      const timeMs = Date.now();
      const ids = [clientId(), clientId(), clientId()];
      const events = ids.map((id, i) => clientMessage(c.id, { message: `m${i}`, clientMessageId: id }));
      await send(events, timeMs);
      const fresh = clientMessage(c.id, { message: 'new', clientMessageId: clientId() });
      const res = await send([events[2], fresh, events[0], events[0]], timeMs + 500);
      expect(res.body.meta).toEqual({ received: 4, created: 1, applied: 0, duplicates: 3, ignored: 0, conflicts: 0 });
      expect(res.body.conversationmessages.map((m: { message: string }) => m.message)).toEqual(['m2', 'new', 'm0']);
      expect((await messagesOf(c.id)).map((m: { message: string }) => m.message)).toEqual(['m0', 'm1', 'm2', 'new']);
    });

    it('should count good, ignored and duplicate events of one mixed batch', async () => {
      const c = await conversation();
      const known = clientMessage(c.id, { message: 'known', clientMessageId: clientId() });
      await send([known]);
      const res = await send([
        known,
        clientMessage(c.id, { message: 'good', clientMessageId: clientId() }),
        { name: 'cache_miss', channel: `private-conversation-${c.id}` },
        { ...clientMessage(c.id, {}), event: 'client-typing' },
      ]);
      expect(res.body.meta).toEqual({ received: 4, created: 1, applied: 1, duplicates: 1, ignored: 1, conflicts: 0 });
      expect(res.body.conversationmessages.map((m: { message: string }) => m.message)).toEqual(['known', 'good']);
      expect(res.body).not.toHaveProperty('conversationmessage');
    });

    it('should take a batch of any size within the body limit, in transactions of PUSHER_WEBHOOK_EVENTS_PER_TRANSACTION, and its retry creates nothing', async () => {
      const [c, d] = [await conversation(), await conversation()];
      const timeMs = Date.now();
      const total = PER_TRANSACTION * 4 + 3;
      // Every third without a clientMessageId; the same id-less text at the start and past the first transaction.
      const events = Array.from({ length: total }, (_, i) =>
        i % 3 === 0 ? clientMessage(i % 2 ? c.id : d.id, { message: i === 0 || i === PER_TRANSACTION + 5 ? 'same' : `big ${i}` }) : clientMessage(i % 2 ? c.id : d.id, { message: `big ${i}`, clientMessageId: clientId() }),
      );
      events[PER_TRANSACTION + 5] = events[0];
      events.splice(7, 0, { name: 'channel_occupied', channel: `private-conversation-${c.id}` });
      const raw = batch(events, timeMs);
      const first = await sendRaw(raw);
      expect(first.status).toBe(201);
      expect(first.body.meta).toEqual({ received: total + 1, created: total, applied: 1, duplicates: 0, ignored: 0, conflicts: 0 });
      expect(first.body.conversationmessages.map((m: { message: string }) => m.message)).toEqual(
        events.flatMap((e) => (e.data ? [JSON.parse(e.data as string).message] : [])),
      );
      const stored = [...(await messagesOf(c.id)), ...(await messagesOf(d.id))];
      expect(stored).toHaveLength(total);
      expect(stored.filter((m: { message: string }) => m.message === 'same')).toHaveLength(2);
      expect((await t.db.query(`SELECT widget_online FROM conversations WHERE id = $1`, [c.id]))[0].widget_online).toBe(true);

      const again = await sendRaw(raw);
      expect(again.body.meta).toEqual({ received: total + 1, created: 0, applied: 0, duplicates: total + 1, ignored: 0, conflicts: 0 });
      expect(again.body.conversationmessages).toEqual(first.body.conversationmessages);
      const shuffled = await send([...events].reverse(), timeMs);
      expect(shuffled.body.meta).toMatchObject({ created: 0, duplicates: total + 1 });
      expect((await messagesOf(c.id)).length + (await messagesOf(d.id)).length).toBe(total);
    });

    it('should store two identical events without a clientMessageId as two messages, and the same batch again in any order as none', async () => {
      const c = await conversation();
      const timeMs = Date.now();
      const hello = clientMessage(c.id, { message: 'hello' });
      const events = [hello, hello, clientMessage(c.id, { message: 'other' }), hello];
      const first = await send(events, timeMs);
      expect(first.body.meta).toEqual({ received: 4, created: 4, applied: 0, duplicates: 0, ignored: 0, conflicts: 0 });
      const ids = first.body.conversationmessages.map((m: { clientMessageId: string }) => m.clientMessageId);
      expect(new Set(ids).size).toBe(4);
      expect(ids[0]).toMatch(/^pusher:[0-9a-f]{64}$/);
      expect(ids[1]).toBe(`${ids[0]}:2`);
      expect(ids[3]).toBe(`${ids[0]}:3`);
      expect((await messagesOf(c.id)).map((m: { message: string }) => m.message)).toEqual(['hello', 'hello', 'other', 'hello']);

      for (const replay of [events, [events[2], hello, hello, hello], [hello, hello, events[2]]]) {
        const res = await send(replay, timeMs);
        expect(res.status).toBe(201);
        expect(res.body.meta).toMatchObject({ created: 0, duplicates: replay.length });
      }
      // A fourth one is new; in a later batch (another time) it is another message too.
      expect((await send([hello, hello, hello, hello], timeMs)).body.meta).toMatchObject({ created: 1, duplicates: 3 });
      expect((await send([hello], timeMs + 1)).body.meta).toMatchObject({ created: 1 });
      expect(await messagesOf(c.id)).toHaveLength(6);
    });

    it('should keep what a failed transaction of a big batch committed before it, and create only the rest when Pusher sends the batch again', async () => {
      const c = await conversation();
      const timeMs = Date.now();
      const events = Array.from({ length: PER_TRANSACTION * 2 + 4 }, (_, i) => clientMessage(c.id, { message: `part ${i}`, ...(i % 2 ? { clientMessageId: clientId() } : {}) }));
      // The second transaction fails once, as a dropped connection would fail it.
      const fail = `fail-${c.id}`;
      events[PER_TRANSACTION + 3] = clientMessage(c.id, { message: fail });
      await t.db.query(
        `CREATE FUNCTION fail_webhook_${c.id}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.message = '${fail}' THEN RAISE EXCEPTION 'injected'; END IF; RETURN NEW; END $$`,
      );
      await t.db.query(`CREATE TRIGGER fail_webhook_${c.id} BEFORE INSERT ON conversation_messages FOR EACH ROW EXECUTE FUNCTION fail_webhook_${c.id}()`);
      try {
        const failed = await send(events, timeMs);
        expect(failed.status).toBe(500);
        expect(await messagesOf(c.id)).toHaveLength(PER_TRANSACTION);
      } finally {
        await t.db.query(`DROP TRIGGER fail_webhook_${c.id} ON conversation_messages`);
        await t.db.query(`DROP FUNCTION fail_webhook_${c.id}()`);
      }
      const retried = await send(events, timeMs);
      expect(retried.body.meta).toEqual({ received: events.length, created: events.length - PER_TRANSACTION, applied: 0, duplicates: PER_TRANSACTION, ignored: 0, conflicts: 0 });
      expect((await messagesOf(c.id)).map((m: { message: string }) => m.message)).toEqual(events.map((e) => JSON.parse(e.data as string).message));
      expect((await send(events, timeMs)).body.meta).toMatchObject({ created: 0, duplicates: events.length });
    });

    it('should create each message once when two service processes receive the same batches at once', async () => {
      const config = loadAppConfig({ LOG_LEVEL: 'silent', ...ENV, PUSHER_HOST: '127.0.0.1', PUSHER_PORT: '1', PUSHER_USE_TLS: 'false', ...t.databaseEnv });
      const second = await createApp(config);
      try {
        const other = request(second.getHttpServer());
        const conversations = await Promise.all([conversation(), conversation(), conversation()]);
        const timeMs = Date.now();
        const batches = Array.from({ length: 5 }, (_, b) =>
          batch(
            conversations.flatMap((c) => [
              clientMessage(c.id, { message: `b${b}`, clientMessageId: `batch-${b}-${c.id}` }),
              { name: 'member_added', channel: `presence-conversation-${c.id}`, user_id: `contact-${c.contactId}` },
            ]),
            timeMs,
          ),
        );
        const sends = batches.flatMap((raw) => [sendRaw(raw), sendRaw(raw, {}, other), sendRaw(raw), sendRaw(raw, {}, other)]);
        const answers = await Promise.all(sends);
        expect(answers.map((r) => r.status)).toEqual(Array(sends.length).fill(201));
        const created = answers.reduce((sum, r) => sum + r.body.meta.created, 0);
        expect(created).toBe(15);
        for (const c of conversations) {
          expect((await messagesOf(c.id)).map((m: { message: string }) => m.message).sort()).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
        }
      } finally {
        await second.close();
      }
    });
  });

  describe('retention', () => {
    it('should sweep stored events past the retention, never inside the retry window', async () => {
      const sweeper = t.app.get(WebhookEventsSweeper);
      expect(sweeper.retentionMs).toBe(24 * 3_600_000);
      const c = await conversation();
      const events = [{ name: 'channel_occupied', channel: `private-conversation-${c.id}` }, { ...clientMessage(c.id, {}), event: 'client-typing' }];
      await send(events);
      const keys = await t.db.query(`SELECT dedupe_key FROM webhook_events WHERE conversation_id = $1 ORDER BY id`, [c.id]);
      await t.db.query(`UPDATE webhook_events SET received_at = now() - interval '25 hours' WHERE dedupe_key = $1`, [keys[0].dedupe_key]);
      await t.db.query(`UPDATE webhook_events SET received_at = now() - interval '23 hours' WHERE dedupe_key = $1`, [keys[1].dedupe_key]);
      expect(await sweeper.sweep()).toBe(1);
      const left = await t.db.query(`SELECT dedupe_key FROM webhook_events WHERE conversation_id = $1`, [c.id]);
      expect(left).toEqual([keys[1]]);
    });
  });

  describe('live updates', () => {
    it('should write message.created to the outbox with the message, excluding the socket that sent it', async () => {
      const c = await conversation();
      const res = await send([clientMessage(c.id, { message: 'Live', clientMessageId: clientId() }, { socket_id: '777.888' })]);
      const rows = await t.db.query(
        `SELECT tenant_id, payload FROM outbox WHERE topic = 'pusher' AND payload->>'event' = 'message.created' AND payload->'data'->>'id' = $1 ORDER BY id`,
        [String(res.body.conversationmessage.id)],
      );
      const m = res.body.conversationmessage;
      expect(rows).toEqual([
        {
          tenant_id: acme.tenantId,
          payload: {
            event: 'message.created',
            channels: [`private-conversation-${c.id}`],
            data: {
              id: m.id,
              conversationId: c.id,
              userId: null,
              contactId: c.contactId,
              message: 'Live',
              files: [],
              clientMessageId: m.clientMessageId,
              state: 'active',
              createdAt: m.createdAt,
              updatedAt: m.updatedAt,
            },
            socketId: '777.888',
          },
        },
        {
          tenant_id: acme.tenantId,
          payload: { event: 'message.created', channels: [`private-tenant-${acme.tenantId}`], data: m, socketId: '777.888' },
        },
      ]);
      expect(res.body.conversationmessage.createdAt).toMatch(ISO);
    });
  });
});
