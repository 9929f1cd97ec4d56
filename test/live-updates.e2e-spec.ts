import { isDeepStrictEqual } from 'node:util';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadAppConfig } from '@app/config';
import Pusher from 'pusher';
import { createApp } from '../apps/api/src/create-app';
import { describeError } from '../apps/api/src/live/outbox-dispatcher';
import { OutboxPurge } from '../apps/api/src/live/outbox-purge';
import { PusherService } from '../apps/api/src/live/pusher.service';
import { BASE } from './support/desk';
import { customerConversation, customerMessage } from './support/customer-view';
import { createContact, createTenant, TestTenant } from './support/factories';
import { FakePusher, ReceivedEvent, startFakePusher } from './support/pusher-server';
import { createTestApp, TestApp } from './support/test-app';
import { withClient } from './support/test-database';
import { waitFor } from './support/wait-for';

type Row = Record<string, unknown>;

interface OutboxRow {
  tenant_id: number;
  id: number;
  topic: string;
  ticket_id: number | null;
  payload: { event: string; channels: string[]; data: Record<string, unknown>; socketId: string | null };
  available_at: Date;
  delivered_at: Date | null;
  failed_at: Date | null;
  attempts: number;
  last_error: string | null;
  created_by: number | null;
}

const conversationChannel = (id: number) => `private-conversation-${id}`;
const tenantChannel = (tenant: TestTenant) => `private-tenant-${tenant.tenantId}`;

