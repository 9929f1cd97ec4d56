import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { BASE, DOCUMENTED_CONVERSATION_FIELDS } from './support/desk';
import { clientMessageEvent, sendSignedWebhook } from './support/signed-webhook';
import { createTestApp, TestApp } from './support/test-app';
import { requestStatements } from './support/background-sql';

const PUSHER = { key: 'app-key', secret: 'app-secret' };

describe('Conversion of a conversation to a ticket (POST /conversations/{id}/convert.json)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;

  beforeAll(async () => {
    // A key and secret verify the widget's webhooks; without an app id nothing is sent to Pusher.
    t = await createTestApp({ PUSHER_KEY: PUSHER.key, PUSHER_SECRET: PUSHER.secret });
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
  });
  afterAll(() => t.close());

  const convert = (id: number, body: unknown = {}, auth = acme.auth, http = t.http) =>
    http.post(`${BASE}/conversations/${id}/convert.json`).set('Authorization', auth).send(body as object);

  interface Chat {
    id: number;
    contactId: number;
    customerId: number;
  }

  async function chat(tenant = acme, users: number[] = []): Promise<Chat> {
    const { contactId, customerId } = await createContact(t.db, tenant.tenantId);
    const res = await t.http
      .post(`${BASE}/conversations.json`)
      .set('Authorization', tenant.auth)
      .send({ contactId, users: users.map((id) => ({ id })) });
    expect(res.status).toBe(201);
    return { id: res.body.conversation.id, contactId, customerId };
  }

  // A chat message written at a known time, so the transcript's timestamps can be checked.
  async function say(c: Chat, author: { userId?: number; contactId?: number }, message: string, at: string, fileIds: number[] = []) {
    const [{ id }] = await t.db.query(
      `INSERT INTO conversation_messages (tenant_id, conversation_id, user_id, contact_id, message, file_ids, created_at, updated_at)
       SELECT tenant_id, id, $2, $3, $4, $5, $6, $6 FROM conversations WHERE id = $1 RETURNING id`,
      [c.id, author.userId ?? null, author.contactId ?? null, message, fileIds, at],
    );
    return id as number;
  }

  async function fileOf(tenant: TestTenant): Promise<number> {
    const [{ id }] = await t.db.query(
      `INSERT INTO files (tenant_id, filename, mime_type, size, sha256, storage_key)
       VALUES ($1, 'log.txt', 'text/plain', 1, repeat('b', 64), 'test/log') RETURNING id`,
      [tenant.tenantId],
    );
    return id;
  }

  const ticketOf = async (conversationId: number) => {
    const rows = await t.db.query(`SELECT * FROM tickets WHERE conversation_id = $1`, [conversationId]);
    return rows;
  };
  const threadOf = (ticketId: number) => t.db.query(`SELECT * FROM ticket_messages WHERE ticket_id = $1 ORDER BY id`, [ticketId]);
  const codeId = async (table: string, tenant: TestTenant, code: string): Promise<number> =>
    (await t.db.query(`SELECT id FROM ${table} WHERE tenant_id = $1 AND code = $2`, [tenant.tenantId, code]))[0].id;
  const count = async (table: string, tenant = acme): Promise<number> =>
    (await t.db.query(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [tenant.tenantId]))[0].n;

  // A chat with both sides, a file, markup and a line break, and a deleted message.
  async function busyChat(): Promise<{ c: Chat; agentMessageId: number; fileId: number; messageIds: number[] }> {
    const c = await chat(acme, [acme.adminId]);
    const fileId = await fileOf(acme);
    const first = await say(c, { contactId: c.contactId }, 'My order #42 never arrived and I need it for the weekend', '2026-11-01T10:00:00.000Z');
    const agentMessageId = await say(c, { userId: acme.adminId }, 'Sorry! Can you send the receipt?', '2026-11-01T10:01:00.000Z');
    const hostile = await say(c, { contactId: c.contactId }, `<script>alert("x")</script> & 'q'\nline two`, '2026-11-01T10:02:00.000Z', [fileId]);
    const removed = await say(c, { contactId: c.contactId }, 'typo, ignore', '2026-11-01T10:03:00.000Z');
    await t.db.query(`UPDATE conversation_messages SET state = 'deleted', deleted_at = now() WHERE id = $1`, [removed]);
    return { c, agentMessageId, fileId, messageIds: [first, agentMessageId, hostile] };
  }

  describe('POST /conversations/{id}/convert.json', () => {
    it('should answer the bare conversation and make a ticket whose thread is the escaped transcript when editMethod is html', async () => {
      const { c, fileId, messageIds } = await busyChat();

      const res = await convert(c.id, {});

      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(DOCUMENTED_CONVERSATION_FIELDS);
      expect(res.body.id).toBe(c.id);
      const [ticket] = await ticketOf(c.id);
      expect(res.body.ticket_id).toBe(ticket.id);
      expect((await t.db.query(`SELECT ticket_id, updated_by FROM conversations WHERE id = $1`, [c.id]))[0]).toEqual({
        ticket_id: ticket.id,
        updated_by: acme.adminId,
      });
      expect(ticket).toMatchObject({
        customer_id: c.customerId,
        contact_id: c.contactId,
        agent_id: acme.adminId,
        source_id: await codeId('ticket_sources', acme, 'chat'),
        status_id: await codeId('ticket_statuses', acme, 'active'),
        inbox_id: await codeId('inboxes', acme, 'support'),
        subject: 'My order #42 never arrived and I need it for the weekend',
        preview_text: 'My order #42 never arrived and I need it for the weekend',
        edit_method: 'html',
        message_count: 3,
        created_by: acme.adminId,
      });

      const thread = await threadOf(ticket.id);
      expect(thread.map((m: { conversation_message_id: number }) => m.conversation_message_id)).toEqual(messageIds);
      expect(thread.map((m: { user_id: number | null; contact_id: number | null }) => [m.user_id, m.contact_id])).toEqual([
        [null, c.contactId],
        [acme.adminId, null],
        [null, c.contactId],
      ]);
      expect(thread.map((m: { created_at: Date }) => m.created_at.toISOString())).toEqual([
        '2026-11-01T10:00:00.000Z',
        '2026-11-01T10:01:00.000Z',
        '2026-11-01T10:02:00.000Z',
      ]);
      expect(thread[2].message).toBe('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;<br>line two</p>');
      expect(thread[2].file_ids).toEqual([fileId]);
      expect(thread.every((m: { edit_method: string; thread_type: string }) => m.edit_method === 'html' && m.thread_type === 'message')).toBe(true);

      // The API shows the same thread, oldest first.
      const api = await t.http.get(`${BASE}/tickets/${ticket.id}/messages.json`).set('Authorization', acme.auth);
      expect(api.status).toBe(200);
      expect(api.body.messages.map((m: { message: string }) => m.message)[2]).toBe(thread[2].message);
      expect(api.body.messages[0]).toMatchObject({ contact: { id: c.contactId, type: 'contacts' }, user: null, createdAt: '2026-11-01T10:00:00.000Z' });
      const got = await t.http.get(`${BASE}/tickets/${ticket.id}.json`).set('Authorization', acme.auth);
      expect(got.body.ticket).toMatchObject({
        conversation: { id: c.id, type: 'conversations' },
        messageCount: 3,
        messages: thread.map((m: { id: number }) => ({ id: m.id, type: 'messages' })),
      });
    });

    it('should keep the transcript as written and put the given message first when editMethod is markdown', async () => {
      const { c } = await busyChat();

      const res = await convert(c.id, { editMethod: 'markdown', message: 'Escalating: **customer waited a week**', subject: 'Lost order' });

      expect(res.status).toBe(200);
      const [ticket] = await ticketOf(c.id);
      expect(ticket).toMatchObject({ subject: 'Lost order', edit_method: 'markdown', message_count: 4, preview_text: 'Escalating: **customer waited a week**' });
      const thread = await threadOf(ticket.id);
      expect(thread[0]).toMatchObject({ message: 'Escalating: **customer waited a week**', user_id: acme.adminId, conversation_message_id: null });
      expect(thread[3].message).toBe(`<script>alert("x")</script> & 'q'\nline two`);
      expect(thread.slice(1).every((m: { edit_method: string }) => m.edit_method === 'markdown')).toBe(true);
    });

    it('should take the subject from the start of a long first message and leave the agent unset when the chat has two', async () => {
      const second = await createAgent(t, acme.tenantId);
      const c = await chat(acme, [acme.adminId, second.id]);
      const long = `${'word '.repeat(40)}end`;
      await say(c, { contactId: c.contactId }, long, '2026-11-02T09:00:00.000Z');

      expect((await convert(c.id)).status).toBe(200);

      const [ticket] = await ticketOf(c.id);
      expect(ticket.agent_id).toBeNull();
      expect(ticket.subject.endsWith('…')).toBe(true);
      expect([...ticket.subject].length).toBeLessThanOrEqual(80);
      expect(long.startsWith(ticket.subject.slice(0, -1))).toBe(true);
    });

    it('should honour the ticket body over what the conversation gives', async () => {
      const c = await chat(acme, [acme.adminId]);
      await say(c, { contactId: c.contactId }, 'hello', '2026-11-02T09:00:00.000Z');
      const agent = await createAgent(t, acme.tenantId);
      const other = await createContact(t.db, acme.tenantId);

      const res = await convert(c.id, {
        agent: { id: agent.id },
        customer: { id: other.customerId },
        priority: { id: await codeId('ticket_priorities', acme, 'urgent') },
        source: { id: await codeId('ticket_sources', acme, 'phone') },
        tags: ['chat-escalation'],
      });

      expect(res.status).toBe(200);
      const [ticket] = await ticketOf(c.id);
      expect(ticket).toMatchObject({
        agent_id: agent.id,
        customer_id: other.customerId,
        contact_id: other.contactId,
        priority_id: await codeId('ticket_priorities', acme, 'urgent'),
        source_id: await codeId('ticket_sources', acme, 'phone'),
      });
      const tags = await t.db.query(`SELECT tg.name FROM ticket_tags tt JOIN tags tg ON tg.tenant_id = tt.tenant_id AND tg.id = tt.tag_id WHERE tt.ticket_id = $1`, [ticket.id]);
      expect(tags).toEqual([{ name: 'chat-escalation' }]);
    });

    it('should refuse a second conversion with a 409 naming the ticket', async () => {
      const c = await chat();
      await say(c, { contactId: c.contactId }, 'once', '2026-11-02T09:00:00.000Z');
      expect((await convert(c.id)).status).toBe(200);
      const [ticket] = await ticketOf(c.id);

      const again = await convert(c.id, { subject: 'again' });

      expect(again.status).toBe(409);
      expect(again.body).toEqual({
        errors: { _: [`conversation ${c.id} is already converted to ticket ${ticket.id}`], ticket_id: [`already converted to ticket ${ticket.id}`] },
      });
      expect(again.headers['x-error-code']).toBe('CONVERSATION_ALREADY_CONVERTED');
      expect(await ticketOf(c.id)).toHaveLength(1);
    });

    it('should make one ticket when 20 conversions of one conversation arrive at once', async () => {
      const c = await chat();
      for (let i = 0; i < 5; i++) await say(c, { contactId: c.contactId }, `m${i}`, `2026-11-03T09:0${i}:00.000Z`);
      const ticketsBefore = await count('tickets');

      const answers = await Promise.all(Array.from({ length: 20 }, () => convert(c.id, { subject: 'race' })));

      const statuses = answers.map((res) => res.status).sort();
      expect(statuses).toEqual([200, ...Array(19).fill(409)]);
      const [ticket, ...more] = await ticketOf(c.id);
      expect(more).toHaveLength(0);
      expect(await count('tickets')).toBe(ticketsBefore + 1);
      expect(await threadOf(ticket.id)).toHaveLength(5);
      for (const res of answers.filter((r) => r.status === 409)) {
        expect(res.body.errors.ticket_id).toEqual([`already converted to ticket ${ticket.id}`]);
      }
    });

    it('should leave no ticket, thread, tag, customer nor ticket_id when the conversion fails half-way', async () => {
      const c = await chat();
      await say(c, { contactId: c.contactId }, 'doomed', '2026-11-02T09:00:00.000Z');
      // A fault after the ticket row is written: the thread's insert fails for this conversation.
      await t.db.query(`
        CREATE OR REPLACE FUNCTION fail_thread_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.conversation_message_id IS NOT NULL AND NEW.message LIKE '%doomed%' THEN RAISE EXCEPTION 'injected fault'; END IF;
          RETURN NEW;
        END $$`);
      await t.db.query(`CREATE TRIGGER tr_fail_thread_insert BEFORE INSERT ON ticket_messages FOR EACH ROW EXECUTE FUNCTION fail_thread_insert()`);
      const before = { tickets: await count('tickets'), messages: await count('ticket_messages'), tags: await count('tags'), customers: await count('customers') };
      try {
        const res = await convert(c.id, { tags: ['half-way'], message: 'opening', customer: { email: 'new-half-way@example.test' } });

        expect(res.status).toBe(500);
        expect(res.body.errors._[0]).toMatch(/request id/i);
      } finally {
        await t.db.query(`DROP TRIGGER tr_fail_thread_insert ON ticket_messages`);
      }
      expect({ tickets: await count('tickets'), messages: await count('ticket_messages'), tags: await count('tags'), customers: await count('customers') }).toEqual(before);
      expect((await t.db.query(`SELECT ticket_id FROM conversations WHERE id = $1`, [c.id]))[0].ticket_id).toBeNull();
      // And the same conversion succeeds once the fault is gone.
      expect((await convert(c.id)).status).toBe(200);
    });

    it('should refuse a bad body with a 400 in the Desk dialect and write nothing', async () => {
      const c = await chat();
      const before = await count('tickets');

      const cases: [unknown, Record<string, string[]>][] = [
        [{ editMethod: 'rtf' }, { editMethod: ['must be one of ‘html, markdown’'] }],
        [{ status: { id: 999999 } }, { 'status.id': ['does not exist'] }],
        [{ customer: { id: c.customerId, email: 'x@example.test' } }, { customer: ['Customer ID or Email is required, but not both'] }],
        [{ cc: ['not-an-address'] }, { cc: ['must be a valid email address'] }],
        [{ bogus: true }, { bogus: ['is not a known field'] }],
      ];
      for (const [body, errors] of cases) {
        const res = await convert(c.id, body);
        expect({ body, status: res.status, errors: res.body.errors }).toEqual({ body, status: 400, errors });
      }
      expect(await count('tickets')).toBe(before);
      expect((await t.db.query(`SELECT ticket_id FROM conversations WHERE id = $1`, [c.id]))[0].ticket_id).toBeNull();
    });

    it('should answer 404 for a deleted, unknown or other tenant’s conversation and change nothing', async () => {
      const gone = await chat();
      await t.http.delete(`${BASE}/conversations/${gone.id}.json`).set('Authorization', acme.auth).expect(204);
      const theirs = await chat(globex);
      const before = await count('tickets', globex);

      for (const [id, auth] of [
        [gone.id, acme.auth],
        [999999999, acme.auth],
        [theirs.id, acme.auth],
      ] as const) {
        const res = await convert(id, {}, auth);
        expect(res.status).toBe(404);
        expect(res.body.errors._).toHaveLength(1);
      }
      expect(await count('tickets', globex)).toBe(before);
      expect((await t.db.query(`SELECT ticket_id FROM conversations WHERE id = $1`, [theirs.id]))[0].ticket_id).toBeNull();
    });

    it('should replay the first answer for a repeated Idempotency-Key instead of a 409', async () => {
      const c = await chat();
      const key = `convert-${c.id}`;
      const first = await t.http.post(`${BASE}/conversations/${c.id}/convert.json`).set('Authorization', acme.auth).set('Idempotency-Key', key).send({});
      const again = await t.http.post(`${BASE}/conversations/${c.id}/convert.json`).set('Authorization', acme.auth).set('Idempotency-Key', key).send({});

      expect(first.status).toBe(200);
      expect(again.status).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await ticketOf(c.id)).toHaveLength(1);
    });

    it('should convert a conversation of 1,000 messages in a few statements', async () => {
      const c = await chat(acme, [acme.adminId]);
      await t.db.query(
        `INSERT INTO conversation_messages (tenant_id, conversation_id, user_id, contact_id, message, created_at, updated_at)
         SELECT cv.tenant_id, cv.id, CASE WHEN n % 2 = 0 THEN $2::bigint END, CASE WHEN n % 2 = 1 THEN cv.contact_id END,
                'message ' || n, timestamptz '2026-10-01T00:00:00Z' + n * interval '1 second', now()
           FROM conversations cv, generate_series(1, 1000) AS n WHERE cv.id = $1`,
        [c.id, acme.adminId],
      );
      const spy = jest.spyOn(PostgresQueryRunner.prototype, 'query');
      const started = Date.now();
      let res;
      let statements: string[];
      try {
        // The spy counts the in-process app's statements, so the request goes there (also under E2E_PROCESSES).
        res = await convert(c.id, { editMethod: 'html' }, acme.auth, t.inProcessHttp);
        // The background loops' statements run whenever their tick falls: the conversion's are the rest.
        statements = requestStatements(spy.mock.calls.map(([sql]) => sql));
      } finally {
        spy.mockRestore();
      }
      const elapsed = Date.now() - started;

      expect(res.status).toBe(200);
      const [ticket] = await ticketOf(c.id);
      expect(ticket.message_count).toBe(1000);
      const thread = await threadOf(ticket.id);
      expect(thread).toHaveLength(1000);
      expect(thread[0].message).toBe('<p>message 1</p>');
      expect(thread[999].message).toBe('<p>message 1000</p>');
      // However long the chat: statements for the checks, one for the whole thread, and the answer
      // (22 when this was written; one per message would be over 1,000). The spy saw this
      // conversion's own statements: the thread's insert among them.
      expect(statements!.filter((sql) => /INSERT INTO ticket_messages/.test(sql))).toHaveLength(1);
      expect(statements!.length).toBeGreaterThan(5);
      expect(statements!.length).toBeLessThan(40);
      expect(elapsed).toBeLessThan(5000);
    });
  });

  describe('tags named in the body', () => {
    const UNKNOWN = 'must name an existing tag: only an admin creates tags';
    const tagsNamed = (name: string): Promise<{ id: number }[]> =>
      t.db.query(`SELECT id FROM tags WHERE tenant_id = $1 AND lower(name) = lower($2)`, [acme.tenantId, name]);
    const tagIdsOfTicket = async (conversationId: number): Promise<number[]> =>
      (
        await t.db.query(`SELECT tt.tag_id FROM ticket_tags tt JOIN tickets k ON k.tenant_id = tt.tenant_id AND k.id = tt.ticket_id WHERE k.conversation_id = $1`, [
          conversationId,
        ])
      ).map((row: { tag_id: number }) => row.tag_id);

    it('should refuse an agent naming an unknown tag with 400 on that field, converting nothing', async () => {
      const agent = await createAgent(t, acme.tenantId);
      const c = await chat();
      const fresh = `agent-made ${Date.now()}`;
      const [tickets, tags] = [await count('tickets'), await count('tags')];
      const res = await convert(c.id, { tags: [fresh] }, agent.auth);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { 'tags[0]': [UNKNOWN] } });
      expect([await count('tickets'), await count('tags')]).toEqual([tickets, tags]);
      expect(await ticketOf(c.id)).toEqual([]);
      expect((await t.db.query(`SELECT ticket_id FROM conversations WHERE id = $1`, [c.id]))[0].ticket_id).toBeNull();
    });

    it('should let an agent name an existing tag, and create the tag an admin names', async () => {
      const agent = await createAgent(t, acme.tenantId);
      const known = `known ${Date.now()}`;
      const [{ id: knownId }] = await t.db.query(`INSERT INTO tags (tenant_id, name) VALUES ($1, $2) RETURNING id`, [acme.tenantId, known]);
      const byAgentChat = await chat();
      const byAgent = await convert(byAgentChat.id, { tags: [known.toUpperCase()] }, agent.auth);
      expect(byAgent.status).toBe(200);
      expect(await tagIdsOfTicket(byAgentChat.id)).toEqual([knownId]);
      expect(await tagsNamed(known)).toHaveLength(1);

      const fresh = `admin-made ${Date.now()}`;
      const byAdminChat = await chat();
      const byAdmin = await convert(byAdminChat.id, { tags: [{ name: fresh }] });
      expect(byAdmin.status).toBe(200);
      const [created] = await tagsNamed(fresh);
      expect(await tagIdsOfTicket(byAdminChat.id)).toEqual([created.id]);
      });
    });

  // Every door that adds a message to a conversation, after it became a ticket: the message is in
  // the chat and in the ticket's thread, written in one transaction.
  describe('messages posted after the conversion', () => {
    async function converted(body: object = {}): Promise<{ c: Chat; ticketId: number }> {
      const c = await chat(acme, [acme.adminId]);
      await say(c, { contactId: c.contactId }, 'before the conversion', '2026-11-05T09:00:00.000Z');
      const res = await convert(c.id, body);
      expect(res.status).toBe(200);
      return { c, ticketId: res.body.ticket_id };
    }

    const post = (body: object) => t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', acme.auth).send(body);
    const chatOf = (conversationId: number) =>
      t.db.query(`SELECT id, user_id, contact_id, message FROM conversation_messages WHERE conversation_id = $1 ORDER BY id`, [conversationId]);
    const copies = (ticketId: number) =>
      t.db.query(
        `SELECT conversation_message_id, user_id, contact_id, message, edit_method, state FROM ticket_messages
          WHERE ticket_id = $1 AND conversation_message_id IS NOT NULL ORDER BY id`,
        [ticketId],
      );
    const messageCount = async (ticketId: number) => (await t.db.query(`SELECT message_count FROM tickets WHERE id = $1`, [ticketId]))[0].message_count;
    const ticketEvents = (ticketId: number) =>
      t.db.query(
        `SELECT payload->'channels' AS channels FROM outbox
          WHERE topic = 'pusher' AND payload->>'event' = 'ticket.updated' AND (payload->'data'->>'id')::bigint = $1 ORDER BY id`,
        [ticketId],
      );

    const webhook = (conversationId: number, data: Record<string, unknown>) => sendSignedWebhook(t.http, [clientMessageEvent(conversationId, data, '1.2')], PUSHER);

    it("should put a Desk post in the ticket's thread too, by its author, escaped as the transcript is, and counted", async () => {
      const { c, ticketId } = await converted();

      const agent = await post({ conversationId: c.id, message: '<b>on it</b> & more', clientMessageId: 'agent-after' });
      const customer = await post({ conversationId: c.id, contactId: c.contactId, message: 'thanks' });

      expect([agent.status, customer.status]).toEqual([201, 201]);
      const chatRows = await chatOf(c.id);
      expect(chatRows.map((m: { message: string }) => m.message)).toEqual(['before the conversion', '<b>on it</b> & more', 'thanks']);
      expect(await copies(ticketId)).toEqual([
        { conversation_message_id: chatRows[0].id, user_id: null, contact_id: c.contactId, message: '<p>before the conversion</p>', edit_method: 'html', state: 'active' },
        { conversation_message_id: agent.body.conversationmessage.id, user_id: acme.adminId, contact_id: null, message: '<p>&lt;b&gt;on it&lt;/b&gt; &amp; more</p>', edit_method: 'html', state: 'active' },
        { conversation_message_id: customer.body.conversationmessage.id, user_id: null, contact_id: c.contactId, message: '<p>thanks</p>', edit_method: 'html', state: 'active' },
      ]);
      expect(await messageCount(ticketId)).toBe(3);
      // Agents hear of the ticket's change on their tenant's channel only.
      expect(await ticketEvents(ticketId)).toEqual([{ channels: [`private-tenant-${acme.tenantId}`] }, { channels: [`private-tenant-${acme.tenantId}`] }]);

      // A repeat of a clientMessageId stores nothing, in the chat or the thread.
      const again = await post({ conversationId: c.id, message: '<b>on it</b> & more', clientMessageId: 'agent-after' });
      expect(again.status).toBe(200);
      expect(await copies(ticketId)).toHaveLength(3);
      expect(await messageCount(ticketId)).toBe(3);
    });

    it("should put the widget's message from a signed webhook in the thread once, however often Pusher sends it", async () => {
      const { c, ticketId } = await converted();

      const first = await webhook(c.id, { message: 'from the widget', clientMessageId: 'w-1' });
      const retried = await webhook(c.id, { message: 'from the widget', clientMessageId: 'w-1' });

      expect([first.status, retried.status]).toEqual([201, 201]);
      expect(first.body.meta.created).toBe(1);
      expect(retried.body.meta.created).toBe(0);
      expect((await copies(ticketId)).slice(1)).toEqual([
        { conversation_message_id: first.body.conversationmessage.id, user_id: null, contact_id: c.contactId, message: '<p>from the widget</p>', edit_method: 'html', state: 'active' },
      ]);
      expect(await messageCount(ticketId)).toBe(2);
    });

    it("should put HighLevel's send naming the conversation in the thread, and start a new conversation for a send without it", async () => {
      const { c, ticketId } = await converted();
      const send = (body: object) => t.http.post('/conversations/messages').set('Authorization', acme.auth).set('Version', '2021-07-28').send(body);

      const named = await send({ type: 'Live_Chat', contactId: String(c.contactId), conversationId: String(c.id), message: 'named' });
      const byContact = await send({ type: 'Live_Chat', contactId: String(c.contactId), message: 'by contact' });

      expect([named.status, byContact.status]).toEqual([200, 200]);
      expect(named.body.conversationId).toBe(String(c.id));
      expect(byContact.body.conversationId).not.toBe(String(c.id));
      expect((await copies(ticketId)).slice(1)).toEqual([
        { conversation_message_id: Number(named.body.messageId), user_id: acme.adminId, contact_id: null, message: '<p>named</p>', edit_method: 'html', state: 'active' },
      ]);
      const [fresh] = await t.db.query(`SELECT ticket_id FROM conversations WHERE id = $1`, [byContact.body.conversationId]);
      expect(fresh.ticket_id).toBeNull();
      expect((await chatOf(Number(byContact.body.conversationId))).map((m: { message: string }) => m.message)).toEqual(['by contact']);
    });

    it('should keep the text as written in a markdown ticket', async () => {
      const { c, ticketId } = await converted({ editMethod: 'markdown' });

      expect((await post({ conversationId: c.id, message: '**bold** <kbd>' })).status).toBe(201);

      expect((await copies(ticketId)).map((m: { message: string }) => m.message)).toEqual(['before the conversion', '**bold** <kbd>']);
    });

    it('should leave the thread as posted when the chat message is edited or deleted afterwards', async () => {
      const { c, ticketId } = await converted();
      const posted = await post({ conversationId: c.id, message: 'first draft' });
      const id = posted.body.conversationmessage.id;

      const edited = await t.http.patch(`${BASE}/conversationmessages/${id}.json`).set('Authorization', acme.auth).send({ message: 'second draft' });
      const removed = await t.http.delete(`${BASE}/conversationmessages/${id}.json`).set('Authorization', acme.auth);

      expect([edited.status, removed.status]).toEqual([200, 204]);
      expect((await t.db.query(`SELECT message, state FROM conversation_messages WHERE id = $1`, [id]))[0]).toEqual({ message: 'second draft', state: 'deleted' });
      expect((await copies(ticketId)).slice(1)).toEqual([
        { conversation_message_id: id, user_id: acme.adminId, contact_id: null, message: '<p>first draft</p>', edit_method: 'html', state: 'active' },
      ]);
      expect(await messageCount(ticketId)).toBe(2);
    });

    it('should store neither the message nor its copy when the copy fails', async () => {
      const { c, ticketId } = await converted();
      await t.db.query(`
        CREATE OR REPLACE FUNCTION fail_copy_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.message LIKE '%never copied%' THEN RAISE EXCEPTION 'injected fault'; END IF;
          RETURN NEW;
        END $$`);
      await t.db.query(`CREATE TRIGGER tr_fail_copy_insert BEFORE INSERT ON ticket_messages FOR EACH ROW EXECUTE FUNCTION fail_copy_insert()`);
      try {
        const res = await post({ conversationId: c.id, message: 'never copied' });
        const hooked = await webhook(c.id, { message: 'never copied either', clientMessageId: 'w-fault' });

        expect([res.status, hooked.status]).toEqual([500, 500]);
      } finally {
        await t.db.query(`DROP TRIGGER tr_fail_copy_insert ON ticket_messages`);
      }
      expect((await chatOf(c.id)).map((m: { message: string }) => m.message)).toEqual(['before the conversion']);
      expect(await copies(ticketId)).toHaveLength(1);
      expect(await t.db.query(`SELECT 1 FROM webhook_events WHERE conversation_id = $1`, [c.id])).toEqual([]);
    });
  });
});
