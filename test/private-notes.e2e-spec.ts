import { BASE, ISO } from './support/desk';
import { createAgent, createTenant, conversationRow, TestTenant } from './support/factories';
import { customerConversation } from './support/customer-view';
import { createTestApp, TestApp } from './support/test-app';

// Private notes and mentions (docs/api.md, "Private notes and mentions"): a note is an agent's
// message the customer never sees; its mentions reach each agent on their own channel and in
// GET me/mentions.json.

type Row = Record<string, unknown>;
type Agent = { id: number; auth: string };
interface OutboxRow {
  id: number;
  tenant_id: number;
  payload: { event: string; channels: string[]; data: Row; socketId: string | null };
}

const VERSION = '2021-07-28';
const ref = (id: number, type: string) => ({ id, type });

describe('Private notes and mentions', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;
  let writer: Agent;
  let bea: Agent;
  let carl: Agent;
  let gone: Agent;
  let stranger: Agent;

  beforeAll(async () => {
    t = await createTestApp();
    [acme, globex] = await Promise.all([createTenant(t, 'Acme Notes'), createTenant(t, 'Globex Notes')]);
    [writer, bea, carl, gone] = await Promise.all([
      createAgent(t, acme.tenantId),
      createAgent(t, acme.tenantId),
      createAgent(t, acme.tenantId),
      createAgent(t, acme.tenantId, { state: 'deleted' }),
    ]);
    stranger = await createAgent(t, globex.tenantId);
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (path: string, body: object, auth = writer.auth) => t.http.post(`${BASE}/${path}`).set('Authorization', auth).send(body);
  const patch = (path: string, body: object, auth = writer.auth) => t.http.patch(`${BASE}/${path}`).set('Authorization', auth).send(body);
  const del = (path: string, auth = writer.auth) => t.http.delete(`${BASE}/${path}`).set('Authorization', auth);
  const get = (path: string, auth = writer.auth) => t.http.get(`${BASE}/${path}`).set('Authorization', auth);
  const mentionsOf = (agent: { auth: string }, query = '') => get(`me/mentions.json${query}`, agent.auth);
  const filter = (value: object) => `filter=${encodeURIComponent(JSON.stringify(value))}`;

  // A conversation with a token, its contact, and the writer among its agents.
  async function conversation(tenant = acme): Promise<{ id: number; token: string; contactId: number }> {
    const customer = await post('customers.json', { firstName: 'Cora', email: `cora-${Date.now()}-${Math.random()}@customer.test` }, tenant.auth);
    const [contact] = await t.db.query(`SELECT id FROM customer_contacts WHERE tenant_id = $1 AND customer_id = $2`, [tenant.tenantId, customer.body.customer.id]);
    const res = await post('conversations/token.json', { contactId: contact.id }, tenant.auth);
    expect(res.status).toBe(201);
    return { id: res.body.conversation.id, token: res.body.conversation.token, contactId: contact.id };
  }

  async function message(body: object, auth = writer.auth): Promise<Row> {
    const res = await post('conversationmessages.json', body, auth);
    if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
    return res.body.conversationmessage;
  }

  const lastOutboxId = async (): Promise<number> => (await t.db.query(`SELECT coalesce(max(id), 0)::bigint AS id FROM outbox`))[0].id;
  const outboxAfter = (id: number): Promise<OutboxRow[]> => t.db.query(`SELECT id, tenant_id, payload FROM outbox WHERE topic = 'pusher' AND id > $1 ORDER BY id`, [id]);
  const channelsOf = (rows: OutboxRow[]) => rows.map((row) => `${row.payload.event} ${row.payload.channels.join(',')}`);
  const mentionRows = (messageId: number) =>
    t.db.query(`SELECT tenant_id, message_id, user_id, conversation_id, created_at, created_by FROM conversation_mentions WHERE message_id = $1 ORDER BY user_id`, [messageId]);
  const counts = async () => (await t.db.query(`SELECT (SELECT count(*) FROM conversation_messages)::int AS messages, (SELECT count(*) FROM conversation_mentions)::int AS mentions`))[0];

  describe('POST /conversationmessages.json with "private": true', () => {
    it('should store a note with its mentions (deduplicated), leave the conversation as the customer knows it, and tell agents only', async () => {
      const c = await conversation();
      const pub = await message({ conversationId: c.id, contactId: c.contactId, message: 'Where is my order?' }, acme.auth);
      const before = await conversationRow(t.db, c.id);
      const since = await lastOutboxId();

      const res = await post('conversationmessages.json', {
        conversationmessage: {
          conversationId: c.id,
          message: 'Refund approved, @bea please check',
          private: true,
          mentions: [ref(bea.id, 'users'), { id: carl.id }, ref(bea.id, 'users')],
        },
      });

      expect(res.status).toBe(201);
      const note = res.body.conversationmessage;
      expect(note).toMatchObject({ conversationId: c.id, userId: writer.id, contactId: null, private: true, message: 'Refund approved, @bea please check' });
      expect(note.mentions).toEqual([ref(bea.id, 'users'), ref(carl.id, 'users')]);
      const [row] = await t.db.query(`SELECT private, mention_ids, direction, created_at, created_by FROM conversation_messages WHERE id = $1`, [note.id]);
      expect(row).toMatchObject({ private: true, mention_ids: [bea.id, carl.id], direction: 'outbound', created_by: writer.id });
      expect(await mentionRows(note.id)).toEqual(
        [bea.id, carl.id].sort((a, b) => a - b).map((userId) => ({ tenant_id: acme.tenantId, message_id: note.id, user_id: userId, conversation_id: c.id, created_at: row.created_at, created_by: writer.id })),
      );

      // Not the last message, not a reply that reads the customer's message, not a change the customer sees.
      const after = await conversationRow(t.db, c.id);
      for (const column of ['last_message_at', 'last_message_text', 'unread_count', 'updated_at', 'updated_by', 'waiting_since', 'first_reply_at']) {
        expect({ column, value: after![column] }).toEqual({ column, value: before![column] });
      }
      expect(after!.last_message_text).toBe(pub.message);
      expect(after!.unread_count).toBe(1);

      const rows = await outboxAfter(since);
      expect(channelsOf(rows).sort()).toEqual(
        [`message.created private-tenant-${acme.tenantId}`, `mention.created private-user-${bea.id}`, `mention.created private-user-${carl.id}`].sort(),
      );
      expect(rows.find((r) => r.payload.event === 'message.created')!.payload.data).toEqual(note);
      const beaEvent = rows.find((r) => r.payload.channels[0] === `private-user-${bea.id}`)!;
      expect(beaEvent.payload.data).toEqual({ id: note.id, conversationId: c.id, message: ref(note.id, 'conversationmessages'), mentionedBy: ref(writer.id, 'users'), createdAt: note.createdAt });
      // What GET me/mentions.json shows of it.
      const listed = await mentionsOf(bea, `?${filter({ conversationId: c.id })}`);
      expect(listed.body.mentions).toEqual([beaEvent.payload.data]);
    });

    it('should answer a public message with "private": false and no mentions, and a note without mentions', async () => {
      const c = await conversation();
      const pub = await message({ conversationId: c.id, message: 'Hi', private: false });
      expect(pub).toMatchObject({ private: false, mentions: [] });
      const note = await message({ conversationId: c.id, message: 'Just a note', private: true, mentions: [] });
      expect(note).toMatchObject({ private: true, mentions: [] });
      expect(await mentionRows(note.id as number)).toEqual([]);
    });

    it('should let a note be written in another agent\'s name, and mention its own writer', async () => {
      const c = await conversation();
      const note = await message({ conversationId: c.id, userId: bea.id, message: 'For the record', private: true, mentions: [{ id: writer.id }] });
      expect(note).toMatchObject({ userId: bea.id, private: true });
      const listed = await mentionsOf(writer, `?${filter({ conversationId: c.id })}`);
      expect(listed.body.mentions.map((m: Row) => m.mentionedBy)).toEqual([ref(bea.id, 'users')]);
    });

    it('should return the stored note to a repeat of its clientMessageId, and refuse the id for a public message', async () => {
      const c = await conversation();
      const body = { conversationId: c.id, message: 'Noted', private: true, mentions: [{ id: bea.id }], clientMessageId: 'note-1' };
      const first = await post('conversationmessages.json', body);
      expect(first.status).toBe(201);
      const since = await lastOutboxId();
      const again = await post('conversationmessages.json', body);
      expect(again.status).toBe(200);
      expect(again.body.conversationmessage).toEqual(first.body.conversationmessage);
      const reused = await post('conversationmessages.json', { ...body, private: false, mentions: undefined });
      expect(reused.status).toBe(409);
      expect(reused.body.code ?? reused.body.errors).toBeDefined();
      expect(await outboxAfter(since)).toEqual([]);
      expect(await mentionRows(first.body.conversationmessage.id)).toHaveLength(1);
    });

    describe('bad input: a 400 on the field, nothing written', () => {
      let c: { id: number; token: string; contactId: number };
      beforeAll(async () => {
        c = await conversation();
      });

      it.each([
        ['a note by the customer side', () => ({ contactId: c.contactId, private: true }), { private: ["must be false for a contact's message: only an agent writes a note"] }],
        ['mentions on a public message', () => ({ mentions: [{ id: bea.id }] }), { mentions: ['must be empty unless the message is private (a note)'] }],
        ['mentions with "private": false', () => ({ private: false, mentions: [{ id: bea.id }] }), { mentions: ['must be empty unless the message is private (a note)'] }],
        ['an unknown agent', () => ({ private: true, mentions: [{ id: bea.id }, { id: 999999999 }] }), { 'mentions[1].id': ['does not exist'] }],
        ["another tenant's agent", () => ({ private: true, mentions: [{ id: stranger.id, type: 'users' }] }), { 'mentions[0].id': ['does not exist'] }],
        ['a deleted agent', () => ({ private: true, mentions: [{ id: gone.id }] }), { 'mentions[0].id': ['does not exist'] }],
        ['a mention that is no ref', () => ({ private: true, mentions: [5] }), { 'mentions[0]': [expect.any(String)] }],
        ['a mention without an id', () => ({ private: true, mentions: [{ type: 'users' }] }), { 'mentions[0].id': [expect.any(String)] }],
        ['a mention of another type', () => ({ private: true, mentions: [{ id: bea.id, type: 'contacts' }] }), { 'mentions[0].type': [expect.any(String)] }],
        ['mentions that are no list', () => ({ private: true, mentions: { id: bea.id } }), { mentions: [expect.any(String)] }],
        ['more than 50 mentions', () => ({ private: true, mentions: Array.from({ length: 51 }, () => ({ id: bea.id })) }), { mentions: ['must have at most 50 items'] }],
        ['"private" not a boolean', () => ({ private: 'yes' }), { private: ['must be true or false'] }],
      ])('should refuse %s', async (_name, extra, errors) => {
        const before = await counts();
        const since = await lastOutboxId();
        const res = await post('conversationmessages.json', { conversationId: c.id, message: 'x', ...extra() });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ errors });
        expect(await counts()).toEqual(before);
        expect(await outboxAfter(since)).toEqual([]);
      });
    });
  });

  describe("the agents' lists", () => {
    it('should list notes among the messages, and filter them in or out with "private"', async () => {
      const c = await conversation();
      const pub = await message({ conversationId: c.id, message: 'Public' });
      const note = await message({ conversationId: c.id, message: 'Note', private: true, mentions: [{ id: carl.id }] });
      const all = await get(`conversations/${c.id}/messages.json`);
      expect(all.body.conversationmessages.map((m: Row) => [m.id, m.private, m.mentions])).toEqual([
        [pub.id, false, []],
        [note.id, true, [ref(carl.id, 'users')]],
      ]);
      const notes = await get(`conversationmessages.json?${filter({ conversationId: c.id, private: true })}`);
      expect(notes.body.conversationmessages.map((m: Row) => m.id)).toEqual([note.id]);
      const publicOnes = await get(`conversations/${c.id}/messages.json?${filter({ private: { $ne: true } })}`);
      expect(publicOnes.body.conversationmessages.map((m: Row) => m.id)).toEqual([pub.id]);
      const picked = await get(`conversations/${c.id}/messages.json?fields=private,mentions`);
      expect(picked.body.conversationmessages[1]).toEqual({ id: note.id, private: true, mentions: [ref(carl.id, 'users')] });
      const bad = await get(`conversationmessages.json?${filter({ private: 'yes' })}`);
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ errors: { filter: ['private must be true or false'] } });
    });
  });

  describe('PATCH and DELETE of a note', () => {
    it('should keep a note private and its mentions, refuse to make it public, and tell agents only', async () => {
      const c = await conversation();
      const pub = await message({ conversationId: c.id, message: 'Public words' });
      const note = await message({ conversationId: c.id, message: 'Secret words', private: true, mentions: [{ id: bea.id }] });
      const since = await lastOutboxId();

      const edited = await patch(`conversationmessages/${note.id}.json`, { message: 'Secret words, edited', private: true, mentions: [ref(bea.id, 'users')] });
      expect(edited.status).toBe(200);
      expect(edited.body.conversationmessage).toMatchObject({ private: true, mentions: [ref(bea.id, 'users')], message: 'Secret words, edited' });
      // Refreshing the last message after an edit never picks the note.
      expect((await conversationRow(t.db, c.id))!.last_message_text).toBe(pub.message);

      for (const [body, field] of [
        [{ private: false }, 'private'],
        [{ mentions: [{ id: carl.id }] }, 'mentions'],
        [{ mentions: [] }, 'mentions'],
      ] as const) {
        const refused = await patch(`conversationmessages/${note.id}.json`, body);
        expect(refused.status).toBe(400);
        expect(refused.body).toEqual({ errors: { [field]: ['is read-only'] } });
      }
      const publicMadePrivate = await patch(`conversationmessages/${pub.id}.json`, { private: true });
      expect(publicMadePrivate.status).toBe(400);

      expect((await del(`conversationmessages/${note.id}.json`)).status).toBe(204);
      expect((await conversationRow(t.db, c.id))!.last_message_text).toBe(pub.message);
      const rows = await outboxAfter(since);
      expect(channelsOf(rows)).toEqual([`message.updated private-tenant-${acme.tenantId}`, `message.updated private-tenant-${acme.tenantId}`]);
      expect(rows[1].payload.data).toMatchObject({ id: note.id, state: 'deleted', private: true });
      const [stored] = await t.db.query(`SELECT private, mention_ids, state FROM conversation_messages WHERE id = $1`, [note.id]);
      expect(stored).toEqual({ private: true, mention_ids: [bea.id], state: 'deleted' });
    });
  });

  describe('GET /me/mentions.json', () => {
    let c1: { id: number };
    let c2: { id: number };
    let notes: Row[];

    beforeAll(async () => {
      c1 = await conversation();
      c2 = await conversation();
      notes = [];
      for (const [c, text] of [
        [c1, 'one'],
        [c2, 'two'],
        [c1, 'three'],
        [c2, 'four'],
      ] as const) {
        notes.push(await message({ conversationId: c.id, message: `mention ${text}`, private: true, mentions: [{ id: carl.id }] }));
      }
      // Another agent's mention, and a note mentioning nobody.
      await message({ conversationId: c1.id, message: 'for bea', private: true, mentions: [{ id: bea.id }] });
      await message({ conversationId: c1.id, message: 'nobody', private: true });
    });

    const inConversations = () => filter({ conversationId: { $in: [c1.id, c2.id] } });

    it("should list the caller's mentions newest first, in the list language's page", async () => {
      const res = await mentionsOf(carl, `?${inConversations()}`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['included', 'mentions', 'meta']);
      expect(res.body.mentions.map((m: Row) => m.id)).toEqual(notes.map((n) => n.id).reverse());
      expect(res.body.mentions[0]).toEqual({ id: notes[3].id, conversationId: c2.id, message: ref(notes[3].id as number, 'conversationmessages'), mentionedBy: ref(writer.id, 'users'), createdAt: notes[3].createdAt });
      expect(res.body.mentions[0].createdAt).toMatch(ISO);
      expect(res.body.meta.page).toMatchObject({ count: 4, hasMore: false });
    });

    it('should page by cursor, and filter by conversation and time', async () => {
      const first = await mentionsOf(carl, `?pageSize=3&${inConversations()}`);
      expect(first.body.meta.page).toMatchObject({ count: 4, pageSize: 3, hasMore: true });
      const next = await mentionsOf(carl, `?pageSize=3&${inConversations()}&cursor=${encodeURIComponent(first.body.meta.page.nextCursor)}`);
      expect([...first.body.mentions, ...next.body.mentions].map((m: Row) => m.id)).toEqual(notes.map((n) => n.id).reverse());
      expect(next.body.meta.page).toMatchObject({ hasMore: false, nextCursor: null });

      const inC1 = await mentionsOf(carl, `?${filter({ conversationId: c1.id })}`);
      expect(inC1.body.mentions.map((m: Row) => m.id)).toEqual([notes[2].id, notes[0].id]);
      const since = await mentionsOf(carl, `?${filter({ conversationId: { $in: [c1.id, c2.id] }, createdAt: { $gte: notes[2].createdAt } })}`);
      expect(since.body.mentions.map((m: Row) => m.id)).toEqual([notes[3].id, notes[2].id]);
      const oldest = await mentionsOf(carl, `?orderMode=asc&${inConversations()}`);
      expect(oldest.body.mentions.map((m: Row) => m.id)).toEqual(notes.map((n) => n.id));
    });

    it('should side-load the notes and their writers', async () => {
      const res = await mentionsOf(carl, `?pageSize=1&${inConversations()}&includes=conversationmessages,users`);
      expect(res.body.included.conversationmessages.map((m: Row) => [m.id, m.message, m.private])).toEqual([[notes[3].id, 'mention four', true]]);
      expect(res.body.included.users.map((u: Row) => u.id)).toEqual([writer.id]);
    });

    it('should show another agent, the writer and another tenant none of them', async () => {
      const forBea = await mentionsOf(bea, `?${inConversations()}`);
      expect(forBea.body.mentions.map((m: Row) => (m.message as Row).id)).not.toEqual(expect.arrayContaining([notes[0].id]));
      expect(forBea.body.mentions).toHaveLength(1);
      expect((await mentionsOf(writer, `?${inConversations()}`)).body.mentions).toEqual([]);
      const other = await mentionsOf(stranger);
      expect(other.status).toBe(200);
      expect(other.body.mentions).toEqual([]);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM conversation_mentions WHERE user_id = $1`, [carl.id]);
      expect(n).toBeGreaterThanOrEqual(4);
    });

    it("should hide a deleted note's mention unless the filter names state", async () => {
      const c = await conversation();
      const note = await message({ conversationId: c.id, message: 'to delete', private: true, mentions: [{ id: carl.id }] });
      expect((await del(`conversationmessages/${note.id}.json`)).status).toBe(204);
      expect((await mentionsOf(carl, `?${filter({ conversationId: c.id })}`)).body.mentions).toEqual([]);
      const deleted = await mentionsOf(carl, `?${filter({ conversationId: c.id, state: 'deleted' })}`);
      expect(deleted.body.mentions.map((m: Row) => m.id)).toEqual([note.id]);
    });

    it('should refuse what the list language does not allow, in the Desk dialect', async () => {
      const res = await mentionsOf(carl, `?${filter({ message: 'x' })}`);
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.errors)).toEqual(['filter']);
      const includes = await mentionsOf(carl, '?includes=tickets');
      expect(includes.status).toBe(400);
    });

    it('should leave GET /me.json as it was', async () => {
      const me = await get('me.json', carl.auth);
      expect(me.status).toBe(200);
      expect(me.body.user.id).toBe(carl.id);
    });
  });

  describe("the customer's wall", () => {
    let c: { id: number; token: string; contactId: number };
    let first: Row;
    let note: Row;
    let last: Row;
    let noteFileId: number;
    let publicFileId: number;

    const upload = async (name: string): Promise<number> => {
      const res = await t.http.post(`${BASE}/files.json`).set('Authorization', writer.auth).attach('file', Buffer.from(`bytes of ${name}`), { filename: name, contentType: 'text/plain' });
      expect(res.status).toBe(201);
      return res.body.file.id;
    };
    const download = (id: number) => t.http.get(`${BASE}/conversations/token/${c.token}/files/${id}/download`);

    beforeAll(async () => {
      c = await conversation();
      [noteFileId, publicFileId] = [await upload('note-only.txt'), await upload('public.txt')];
      first = await message({ conversationId: c.id, contactId: c.contactId, message: 'Hello?' }, acme.auth);
      note = await message({ conversationId: c.id, message: 'NOTE-TEXT internal', private: true, mentions: [{ id: bea.id }], files: [noteFileId, publicFileId] });
      last = await message({ conversationId: c.id, message: 'We are on it', files: [publicFileId] });
    });

    it("should show agents the note in the conversation's messages, and the customer only the public ones", async () => {
      const agents = await get(`conversations/${c.id}.json?includes=conversationmessages`);
      expect(agents.body.conversation.messages.map((m: Row) => m.id)).toEqual([first.id, note.id, last.id]);
      expect(agents.body.included.conversationmessages.map((m: Row) => m.id)).toEqual([first.id, note.id, last.id]);

      const customer = await t.http.get(`${BASE}/conversations/token/${c.token}.json?includes=conversationmessages`);
      expect(customer.status).toBe(200);
      expect(customer.body.conversation.messages).toEqual([ref(first.id as number, 'conversationmessages'), ref(last.id as number, 'conversationmessages')]);
      expect(customer.body.included.conversationmessages.map((m: Row) => m.id)).toEqual([first.id, last.id]);
      expect(customer.body.conversation.lastMessageAt).toBe(last.createdAt);
      expect(customer.body.conversation).toEqual(customerConversation(agents.body.conversation, [note.id as number]));
      expect(JSON.stringify(customer.body)).not.toMatch(/NOTE-TEXT|mentions|private/);
    });

    it("should give the customer the latest 100 public messages when notes are among the agents' latest 100", async () => {
      const long = await conversation();
      await t.db.query(
        `INSERT INTO conversation_messages (tenant_id, conversation_id, contact_id, message, created_at, updated_at)
         SELECT $1, $2, $3, 'public ' || i, '2026-01-01T00:00:00Z'::timestamptz + i * interval '1 second', now() FROM generate_series(1, 100) i`,
        [acme.tenantId, long.id, long.contactId],
      );
      const tail = await message({ conversationId: long.id, message: 'NOTE-TEXT tail', private: true });
      const publicIds: number[] = (await t.db.query(`SELECT id FROM conversation_messages WHERE conversation_id = $1 AND NOT private ORDER BY created_at, id`, [long.id])).map((r: Row) => r.id);
      expect(publicIds).toHaveLength(100);

      const agents = await get(`conversations/${long.id}.json`);
      expect(agents.body.conversation.messages.map((m: Row) => m.id)).toEqual([...publicIds.slice(1), tail.id]);
      const customer = await t.http.get(`${BASE}/conversations/token/${long.token}.json?includes=conversationmessages`);
      expect(customer.body.conversation.messages.map((m: Row) => m.id)).toEqual(publicIds);
      expect(customer.body.included.conversationmessages.map((m: Row) => m.id)).toEqual(publicIds);
    });

    it("should leave notes out of the widget's history, on every page", async () => {
      const all = await t.http.get(`${BASE}/conversationmessages/history/${c.token}.json?includes=all`);
      expect(all.status).toBe(200);
      expect(all.body.conversationmessages.map((m: Row) => m.id)).toEqual([first.id, last.id]);
      expect(all.body.meta.page.count).toBe(2);
      expect(all.body.included.files.map((f: Row) => f.id)).toEqual([publicFileId]);
      const paged = await t.http.get(`${BASE}/conversationmessages/history/${c.token}.json?pageSize=1`);
      const rest = await t.http.get(`${BASE}/conversationmessages/history/${c.token}.json?pageSize=1&cursor=${encodeURIComponent(paged.body.meta.page.nextCursor)}`);
      expect([...paged.body.conversationmessages, ...rest.body.conversationmessages].map((m: Row) => m.id)).toEqual([first.id, last.id]);
      expect(JSON.stringify([all.body, paged.body, rest.body])).not.toMatch(/NOTE-TEXT|note-only|mentions|private/);
    });

    it('should not let the token download a file attached only to a note', async () => {
      const refused = await download(noteFileId);
      expect(refused.status).toBe(404);
      expect((await download(publicFileId)).status).toBe(200);
      // An agent still downloads it.
      expect((await get(`files/${noteFileId}/download`)).status).toBe(200);
    });

    it('should write no row for the conversation channel while notes are written, edited and deleted', async () => {
      const since = await lastOutboxId();
      const another = await message({ conversationId: c.id, message: 'NOTE-TEXT again', private: true, mentions: [{ id: carl.id }] });
      await patch(`conversationmessages/${another.id}.json`, { message: 'NOTE-TEXT edited' });
      await del(`conversationmessages/${another.id}.json`);
      const rows = await outboxAfter(since);
      expect(rows.length).toBe(4);
      expect(rows.filter((row) => row.payload.channels.some((channel) => channel.includes('conversation')))).toEqual([]);
    });
  });

  describe('conversion', () => {
    const thread = (ticketId: number) =>
      t.db.query(`SELECT thread_type, message, user_id, conversation_message_id FROM ticket_messages WHERE ticket_id = $1 AND conversation_message_id IS NOT NULL ORDER BY id`, [ticketId]);

    it("should copy notes into the ticket's thread as notes, at conversion and after it, and never take a note's text as the subject", async () => {
      const c = await conversation();
      const early = await message({ conversationId: c.id, message: 'Early note', private: true });
      const question = await message({ conversationId: c.id, contactId: c.contactId, message: 'Can I get a refund?' }, acme.auth);
      const converted = await post(`conversations/${c.id}/convert.json`, {}, acme.auth);
      expect(converted.status).toBe(200);
      const ticketId = converted.body.ticket_id as number;
      const [ticket] = await t.db.query(`SELECT subject FROM tickets WHERE id = $1`, [ticketId]);
      expect(ticket.subject).toBe('Can I get a refund?');
      expect(await thread(ticketId)).toEqual([
        { thread_type: 'note', message: '<p>Early note</p>', user_id: writer.id, conversation_message_id: early.id },
        { thread_type: 'message', message: '<p>Can I get a refund?</p>', user_id: null, conversation_message_id: question.id },
      ]);

      const since = await lastOutboxId();
      const later = await message({ conversationId: c.id, message: 'Later note', private: true, mentions: [{ id: bea.id }] });
      const reply = await message({ conversationId: c.id, message: 'Refunded' });
      const copies = await thread(ticketId);
      expect(copies.slice(2)).toEqual([
        { thread_type: 'note', message: '<p>Later note</p>', user_id: writer.id, conversation_message_id: later.id },
        { thread_type: 'message', message: '<p>Refunded</p>', user_id: writer.id, conversation_message_id: reply.id },
      ]);
      const rows = await outboxAfter(since);
      // The note: its message.created and the mention to agents; the ticket's update to agents; never the conversation's channel for the note.
      const conversationChannel = rows.filter((row) => row.payload.channels[0] === `private-conversation-${c.id}`);
      expect(conversationChannel.map((row) => [row.payload.event, row.payload.data.id])).toEqual([['message.created', reply.id]]);
      expect(channelsOf(rows)).toEqual(expect.arrayContaining([`mention.created private-user-${bea.id}`, `ticket.updated private-tenant-${acme.tenantId}`]));
    });
  });

  describe('HighLevel', () => {
    const hlGet = (path: string, query: Record<string, string> = {}) => t.http.get(path).query(query).set('Authorization', acme.auth).set('Version', VERSION);

    it("should show a note as HighLevel's TYPE_INTERNAL_COMMENT, filterable by it, and never as the conversation's last message", async () => {
      const c = await conversation();
      const pub = await message({ conversationId: c.id, contactId: c.contactId, message: 'Public question' }, acme.auth);
      const note = await message({ conversationId: c.id, message: 'Internal comment', private: true });

      const page = await hlGet(`/conversations/${c.id}/messages`);
      expect(page.status).toBe(200);
      const shown = page.body.messages.messages as Row[];
      expect(shown.map((m) => [m.id, m.messageType, m.type, m.direction])).toEqual([
        [String(note.id), 'TYPE_INTERNAL_COMMENT', 35, 'outbound'],
        [String(pub.id), 'TYPE_LIVE_CHAT', 29, 'inbound'],
      ]);
      const comments = await hlGet(`/conversations/${c.id}/messages`, { type: 'TYPE_INTERNAL_COMMENT' });
      expect(comments.body.messages.messages.map((m: Row) => m.id)).toEqual([String(note.id)]);
      const chat = await hlGet(`/conversations/${c.id}/messages`, { type: 'TYPE_LIVE_CHAT' });
      expect(chat.body.messages.messages.map((m: Row) => m.id)).toEqual([String(pub.id)]);
      const one = await hlGet(`/conversations/messages/${note.id}`);
      expect(one.body).toMatchObject({ id: String(note.id), messageType: 'TYPE_INTERNAL_COMMENT', body: 'Internal comment' });

      const search = await hlGet('/conversations/search', { locationId: acme.locationId, id: String(c.id) });
      expect(search.status).toBe(200);
      expect(search.body.conversations).toHaveLength(1);
      expect(search.body.conversations[0]).toMatchObject({ lastMessageBody: 'Public question', lastMessageType: 'TYPE_LIVE_CHAT', lastMessageDirection: 'inbound', unreadCount: 1 });
      const got = await hlGet(`/conversations/${c.id}`);
      expect(got.body).toMatchObject({ id: String(c.id), unreadCount: 1 });
    });
  });
});