// Reads of the outbox and of what the fake received, shared by the describes below.
function outboxHelpers(get: () => { t: TestApp; pusher?: FakePusher }) {
  const db = () => get().t.db;
  const lastOutboxId = async (): Promise<number> => (await db().query(`SELECT coalesce(max(id), 0)::bigint AS id FROM outbox`))[0].id;
  const pusherRowsAfter = (id: number): Promise<OutboxRow[]> =>
    db().query(`SELECT * FROM outbox WHERE topic = 'pusher' AND id > $1 ORDER BY id`, [id]);
  const row = async (id: number): Promise<OutboxRow> => (await db().query(`SELECT * FROM outbox WHERE id = $1`, [id]))[0];

  // What `act` wrote to the outbox (live updates only), with its result.
  async function written<T>(act: () => Promise<T>): Promise<{ result: T; rows: OutboxRow[] }> {
    const since = await lastOutboxId();
    const result = await act();
    return { result, rows: await pusherRowsAfter(since) };
  }

  const delivered = (id: number, timeoutMs?: number): Promise<OutboxRow> =>
    waitFor(`outbox row ${id} to be delivered`, async () => {
      const current = await row(id);
      return current.delivered_at ? current : null;
    }, timeoutMs);

  // Every one of these rows delivered: a change's rows may go out through two dispatchers
  // (E2E_PROCESSES=2), each in its own time.
  const deliveredAll = (rows: OutboxRow[]) => Promise.all(rows.map((r) => delivered(r.id)));

  // Nothing of topic `pusher` left to send.
  const drained = () =>
    waitFor('the outbox to drain', async () => {
      const [{ n }] = await db().query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'pusher' AND delivered_at IS NULL AND failed_at IS NULL`);
      return n === 0;
    });

  // Pusher received an event once per channel (batch_events: one channel each).
  const received = (name: string, data: unknown): ReceivedEvent[] =>
    get().pusher!.events.filter((event) => event.name === name && isDeepStrictEqual(event.data, data));

  return { lastOutboxId, pusherRowsAfter, row, written, delivered, deliveredAll, drained, received };
}

// A conversation's agents' JSON as its live event carries it: the request's answer, with the
// activities the change wrote for it (none for a change of no workflow field).
function agentsEvent(conversation: Record<string, unknown>, activities: unknown[] = []): Record<string, unknown> {
  return { ...conversation, activities };
}

// The channels a list of received events went to, in order.
const channelsOf = (events: ReceivedEvent[]): string[] => events.flatMap((event) => event.channels);

describe('Live updates through Pusher, via the outbox', () => {
  let pusher: FakePusher;
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;
  const { lastOutboxId, pusherRowsAfter, row, written, delivered, deliveredAll, drained, received } = outboxHelpers(() => ({ t, pusher }));

  beforeAll(async () => {
    pusher = await startFakePusher({ appId: '1', key: 'key', secret: 'secret' });
    t = await createTestApp({ ...pusher.env(), PUSHER_DISPATCH_INTERVAL_MS: '50', PUSHER_TIMEOUT_MS: '1000' });
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
  });
  afterAll(async () => {
    await t?.close();
    await pusher?.close();
  });
  beforeEach(() => pusher.failNext(0, 500));

  const post = (path: string, body: unknown, tenant = acme, headers: Record<string, string> = {}) =>
    t.http.post(`${BASE}/${path}`).set('Authorization', tenant.auth).set(headers).send(body as object);
  const patch = (path: string, body: unknown, tenant = acme, headers: Record<string, string> = {}) =>
    t.http.patch(`${BASE}/${path}`).set('Authorization', tenant.auth).set(headers).send(body as object);
  const del = (path: string, tenant = acme) => t.http.delete(`${BASE}/${path}`).set('Authorization', tenant.auth);
  const get = (path: string, tenant = acme) => t.http.get(`${BASE}/${path}`).set('Authorization', tenant.auth);

  async function conversation(tenant = acme): Promise<Row & { id: number }> {
    const { contactId } = await createContact(t.db, tenant.tenantId);
    const res = await post('conversations.json', { contactId }, tenant);
    expect(res.status).toBe(201);
    return res.body.conversation;
  }

  async function ticket(body: Row = {}, tenant = acme): Promise<Row & { id: number }> {
    const { customerId } = await createContact(t.db, tenant.tenantId);
    const res = await post('tickets.json', { subject: 'Printer jam', message: 'It jams on every page.', customer: { id: customerId }, ...body }, tenant);
    expect(res.status).toBe(201);
    return res.body.ticket;
  }

  // One live update written for the request, to the tenant's channel only: its row as a whole.
  function expectOne(rows: OutboxRow[], tenant: TestTenant, event: string, channels: string[], data: unknown, socketId: string | null = null) {
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tenant_id: tenant.tenantId, topic: 'pusher', ticket_id: null, created_by: tenant.adminId, failed_at: null });
    expect(rows[0].payload).toEqual({ event, channels, data, socketId });
    return rows[0];
  }

  // One live update about a conversation: a row for its channel with the customer's view, then one
  // for the tenant's with the agents' JSON. Returns the later row.
  function expectPair(rows: OutboxRow[], tenant: TestTenant, event: string, conversationId: number, agents: Row, customer: Row, socketId: string | null = null) {
    expect(rows).toHaveLength(2);
    for (const row_ of rows) {
      expect(row_).toMatchObject({ tenant_id: tenant.tenantId, topic: 'pusher', ticket_id: null, created_by: tenant.adminId, failed_at: null });
    }
    expect(rows.map((row_) => row_.payload)).toEqual([
      { event, channels: [conversationChannel(conversationId)], data: customer, socketId },
      { event, channels: [tenantChannel(tenant)], data: agents, socketId },
    ]);
    return rows[1];
  }

  describe('what each change writes', () => {
    it("should write conversation.created with the answer of POST /conversations.json for the tenant's channel and the customer's view for the conversation's, and send each once, signed", async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const { result: res, rows } = await written(() => post('conversations.json', { contactId }));

      expect(res.status).toBe(201);
      const id = res.body.conversation.id;
      const customer = customerConversation(res.body.conversation);
      const written_ = expectPair(rows, acme, 'conversation.created', id, agentsEvent(res.body.conversation), customer);

      const sent = await delivered(written_.id);
      expect(sent).toMatchObject({ attempts: 1, last_error: null, failed_at: null });
      expect(await delivered(rows[0].id)).toMatchObject({ attempts: 1, last_error: null, failed_at: null });
      // One batch_events request, each channel its own data.
      expect(received('conversation.created', agentsEvent(res.body.conversation))).toEqual([
        { name: 'conversation.created', channels: [tenantChannel(acme)], data: agentsEvent(res.body.conversation), socketId: null, receivedAt: expect.any(Date) },
      ]);
      expect(received('conversation.created', customer)).toEqual([
        { name: 'conversation.created', channels: [conversationChannel(id)], data: customer, socketId: null, receivedAt: expect.any(Date) },
      ]);
      expect(pusher.requests.filter((request) => request.refusal !== null)).toEqual([]);
      expect(pusher.requests.filter((request) => request.events.some((event) => isDeepStrictEqual(event.data, agentsEvent(res.body.conversation)))).map((r) => r.path)).toEqual([
        `/apps/${pusher.appId}/batch_events`,
      ]);
    });

    it('should write conversation.created for a new conversation with a token and conversation.updated for a fresh token, never with the token', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const { result: created, rows: createdRows } = await written(() => post('conversations/token.json', { contactId }));
      expect(created.status).toBe(201);
      expect(created.body.conversation.token).toEqual(expect.any(String));
      const id = created.body.conversation.id;
      const shown = { ...created.body.conversation, token: null };
      expectPair(createdRows, acme, 'conversation.created', id, agentsEvent(shown), customerConversation(shown));

      const { result: renewed, rows: renewedRows } = await written(() => post('conversations/token.json', { id }));
      expect(renewed.status).toBe(201);
      expect(renewed.body.conversation.token).toEqual(expect.any(String));
      const renewedShown = { ...renewed.body.conversation, token: null };
      expectPair(renewedRows, acme, 'conversation.updated', id, agentsEvent(renewedShown), customerConversation(renewedShown));
      await deliveredAll([...createdRows, ...renewedRows]);
      expect(JSON.stringify(pusher.events)).not.toContain(created.body.conversation.token);
      expect(JSON.stringify(pusher.events)).not.toContain(renewed.body.conversation.token);
    });

    it('should write conversation.updated for a PATCH or DELETE that changed something, and nothing for one that did not', async () => {
      const c = await conversation();
      const agent = { id: acme.adminId };

      const { result: changed, rows } = await written(() => patch(`conversations/${c.id}.json`, { users: [agent] }));
      expect(changed.status).toBe(200);
      expectPair(rows, acme, 'conversation.updated', c.id, agentsEvent(changed.body.conversation), customerConversation(changed.body.conversation));

      const { result: same, rows: none } = await written(() => patch(`conversations/${c.id}.json`, { users: [agent] }));
      expect(same.status).toBe(200);
      expect(same.body).toEqual(changed.body);
      expect(none).toEqual([]);

      const { result: deleted, rows: deletedRows } = await written(() => del(`conversations/${c.id}.json`));
      expect(deleted.status).toBe(204);
      const shown = (await get(`conversations/${c.id}.json`)).body.conversation;
      expect(shown.state).toBe('deleted');
      expectPair(deletedRows, acme, 'conversation.updated', c.id, agentsEvent(shown), customerConversation(shown));

      const { result: again, rows: againRows } = await written(() => del(`conversations/${c.id}.json`));
      expect(again.status).toBe(204);
      expect(againRows).toEqual([]);
      await deliveredAll(deletedRows);
      expect(channelsOf(received('conversation.updated', agentsEvent(shown)))).toEqual([tenantChannel(acme)]);
      expect(channelsOf(received('conversation.updated', customerConversation(shown)))).toEqual([conversationChannel(c.id)]);
    });

    it('should write message.created for a new message, nothing for a repeated clientMessageId, message.updated for an edit, and a tombstone for a delete', async () => {
      const c = await conversation();
      const channels = [conversationChannel(c.id), tenantChannel(acme)];
      const body = { conversationId: c.id, contactId: c.contactId, message: 'Hello there', clientMessageId: 'widget-7' };

      const { result: first, rows } = await written(() => post('conversationmessages.json', body));
      expect(first.status).toBe(201);
      expectPair(rows, acme, 'message.created', c.id, first.body.conversationmessage, customerMessage(first.body.conversationmessage));
      expect(rows[0].payload.data.clientMessageId).toBe('widget-7');

      const { result: repeat, rows: repeatRows } = await written(() => post('conversationmessages.json', body));
      expect(repeat.status).toBe(200);
      expect(repeat.body).toEqual(first.body);
      expect(repeatRows).toEqual([]);

      const id = first.body.conversationmessage.id;
      const { result: edited, rows: editedRows } = await written(() => patch(`conversationmessages/${id}.json`, { message: 'Hello again' }));
      expect(edited.status).toBe(200);
      expectPair(editedRows, acme, 'message.updated', c.id, edited.body.conversationmessage, customerMessage(edited.body.conversationmessage));

      const { rows: unchangedRows } = await written(() => patch(`conversationmessages/${id}.json`, { message: 'Hello again' }));
      expect(unchangedRows).toEqual([]);

      const { result: deleted, rows: deletedRows } = await written(() => del(`conversationmessages/${id}.json`));
      expect(deleted.status).toBe(204);
      const shown = (await get(`conversationmessages/${id}.json`)).body.conversationmessage;
      expect(shown.state).toBe('deleted');
      expectPair(deletedRows, acme, 'message.updated', c.id, shown, customerMessage(shown));
      // The widget learns that the message is gone, never what it said.
      expect(deletedRows[0].payload.data).toEqual({ id, conversationId: c.id, state: 'deleted', createdAt: shown.createdAt, updatedAt: shown.updatedAt, deletedAt: shown.deletedAt });
      expect(JSON.stringify(deletedRows[0].payload)).not.toContain('Hello again');
      expect((await written(() => del(`conversationmessages/${id}.json`))).rows).toEqual([]);

      await deliveredAll([...rows, ...deletedRows]);
      expect(channelsOf(received('message.created', first.body.conversationmessage))).toEqual([tenantChannel(acme)]);
      expect(channelsOf(received('message.created', customerMessage(first.body.conversationmessage)))).toEqual([conversationChannel(c.id)]);
      expect(channelsOf(pusher.events.filter((event) => event.name === 'message.created' && (event.data as { id: number }).id === id)).sort()).toEqual(channels.sort());
    });

    it('should write ticket.created on the tenant channel and ticket.updated for an update, a delete, a restore and a thread message', async () => {
      const { customerId } = await createContact(t.db, acme.tenantId);
      const { result: created, rows } = await written(() =>
        post('tickets.json', { subject: 'Printer jam', message: 'It jams.', customer: { id: customerId }, notifyCustomer: true }),
      );
      expect(created.status).toBe(201);
      const id = created.body.ticket.id;
      expectOne(rows, acme, 'ticket.created', [tenantChannel(acme)], created.body.ticket);

      const { result: updated, rows: updatedRows } = await written(() => patch(`tickets/${id}.json`, { subject: 'Printer on fire' }));
      expect(updated.status).toBe(200);
      expectOne(updatedRows, acme, 'ticket.updated', [tenantChannel(acme)], updated.body.ticket);
      expect((await written(() => patch(`tickets/${id}.json`, { subject: 'Printer on fire' }))).rows).toEqual([]);

      const { result: reply, rows: replyRows } = await written(() => post(`tickets/${id}/messages.json`, { message: { message: 'On our way' } }));
      expect(reply.status).toBe(201);
      const afterReply = (await get(`tickets/${id}.json`)).body.ticket;
      expect(afterReply.messageCount).toBe(2);
      expectOne(replyRows, acme, 'ticket.updated', [tenantChannel(acme)], afterReply);

      const { result: deleted, rows: deletedRows } = await written(() => del(`tickets/${id}.json`));
      expect(deleted.status).toBe(204);
      const shown = (await get(`tickets/${id}.json`)).body.ticket;
      expect(shown.state).toBe('deleted');
      expectOne(deletedRows, acme, 'ticket.updated', [tenantChannel(acme)], shown);
      expect((await written(() => del(`tickets/${id}.json`))).rows).toEqual([]);

      const { result: restored, rows: restoredRows } = await written(() => patch(`tickets/${id}.json`, { state: 'active' }));
      expect(restored.status).toBe(200);
      expect(restored.body.ticket.state).toBe('active');
      const last = expectOne(restoredRows, acme, 'ticket.updated', [tenantChannel(acme)], restored.body.ticket);
      await delivered(last.id);

      // The ticket's email is another topic: the dispatcher leaves it alone.
      const [email] = await t.db.query(`SELECT * FROM outbox WHERE ticket_id = $1`, [id]);
      expect(email).toMatchObject({ topic: 'ticket.customer_notification', attempts: 0, delivered_at: null, failed_at: null });
    });

    it("should write ticket.created on the tenant's channel only and conversation.converted on both for a conversion, and ticket.updated on the tenant's channel after", async () => {
      const c = await conversation();
      await post('conversationmessages.json', { conversationId: c.id, message: 'My order never arrived' });

      const { result: converted, rows } = await written(() => post(`conversations/${c.id}/convert.json`, {}));
      expect(converted.status).toBe(200);
      expect(converted.body.ticket_id).toEqual(expect.any(Number));
      const ticketJson = (await get(`tickets/${converted.body.ticket_id}.json`)).body.ticket;
      expect(ticketJson.conversation).toEqual({ id: c.id, type: 'conversations' });
      const customer = customerConversation(converted.body);
      expect(customer.converted).toBe(true);
      // The conversion's activity rides in the agents' conversation.converted, never the customer's.
      const convertedActivity = expect.objectContaining({ conversationId: c.id, type: 'converted', to: { id: ticketJson.id, type: 'tickets' } });
      expect(rows.map((r) => r.payload)).toEqual([
        { event: 'ticket.created', channels: [tenantChannel(acme)], data: ticketJson, socketId: null },
        { event: 'conversation.converted', channels: [conversationChannel(c.id)], data: customer, socketId: null },
        { event: 'conversation.converted', channels: [tenantChannel(acme)], data: agentsEvent(converted.body, [convertedActivity]), socketId: null },
      ]);
      expect(rows.every((r) => r.tenant_id === acme.tenantId && r.created_by === acme.adminId)).toBe(true);

      const { result: updated, rows: updatedRows } = await written(() => patch(`tickets/${ticketJson.id}.json`, { subject: 'Lost order' }));
      expect(updated.status).toBe(200);
      expectOne(updatedRows, acme, 'ticket.updated', [tenantChannel(acme)], updated.body.ticket);
      await deliveredAll([...rows, ...updatedRows]);
      expect(channelsOf(pusher.events.filter((e) => e.name === 'conversation.converted' && (e.data as Row).id === c.id && 'activities' in (e.data as Row)))).toEqual([tenantChannel(acme)]);
      expect(channelsOf(received('conversation.converted', customer))).toEqual([conversationChannel(c.id)]);
      expect(channelsOf(received('ticket.created', ticketJson))).toEqual([tenantChannel(acme)]);
      // Nothing of the ticket ever reached the conversation's channel.
      expect(pusher.events.filter((event) => event.channels.includes(conversationChannel(c.id)) && event.name.startsWith('ticket.'))).toEqual([]);
    });

    it("should leave out the caller's own Pusher connection (X-Socket-Id)", async () => {
      const c = await conversation();
      const { result: res, rows } = await written(() => patch(`conversations/${c.id}.json`, { socket_id: 'abc' }, acme, { 'X-Socket-Id': '1234.5678' }));
      expect(res.status).toBe(200);
      const customer = customerConversation(res.body.conversation);
      expectPair(rows, acme, 'conversation.updated', c.id, agentsEvent(res.body.conversation), customer, '1234.5678');
      await deliveredAll(rows);
      expect(received('conversation.updated', agentsEvent(res.body.conversation)).map((event) => event.socketId)).toEqual(['1234.5678']);
      expect(received('conversation.updated', customer).map((event) => event.socketId)).toEqual(['1234.5678']);

      const { result: bad, rows: none } = await written(() => patch(`conversations/${c.id}.json`, { socket_id: 'def' }, acme, { 'X-Socket-Id': 'nope' }));
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ errors: { 'X-Socket-Id': ['must be a Pusher socket id, like 1234.5678'] } });
      expect(bad.headers['x-error-code']).toBe('INVALID_SOCKET_ID');
      expect(none).toEqual([]);
    });

    it("should keep tenants apart: each event on its own tenant's channel and its own conversations' channels", async () => {
      const [mine, theirs] = await Promise.all([conversation(acme), conversation(globex)]);
      await drained();
      const ofConversation = (id: number) =>
        pusher.events.filter((event) => event.name === 'conversation.created' && (event.data as { id: number }).id === id);
      expect(ofConversation(mine.id).map((event) => event.channels)).toEqual([[conversationChannel(mine.id)], [tenantChannel(acme)]]);
      expect(ofConversation(theirs.id).map((event) => event.channels)).toEqual([[conversationChannel(theirs.id)], [tenantChannel(globex)]]);

      // Every live update written so far names only its own tenant's channels.
      const strays = await t.db.query(
        `SELECT o.id, ch FROM outbox o CROSS JOIN LATERAL jsonb_array_elements_text(o.payload -> 'channels') AS ch
          WHERE o.topic = 'pusher'
            AND ch <> 'private-tenant-' || o.tenant_id
            AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.tenant_id = o.tenant_id AND ch = 'private-conversation-' || c.id)`,
      );
      expect(strays).toEqual([]);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'pusher' AND tenant_id = $1`, [globex.tenantId]);
      expect(n).toBeGreaterThan(0);
    });
  });

  describe('a change that rolls back', () => {
    // A plpgsql function raising, attached by `attach` for the length of `act`.
    async function withFault<T>(attach: string, act: () => Promise<T>): Promise<T> {
      await t.db.query(`CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$`);
      try {
        await t.db.query(attach);
        return await act();
      } finally {
        await t.db.query(`DROP FUNCTION test_fault() CASCADE`);
      }
    }

    // Something sent after `since` that is not `barrier`'s: a barrier delivered after the faults
    // shows the dispatcher had its chance to send anything they left behind.
    async function sentSince(since: number, barrierRowId: number): Promise<ReceivedEvent[]> {
      await delivered(barrierRowId);
      await drained();
      return pusher.events.slice(since);
    }

    it('should write no live update and send nothing when the outbox insert fails, nor when the transaction fails after it', async () => {
      await drained();
      const sentBefore = pusher.events.length;
      const c = await conversation();
      await drained();
      const conversationsBefore = (await t.db.query(`SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1`, [acme.tenantId]))[0].n;
      const since = await lastOutboxId();
      const messagesOf = async () => (await t.db.query(`SELECT count(*)::int AS n FROM conversation_messages WHERE conversation_id = $1`, [c.id]))[0].n;
      const conversationBefore = (await t.db.query(`SELECT * FROM conversations WHERE id = $1`, [c.id]))[0];

      // The outbox refuses the row: the conversation it reports is not created.
      const { contactId } = await createContact(t.db, acme.tenantId);
      const refused = await withFault(
        `CREATE TRIGGER test_fault BEFORE INSERT ON outbox FOR EACH ROW WHEN (NEW.topic = 'pusher') EXECUTE FUNCTION test_fault()`,
        () => post('conversations.json', { contactId }),
      );
      expect(refused.status).toBe(500);

      // The row is written, then the commit fails (a deferred check): neither the message nor the row stays.
      const atCommit = await withFault(
        `CREATE CONSTRAINT TRIGGER test_fault AFTER INSERT ON outbox DEFERRABLE INITIALLY DEFERRED
           FOR EACH ROW WHEN (NEW.topic = 'pusher') EXECUTE FUNCTION test_fault()`,
        () => post('conversationmessages.json', { conversationId: c.id, message: 'lost' }),
      );
      expect(atCommit.status).toBe(500);

      // The change itself fails: a ticket update that cannot be written.
      const tk = await ticket();
      await drained();
      const ticketSince = await lastOutboxId();
      const failedUpdate = await withFault(`CREATE TRIGGER test_fault BEFORE UPDATE ON tickets FOR EACH ROW EXECUTE FUNCTION test_fault()`, () =>
        patch(`tickets/${tk.id}.json`, { subject: 'never' }),
      );
      expect(failedUpdate.status).toBe(500);
      expect(await pusherRowsAfter(ticketSince)).toEqual([]);

      // With an Idempotency-Key, the answer is recorded after the work: failing there undoes the event too.
      const keyed = await withFault(`CREATE TRIGGER test_fault BEFORE UPDATE ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION test_fault()`, () =>
        post('conversationmessages.json', { conversationId: c.id, message: 'also lost' }, acme, { 'Idempotency-Key': 'live-1' }),
      );
      expect(keyed.status).toBe(500);

      expect(await messagesOf()).toBe(0);
      expect((await t.db.query(`SELECT * FROM conversations WHERE id = $1`, [c.id]))[0]).toEqual(conversationBefore);
      expect((await t.db.query(`SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1`, [acme.tenantId]))[0].n).toBe(conversationsBefore);
      const rows = await pusherRowsAfter(since);
      // Only the ticket's own creation, made between the faults.
      expect(rows.map((r) => [r.payload.event, r.payload.data.id])).toEqual([['ticket.created', tk.id]]);

      const barrier = await written(() => patch(`conversations/${c.id}.json`, { socket_id: 'after-the-faults' }));
      const sent = await sentSince(sentBefore, barrier.rows[0].id);
      // Sorted: a change's two rows may go out through two dispatchers (E2E_PROCESSES=2) in either order.
      expect(sent.map((event) => [event.name, (event.data as { id: number }).id, ...event.channels].join(' ')).sort()).toEqual(
        [
          ['conversation.created', c.id, conversationChannel(c.id)],
          ['conversation.created', c.id, tenantChannel(acme)],
          ['ticket.created', tk.id, tenantChannel(acme)],
          ['conversation.updated', c.id, conversationChannel(c.id)],
          ['conversation.updated', c.id, tenantChannel(acme)],
        ]
          .map((parts) => parts.join(' '))
          .sort(),
      );
    });
  });

  describe('the dispatcher', () => {
    // One dispatcher's own behaviour (its retries, batches, one tenant's order) on an app of its
    // own, whose database no service process of E2E_PROCESSES dispatches from as well: the
    // requests counted here are all its own. Several dispatchers on one database are
    // live-updates-order.e2e-spec.ts's (one tenant's order) and the fault suite's (every update
    // delivered once, each conversation's in order).
    let outer: [FakePusher, TestApp, TestTenant, TestTenant];
    beforeAll(async () => {
      outer = [pusher, t, acme, globex];
      pusher = await startFakePusher({ appId: '1', key: 'key', secret: 'secret' });
      t = await createTestApp({ ...pusher.env(), PUSHER_DISPATCH_INTERVAL_MS: '50', PUSHER_TIMEOUT_MS: '1000' }, { inProcessHttp: true });
      [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
    });
    afterAll(async () => {
      await t.close();
      await pusher.close();
      [pusher, t, acme, globex] = outer;
    });

    const requestsOf = (id: number, name: string) =>
      pusher.requests.filter((request) => request.events.some((event) => event.name === name && (event.data as { id?: number } | undefined)?.id === id));
    // A ticket's events are one row each (the tenant's channel only): one row's fate per request.

    it('should retry a send Pusher failed with a 500, later each time, and deliver it once with attempts = 3', async () => {
      await drained();
      pusher.failNext(2, 500);
      const tk = await ticket();
      const [written_] = await pusherRowsAfter((await lastOutboxId()) - 1);
      expect(written_.payload.data.id).toBe(tk.id);

      const afterFirst = await waitFor('the first failure', async () => {
        const current = await row(written_.id);
        return current.attempts >= 1 && current.last_error ? current : null;
      });
      expect(afterFirst.last_error).toBe('Pusher answered 500: failing on purpose with 500');
      expect(afterFirst.delivered_at).toBeNull();
      expect(afterFirst.failed_at).toBeNull();

      const sent = await delivered(written_.id, 20_000);
      expect(sent).toMatchObject({ attempts: 3, failed_at: null });
      expect(channelsOf(received('ticket.created', tk))).toEqual([tenantChannel(acme)]);
      const tries = requestsOf(tk.id, 'ticket.created');
      expect(tries.map((request) => request.status)).toEqual([500, 500, 200]);
      // 1 s then 2 s, each drawn from its upper half.
      expect(tries[1].at.getTime() - tries[0].at.getTime()).toBeGreaterThanOrEqual(450);
      expect(tries[2].at.getTime() - tries[1].at.getTime()).toBeGreaterThanOrEqual(950);
    });

    it('should retry after a 429 and after a send that timed out', async () => {
      await drained();
      pusher.failNext(1, 429);
      const first = await ticket();
      const firstRow = (await pusherRowsAfter((await lastOutboxId()) - 1))[0];
      expect(await delivered(firstRow.id)).toMatchObject({ attempts: 2, last_error: 'Pusher answered 429: failing on purpose with 429' });

      await drained();
      pusher.delayNext(1_500);
      const second = await ticket();
      const secondRow = (await pusherRowsAfter((await lastOutboxId()) - 1))[0];
      const sent = await delivered(secondRow.id);
      expect(sent.attempts).toBe(2);
      expect(sent.last_error).toMatch(/^request to Pusher failed: /);
      // The fake records the abandoned request when its delay ends, maybe after the retry.
      expect(requestsOf(second.id, 'ticket.created').map((request) => request.status).sort()).toEqual([0, 200]);
      expect(channelsOf(received('ticket.created', first))).toEqual([tenantChannel(acme)]);
      expect(channelsOf(received('ticket.created', second))).toEqual([tenantChannel(acme)]);
    });

    it.each([400, 413])('should give up at once on a %i, and go on with the next updates', async (status) => {
      await drained();
      pusher.failNext(1, status);
      const tk = await ticket();
      const [refused] = await pusherRowsAfter((await lastOutboxId()) - 1);

      const failed = await waitFor('the row to fail', async () => {
        const current = await row(refused.id);
        return current.failed_at ? current : null;
      });
      expect(failed).toMatchObject({ attempts: 1, delivered_at: null, last_error: `Pusher answered ${status}: failing on purpose with ${status}` });

      const next = await written(() => patch(`tickets/${tk.id}.json`, { subject: `after-${status}` }));
      await delivered(next.rows[0].id);
      expect(await row(refused.id)).toMatchObject({ attempts: 1, delivered_at: null, failed_at: failed.failed_at });
      expect(requestsOf(tk.id, 'ticket.created').map((request) => request.status)).toEqual([status]);
    });

    it('should give up after PUSHER_DISPATCH_MAX_ATTEMPTS', async () => {
      await drained();
      const [written_] = await t.db.query(
        `INSERT INTO outbox (tenant_id, topic, payload, attempts) VALUES ($1, 'pusher', $2, 9) RETURNING id`,
        [acme.tenantId, { event: 'conversation.updated', channels: [tenantChannel(acme)], data: { id: -1 }, socketId: null }],
      );
      pusher.failNext(1, 503);
      const failed = await waitFor('the row to fail', async () => {
        const current = await row(written_.id);
        return current.failed_at ? current : null;
      });
      expect(failed).toMatchObject({ attempts: 10, delivered_at: null, last_error: 'Pusher answered 503: failing on purpose with 503' });
    });

    it('should send again a row whose sender died mid-send, once its lease is over', async () => {
      await drained();
      const data = { id: -2, note: 'leased by a process that died' };
      const [leased] = await t.db.query(
        `INSERT INTO outbox (tenant_id, topic, payload, attempts, available_at) VALUES ($1, 'pusher', $2, 1, now() + interval '1 second')
         RETURNING id, available_at`,
        [acme.tenantId, { event: 'conversation.updated', channels: [tenantChannel(acme)], data, socketId: null }],
      );
      const sent = await delivered(leased.id);
      expect(sent.attempts).toBe(2);
      const [event] = received('conversation.updated', data);
      expect(event.receivedAt.getTime()).toBeGreaterThanOrEqual((leased.available_at as Date).getTime() - 50);
    });

    it("should send one tenant's updates in the order they were written", async () => {
      await drained();
      const rows = Array.from({ length: 30 }, (_, n) => ({ event: 'conversation.updated', channels: [tenantChannel(globex)], data: { id: -3, n }, socketId: null }));
      await t.db.query(`INSERT INTO outbox (tenant_id, topic, payload) SELECT $1, 'pusher', p FROM jsonb_array_elements($2::jsonb) AS p`, [
        globex.tenantId,
        JSON.stringify(rows),
      ]);
      await drained();
      const order = pusher.events.filter((event) => (event.data as { id: number }).id === -3).map((event) => (event.data as { n: number }).n);
      expect(order).toEqual(rows.map((r) => r.data.n));
      // Ten to a batch_events request, Pusher's limit.
      const requests = pusher.requests.filter((request) => request.events.some((event) => (event.data as { id: number }).id === -3));
      expect(requests.map((request) => [request.path, request.status, request.events.length])).toEqual(
        Array.from({ length: 3 }, () => [`/apps/${pusher.appId}/batch_events`, 200, 10]),
      );
    });

    it('should count a row for two channels as two events of the ten a batch_events request takes', async () => {
      await drained();
      const rows = Array.from({ length: 7 }, (_, n) => ({
        event: 'conversation.updated',
        channels: [conversationChannel(-6), tenantChannel(globex)],
        data: { id: -6, n },
        socketId: null,
      }));
      await t.db.query(`INSERT INTO outbox (tenant_id, topic, payload) SELECT $1, 'pusher', p FROM jsonb_array_elements($2::jsonb) AS p`, [
        globex.tenantId,
        JSON.stringify(rows),
      ]);
      await drained();
      const requests = pusher.requests.filter((request) => request.events.some((event) => (event.data as { id: number }).id === -6));
      expect(requests.map((request) => [request.path, request.status, request.events.length])).toEqual([
        [`/apps/${pusher.appId}/batch_events`, 200, 10],
        [`/apps/${pusher.appId}/batch_events`, 200, 4],
      ]);
      const sent = pusher.events.filter((event) => (event.data as { id: number }).id === -6);
      expect(sent.map((event) => [(event.data as { n: number }).n, ...event.channels])).toEqual(
        rows.flatMap((row) => row.channels.map((channel) => [row.data.n, channel])),
      );
    });

    it('should send again row by row a batch Pusher refused for good, so only the row it cannot take fails', async () => {
      await drained();
      const rows = [1, 2, 3].map((n) => ({ event: 'conversation.updated', channels: [tenantChannel(globex)], data: { id: -5, n }, socketId: n === 2 ? 'not-a-socket' : null }));
      const ids = await t.db.query(
        `INSERT INTO outbox (tenant_id, topic, payload) SELECT $1, 'pusher', p FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS a(p, n) ORDER BY n RETURNING id`,
        [globex.tenantId, JSON.stringify(rows)],
      );
      await drained();
      const [first, bad, third] = await Promise.all(ids.map(({ id }: { id: number }) => row(id)));
      expect(first).toMatchObject({ attempts: 1, failed_at: null, last_error: null });
      expect(first.delivered_at).not.toBeNull();
      expect(third).toMatchObject({ attempts: 1, failed_at: null, last_error: null });
      expect(third.delivered_at).not.toBeNull();
      expect(bad).toMatchObject({ attempts: 1, delivered_at: null, last_error: "Invalid socket id: 'not-a-socket'" });
      expect(bad.failed_at).not.toBeNull();
      expect(pusher.events.filter((event) => (event.data as { id: number }).id === -5).map((event) => (event.data as { n: number }).n)).toEqual([1, 3]);
      const tries = pusher.requests.filter((request) => request.events.some((event) => (event.data as { id: number }).id === -5));
      expect(tries.map((request) => [request.path, request.status, request.events.length])).toEqual([
        [`/apps/${pusher.appId}/batch_events`, 400, 3],
        [`/apps/${pusher.appId}/events`, 200, 1],
        [`/apps/${pusher.appId}/events`, 200, 1],
      ]);
    });

    it('should never send a row twice when two service processes share the outbox', async () => {
      await drained();
      const second: NestFastifyApplication = await createApp(
        loadAppConfig({ ...pusher.env(), PUSHER_DISPATCH_INTERVAL_MS: '10', LOG_LEVEL: 'silent', ...t.databaseEnv }),
      );
      try {
        const count = 600;
        const payloads = Array.from({ length: count }, (_, n) => ({
          tenant: n % 2 === 0 ? acme.tenantId : globex.tenantId,
          payload: { event: 'conversation.updated', channels: [`private-tenant-${n % 2 === 0 ? acme.tenantId : globex.tenantId}`], data: { id: -4, n }, socketId: null },
        }));
        await t.db.query(
          `INSERT INTO outbox (tenant_id, topic, payload)
           SELECT (p ->> 'tenant')::bigint, 'pusher', p -> 'payload' FROM jsonb_array_elements($1::jsonb) AS p`,
          [JSON.stringify(payloads)],
        );
        await drained();
        const sent = pusher.events.filter((event) => (event.data as { id: number }).id === -4).map((event) => (event.data as { n: number }).n);
        expect(sent).toHaveLength(count);
        expect(new Set(sent).size).toBe(count);
        const [{ attempts }] = await t.db.query(
          `SELECT array_agg(DISTINCT attempts) AS attempts FROM outbox WHERE topic = 'pusher' AND payload -> 'data' ->> 'id' = '-4'`,
        );
        expect(attempts).toEqual([1]);
      } finally {
        await second.close();
      }
    });

    it('should delete live updates delivered over a day ago, and nothing else', async () => {
      const insert = async (topic: string, deliveredAgo: string | null): Promise<number> =>
        (
          await t.db.query(
            `INSERT INTO outbox (tenant_id, topic, payload, delivered_at, available_at)
             VALUES ($1, $2, '{"event":"conversation.updated","channels":[],"data":{},"socketId":null}', now() - $3::interval, now() + interval '1 hour')
             RETURNING id`,
            [acme.tenantId, topic, deliveredAgo],
          )
        )[0].id;
      const old = await insert('pusher', '2 days');
      const recent = await insert('pusher', '1 hour');
      const pending = await insert('pusher', null);
      const oldEmail = await insert('ticket.customer_notification', '2 days');

      expect(await t.app.get(OutboxPurge).purgeDelivered()).toBe(1);
      const left = (await t.db.query(`SELECT id FROM outbox WHERE id = ANY($1) ORDER BY id`, [[old, recent, pending, oldEmail]])).map(
        (r: { id: number }) => r.id,
      );
      expect(left).toEqual([recent, pending, oldEmail]);
      await t.db.query(`DELETE FROM outbox WHERE id = ANY($1)`, [[recent, pending, oldEmail]]);
    });

    it('should never put the signed query string or the secret in last_error', () => {
      const url = 'http://127.0.0.1:1/apps/1/events?auth_key=key&auth_timestamp=1&auth_version=1.0&body_md5=abc&auth_signature=def';
      const refused = new Pusher.RequestError('Request failed with an error', url, Object.assign(new Error(`request to ${url} failed, reason: connect ECONNREFUSED`), { code: 'ECONNREFUSED' }));
      expect(describeError(refused, 'secret')).toBe('request to Pusher failed: ECONNREFUSED request to http://127.0.0.1:1/apps/1/events?[query] failed, reason: connect ECONNREFUSED');

      const unsigned = new Pusher.RequestError('Unexpected status code 401', url, undefined as unknown as Error, 401, 'Invalid signature: Expected HMAC SHA256 hex digest of POST\n/apps/1/events\nauth_key=key&auth_timestamp=1&auth_version=1.0&body_md5=abc, but got secret');
      const described = describeError(unsigned, 'secret');
      expect(described).toBe(
        'Pusher answered 401: Invalid signature: Expected HMAC SHA256 hex digest of POST /apps/1/events auth_key=[redacted]&auth_timestamp=[redacted]&auth_version=[redacted]&body_md5=[redacted], but got [secret]',
      );
    });

    it('should have had every request signed right', () => {
      expect(pusher.requests.length).toBeGreaterThan(0);
      expect(pusher.requests.filter((request) => request.status === 401)).toEqual([]);
      // Refused otherwise only where a test meant it: the client gave up (status 0), a bad socket id.
      expect(pusher.requests.filter((request) => request.refusal !== null && request.status !== 0 && !request.refusal.startsWith('Invalid socket id'))).toEqual([]);
    });
  });
});

describe('Live updates: shutting down', () => {
  let pusher: FakePusher;
  let t: TestApp;
  let acme: TestTenant;
  let closed = false;

  beforeAll(async () => {
    pusher = await startFakePusher();
    t = await createTestApp({ ...pusher.env(), PUSHER_DISPATCH_INTERVAL_MS: '50' });
    acme = await createTenant(t, 'Acme');
  });
  afterAll(async () => {
    if (!closed) await t.close();
    await pusher.close();
  });

  it('should wait for the send in flight and record it before the pool closes', async () => {
    pusher.delayNext(700);
    const { contactId } = await createContact(t.db, acme.tenantId);
    const res = await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId });
    expect(res.status).toBe(201);
    await waitFor('the send to be in flight', () => pusher.pending === 1);

    await t.close();
    closed = true;

    expect(pusher.events.map((event) => event.name)).toEqual(['conversation.created', 'conversation.created']);
    const rows = await withClient(t.databaseUrl, async (client) => (await client.query(`SELECT * FROM outbox WHERE topic = 'pusher'`)).rows);
    // The customer's row and the agents'.
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.delivered_at).not.toBeNull();
      expect(row.attempts).toBe(1);
    }
  });
});

describe('Live updates without Pusher credentials', () => {
  let pusher: FakePusher;
  let t: TestApp;
  let acme: TestTenant;

  beforeAll(async () => {
    pusher = await startFakePusher();
    // Where Pusher would be, but no app id, key or secret.
    t = await createTestApp({ PUSHER_HOST: '127.0.0.1', PUSHER_PORT: String(pusher.port), PUSHER_USE_TLS: 'false', PUSHER_DISPATCH_INTERVAL_MS: '50' });
    acme = await createTenant(t, 'Acme');
  });
  afterAll(async () => {
    await t.close();
    await pusher.close();
  });

  it('should fill the outbox and send nothing', async () => {
    expect(t.app.get(PusherService).client).toBeNull();
    const { contactId } = await createContact(t.db, acme.tenantId);
    const res = await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId });
    expect(res.status).toBe(201);

    const rows = await t.db.query(`SELECT * FROM outbox WHERE topic = 'pusher' ORDER BY id`);
    expect(rows.map((row: { payload: unknown }) => row.payload)).toEqual([
      { event: 'conversation.created', channels: [conversationChannel(res.body.conversation.id)], data: customerConversation(res.body.conversation), socketId: null },
      { event: 'conversation.created', channels: [`private-tenant-${acme.tenantId}`], data: agentsEvent(res.body.conversation), socketId: null },
    ]);
    // Ten dispatch intervals: a dispatcher would have claimed the row by now.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await t.db.query(`SELECT attempts, delivered_at, failed_at FROM outbox WHERE topic = 'pusher'`))[0]).toEqual({
      attempts: 0,
      delivered_at: null,
      failed_at: null,
    });
    expect(pusher.requests).toEqual([]);
  });
});
