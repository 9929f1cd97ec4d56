import { ApiKeysService } from '../apps/api/src/auth/api-keys.service';
import { conversationRow, createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { BASE, ISO } from './support/desk';
import { createTestApp, TestApp } from './support/test-app';

// HighLevel's shapes, written from HighLevel's public Conversations API OpenAPI document rather
// than taken from the presenter: the keys each response has when the conversation has no agent.
const CREATED_KEYS = ['contactId', 'dateAdded', 'dateUpdated', 'deleted', 'id', 'lastMessageDate', 'locationId'];
const GET_KEYS = ['contactId', 'deleted', 'id', 'inbox', 'locationId', 'starred', 'type', 'unreadCount'];
const DTO_KEYS = ['contactId', 'deleted', 'id', 'inbox', 'lastMessageBody', 'lastMessageDate', 'lastMessageType', 'locationId', 'starred', 'unreadCount'];
const withAssignedTo = (keys: string[]) => [...keys, 'assignedTo'].sort();

const VERSIONS = ['2021-07-28', '2021-04-15', '2023-02-21'];
const VERSION = VERSIONS[0];
const INVALID_TOKEN = { statusCode: 401, message: 'Invalid token: access token is invalid', error: 'Unauthorized' };
const NOT_FOUND = { statusCode: 400, message: 'Conversation not found' };
const FORBIDDEN = { statusCode: 403, message: 'The token does not have access to this location', error: 'Forbidden' };
const unprocessable = (...message: string[]) => ({ statusCode: 422, message, error: 'Unprocessable Entity' });

type Row = Record<string, unknown>;
const MAIN_MAX = 100_000;

describe('HighLevel Conversations (/conversations)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;

  beforeAll(async () => {
    // HighLevel's default burst (100 per 10 s) is less than this file sends as one tenant.
    t = await createTestApp({ HL_RATE_LIMIT_MAX: String(MAIN_MAX) });
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
  });
  afterAll(() => t.close());

  // HighLevel requests: the key as a Bearer token and a Version, as HighLevel's clients send them.
  const create = (body: unknown, tenant: TestTenant = acme) =>
    t.http.post('/conversations/').set('Authorization', tenant.auth).set('Version', VERSION).send(body as object);
  const get = (id: number | string, auth = acme.auth) => t.http.get(`/conversations/${id}`).set('Authorization', auth).set('Version', VERSION);
  const put = (id: number | string, body: unknown, auth = acme.auth) =>
    t.http.put(`/conversations/${id}`).set('Authorization', auth).set('Version', VERSION).send(body as object);
  const remove = (id: number | string, auth = acme.auth) => t.http.delete(`/conversations/${id}`).set('Authorization', auth).set('Version', VERSION);

  // The Desk dialect, on the same rows.
  const desk = {
    create: (contactId: number, tenant: TestTenant = acme) =>
      t.http.post(`${BASE}/conversations.json`).set('Authorization', tenant.auth).send({ conversation: { contactId } }),
    get: (id: number, tenant: TestTenant = acme) => t.http.get(`${BASE}/conversations/${id}.json`).set('Authorization', tenant.auth),
    patch: (id: number, body: unknown, tenant: TestTenant = acme) =>
      t.http.patch(`${BASE}/conversations/${id}.json`).set('Authorization', tenant.auth).send(body as object),
    remove: (id: number, tenant: TestTenant = acme) => t.http.delete(`${BASE}/conversations/${id}.json`).set('Authorization', tenant.auth),
    message: (body: unknown, tenant: TestTenant = acme) =>
      t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', tenant.auth).send(body as object),
  };

  const conversationCount = async (tenantId: number): Promise<number> => {
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1`, [tenantId]);
    return n;
  };
  const row = async (id: number): Promise<Row> => (await conversationRow(t.db, id))!;

  // A conversation started through HighLevel for a new contact of the tenant.
  async function hlConversation(tenant: TestTenant = acme): Promise<{ id: number; contactId: number }> {
    const { contactId } = await createContact(t.db, tenant.tenantId);
    const res = await create({ locationId: tenant.locationId, contactId: String(contactId) }, tenant);
    expect(res.status).toBe(200);
    return { id: Number(res.body.conversation.id), contactId };
  }

  describe('POST /conversations/', () => {
    it("should create the contact's conversation and answer HighLevel's ConversationCreateResponseDto", async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const before = await conversationCount(acme.tenantId);

      const res = await create({ locationId: acme.locationId, contactId: String(contactId) });

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort()).toEqual(['conversation', 'success']);
      expect(res.body.success).toBe(true);
      const c = res.body.conversation;
      expect(Object.keys(c).sort()).toEqual(CREATED_KEYS);
      expect(typeof c.id).toBe('string');
      expect(c.id).toMatch(/^[1-9]\d*$/);
      expect(c).toMatchObject({ contactId: String(contactId), locationId: acme.locationId, deleted: false, lastMessageDate: null });
      expect(c.dateAdded).toMatch(ISO);
      expect(c.dateUpdated).toMatch(ISO);

      expect(await conversationCount(acme.tenantId)).toBe(before + 1);
      const stored = await row(Number(c.id));
      expect(stored).toMatchObject({
        tenant_id: acme.tenantId,
        contact_id: contactId,
        state: 'active',
        unread_count: 0,
        starred: false,
        inbox: true,
        type: 1,
        feedback: null,
        last_message_at: null,
        ticket_id: null,
        created_by: acme.adminId,
        updated_by: acme.adminId,
      });
      expect((stored.created_at as Date).toISOString()).toBe(c.dateAdded);
      expect((stored.updated_at as Date).toISOString()).toBe(c.dateUpdated);
      expect(await t.db.query(`SELECT user_id FROM conversation_users WHERE conversation_id = $1`, [Number(c.id)])).toEqual([]);
    });

    it.each([
      ['no contactId', (l: string) => ({ locationId: l }), ['contactId should not be empty', 'contactId must be a string']],
      ['no locationId', () => ({ contactId: '1' }), ['locationId should not be empty', 'locationId must be a string']],
      [
        'an empty body',
        () => ({}),
        ['locationId should not be empty', 'locationId must be a string', 'contactId should not be empty', 'contactId must be a string'],
      ],
      ['a numeric contactId', (l: string) => ({ locationId: l, contactId: 1 }), ['contactId must be a string']],
      ['an empty contactId', (l: string) => ({ locationId: l, contactId: '' }), ['contactId should not be empty']],
      ['a numeric locationId', () => ({ locationId: 7, contactId: '1' }), ['locationId must be a string']],
      ['an unknown property', (l: string) => ({ locationId: l, contactId: '1', assignedTo: '2' }), ['property assignedTo should not exist']],
    ])('should answer 422 for %s and write nothing', async (_case, body, messages) => {
      const before = await conversationCount(acme.tenantId);
      const res = await create(body(acme.locationId));
      expect(res.status).toBe(422);
      expect(res.body).toEqual(unprocessable(...messages));
      expect(res.headers['x-error-code']).toBe('HL_VALIDATION_FAILED');
      expect(await conversationCount(acme.tenantId)).toBe(before);
    });

    it("should answer 422 for an unknown contact, another tenant's, a deleted one and a non-numeric id, writing nothing", async () => {
      const theirs = await createContact(t.db, globex.tenantId);
      const gone = await createContact(t.db, acme.tenantId);
      await t.db.query(`UPDATE customer_contacts SET state = 'deleted', deleted_at = now() WHERE id = $1`, [gone.contactId]);
      const [acmeBefore, globexBefore] = [await conversationCount(acme.tenantId), await conversationCount(globex.tenantId)];

      for (const contactId of ['987654321', String(theirs.contactId), String(gone.contactId), 'abc', '0', '-1']) {
        const res = await create({ locationId: acme.locationId, contactId });
        expect(res.status).toBe(422);
        expect(res.body).toEqual(unprocessable(`contactId ${contactId} is not a contact of this location`));
      }

      expect(await conversationCount(acme.tenantId)).toBe(acmeBefore);
      expect(await conversationCount(globex.tenantId)).toBe(globexBefore);
    });

    it("should answer 403 for another tenant's locationId and write nothing", async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const before = await conversationCount(acme.tenantId);
      const res = await create({ locationId: globex.locationId, contactId: String(contactId) });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(FORBIDDEN);
      expect(res.headers['x-error-code']).toBe('HL_LOCATION_FORBIDDEN');
      expect(await conversationCount(acme.tenantId)).toBe(before);
    });

    it('should refuse a second conversation for a contact with an open one, naming it', async () => {
      const first = await hlConversation();
      const before = await conversationCount(acme.tenantId);

      const res = await create({ locationId: acme.locationId, contactId: String(first.contactId) });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        message: `Conversation with the contact id:${first.contactId} already exists! conversationId: ${first.id}`,
      });
      expect(res.headers['x-error-code']).toBe('HL_CONVERSATION_EXISTS');
      expect(await conversationCount(acme.tenantId)).toBe(before);
    });

    it('should refuse a contact whose open conversation the Desk dialect started, and start a new one once it is deleted', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const deskId: number = (await desk.create(contactId).expect(201)).body.conversation.id;

      const refused = await create({ locationId: acme.locationId, contactId: String(contactId) });
      expect(refused.status).toBe(400);
      expect(refused.body.message).toBe(`Conversation with the contact id:${contactId} already exists! conversationId: ${deskId}`);

      await remove(deskId).expect(200);
      const again = await create({ locationId: acme.locationId, contactId: String(contactId) });
      expect(again.status).toBe(200);
      expect(Number(again.body.conversation.id)).toBeGreaterThan(deskId);
      const rows: Row[] = await t.db.query(`SELECT id, state FROM conversations WHERE contact_id = $1 ORDER BY id`, [contactId]);
      expect(rows).toEqual([
        { id: deskId, state: 'deleted' },
        { id: Number(again.body.conversation.id), state: 'active' },
      ]);
    });

    it('should create exactly one conversation for five concurrent creates of one contact', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const body = { locationId: acme.locationId, contactId: String(contactId) };

      const answers = await Promise.all(Array.from({ length: 5 }, () => create(body)));

      expect(answers.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400]);
      const winner = answers.find((r) => r.status === 200)!;
      const id = winner.body.conversation.id;
      for (const loser of answers.filter((r) => r.status === 400)) {
        expect(loser.body).toEqual({ statusCode: 400, message: `Conversation with the contact id:${contactId} already exists! conversationId: ${id}` });
      }
      const rows: Row[] = await t.db.query(`SELECT id FROM conversations WHERE contact_id = $1`, [contactId]);
      expect(rows).toEqual([{ id: Number(id) }]);
    });

    it('should replay a create with the same Idempotency-Key and refuse the key with another body (422)', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const other = await createContact(t.db, acme.tenantId);
      const body = { locationId: acme.locationId, contactId: String(contactId) };

      const first = await create(body).set('Idempotency-Key', 'hl-create-1');
      expect(first.status).toBe(200);
      const replay = await create(body).set('Idempotency-Key', 'hl-create-1');
      expect(replay.status).toBe(200);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);

      const reused = await create({ locationId: acme.locationId, contactId: String(other.contactId) }).set('Idempotency-Key', 'hl-create-1');
      expect(reused.status).toBe(422);
      expect(reused.body).toMatchObject({ statusCode: 422, error: 'Unprocessable Entity' });
      expect(reused.body.errors).toBeUndefined();
      expect(await t.db.query(`SELECT id FROM conversations WHERE contact_id = ANY($1::bigint[])`, [[contactId, other.contactId]])).toEqual([
        { id: Number(first.body.conversation.id) },
      ]);
    });
  });

  describe('GET /conversations/{id}', () => {
    it("should answer HighLevel's GetConversationByIdResponse, bare", async () => {
      const c = await hlConversation();

      const res = await get(c.id);

      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(GET_KEYS);
      expect(res.body).toEqual({
        id: String(c.id),
        contactId: String(c.contactId),
        locationId: acme.locationId,
        deleted: false,
        inbox: true,
        type: 1,
        unreadCount: 0,
        starred: false,
      });
    });

    it("should show the assignee as assignedTo, whoever takes part, in every conversation form", async () => {
      const c = await hlConversation();
      const [assignee, participant] = [await createAgent(t, acme.tenantId), await createAgent(t, acme.tenantId)];
      // Taking part assigns nobody.
      await desk.patch(c.id, { users: [{ id: participant.id }] }).expect(200);
      expect(Object.keys((await get(c.id)).body).sort()).toEqual(GET_KEYS);

      await t.db.query(`UPDATE conversations SET assignee_id = $2 WHERE id = $1`, [c.id, assignee.id]);
      const one = await get(c.id);
      expect(one.status).toBe(200);
      expect(Object.keys(one.body).sort()).toEqual(withAssignedTo(GET_KEYS));
      expect(one.body.assignedTo).toBe(String(assignee.id));
      const updated = await put(c.id, { locationId: acme.locationId, starred: true });
      expect(updated.body.conversation.assignedTo).toBe(String(assignee.id));
      expect((await desk.get(c.id)).body.conversation.assignee).toEqual({ id: assignee.id, type: 'users' });

      await t.db.query(`UPDATE conversations SET assignee_id = NULL WHERE id = $1`, [c.id]);
      expect(Object.keys((await get(c.id)).body).sort()).toEqual(GET_KEYS);
    });

    // The assignment itself is ConversationsService.update's (the workflow's `assignee`): these
    // check what HighLevel's door decides, the id's form and the answer; the assignment's rules and
    // rows are the Desk PATCH's tests'.
    it('should take assignedTo as an agent id, or null or "" to unassign', async () => {
      const c = await hlConversation();
      const agent = await createAgent(t, acme.tenantId);
      for (const assignedTo of [String(agent.id), null, '']) {
        const res = await put(c.id, { locationId: acme.locationId, assignedTo });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ success: true, conversation: { id: String(c.id) } });
      }
    });

    it("should answer 400 'Conversation not found' for unknown, malformed and other tenants' ids", async () => {
      const theirs = await hlConversation(globex);
      for (const id of ['987654321', 'abc', '0', '-1', '01', '1.5', '1e3', '9'.repeat(16), String(theirs.id)]) {
        const res = await get(id);
        expect({ id, status: res.status, body: res.body }).toEqual({ id, status: 400, body: NOT_FOUND });
        expect(res.headers['x-error-code']).toBe('HL_CONVERSATION_NOT_FOUND');
      }
      // …and the owner still reads it.
      expect((await get(theirs.id, globex.auth)).body.locationId).toBe(globex.locationId);
    });
  });

  describe('PUT /conversations/{id}', () => {
    it("should store unreadCount, starred and feedback, as the caller, and answer HighLevel's ConversationDto", async () => {
      const c = await hlConversation();
      const agent = await createAgent(t, acme.tenantId);
      const before = await row(c.id);
      const feedback = { rating: 4, comment: 'Quick and kind', tags: ['billing'], nested: { ok: true } };

      const res = await put(c.id, { locationId: acme.locationId, unreadCount: 3, starred: true, feedback }, agent.auth);

      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['conversation', 'success']);
      expect(res.body.success).toBe(true);
      expect(Object.keys(res.body.conversation).sort()).toEqual(DTO_KEYS);
      expect(res.body.conversation).toEqual({
        id: String(c.id),
        locationId: acme.locationId,
        contactId: String(c.contactId),
        lastMessageBody: null,
        lastMessageDate: null,
        lastMessageType: null,
        unreadCount: 3,
        inbox: true,
        starred: true,
        deleted: false,
      });

      const after = await row(c.id);
      expect(after).toMatchObject({ unread_count: 3, starred: true, feedback, updated_by: agent.id, created_by: acme.adminId, state: 'active' });
      expect((after.updated_at as Date).getTime()).toBeGreaterThan((before.updated_at as Date).getTime());
      expect(await get(c.id).then((r) => r.body)).toMatchObject({ unreadCount: 3, starred: true });
    });

    it('should change only what is given, and nothing (not even updatedAt) when nothing differs', async () => {
      const c = await hlConversation();
      await put(c.id, { locationId: acme.locationId, starred: true, feedback: { a: 1 } }).expect(200);
      const agent = await createAgent(t, acme.tenantId);
      const before = await row(c.id);

      const same = await put(c.id, { locationId: acme.locationId, starred: true, feedback: { a: 1 } }, agent.auth);
      expect(same.status).toBe(200);
      expect(await row(c.id)).toEqual(before);

      const unread = await put(c.id, { locationId: acme.locationId, unreadCount: 2 }, agent.auth);
      expect(unread.body.conversation).toMatchObject({ unreadCount: 2, starred: true });
      expect(await row(c.id)).toMatchObject({ unread_count: 2, starred: true, feedback: { a: 1 }, updated_by: agent.id });

      const unstar = await put(c.id, { locationId: acme.locationId, starred: false, unreadCount: 0 });
      expect(unstar.body.conversation).toMatchObject({ unreadCount: 0, starred: false });
      expect(await row(c.id)).toMatchObject({ unread_count: 0, starred: false, feedback: { a: 1 }, updated_by: acme.adminId });
    });

    it.each([
      ['no locationId', { locationId: undefined, unreadCount: 1 }, ['locationId should not be empty', 'locationId must be a string']],
      ['a negative unreadCount', { unreadCount: -1 }, ['unreadCount must not be less than 0']],
      ['a fractional unreadCount', { unreadCount: 1.5 }, ['unreadCount must be an integer number']],
      [
        'a string unreadCount',
        { unreadCount: '2' },
        ['unreadCount must not be greater than 2147483647', 'unreadCount must not be less than 0', 'unreadCount must be an integer number'],
      ],
      ['an unreadCount past an integer', { unreadCount: 2 ** 31 }, ['unreadCount must not be greater than 2147483647']],
      ['a non-boolean starred', { starred: 'true' }, ['starred must be a boolean value']],
      ['a string feedback', { feedback: 'great' }, ['feedback must be an object']],
      ['an array feedback', { feedback: [1, 2] }, ['feedback must be an object']],
      ['feedback over 16 KB', { feedback: { note: 'x'.repeat(16_384) } }, ['feedback must be at most 16384 bytes of JSON']],
      ['an unknown property', { assignee: '5' }, ['property assignee should not exist']],
      ['a numeric assignedTo', { assignedTo: 5 }, ['assignedTo must be a string']],
      ['an assignedTo that is no id', { assignedTo: 've9EPM428kjkvShlRW1KT' }, ['assignedTo ve9EPM428kjkvShlRW1KT is not an agent of this location']],
      ['an assignedTo with unreadCount', { assignedTo: '0', unreadCount: 4 }, ['assignedTo 0 is not an agent of this location']],
    ])('should answer 422 for %s and change nothing', async (_case, body, messages) => {
      const c = await hlConversation();
      const before = await row(c.id);
      const res = await put(c.id, { locationId: acme.locationId, ...body });
      expect(res.status).toBe(422);
      expect(res.body).toEqual(unprocessable(...messages));
      expect(await row(c.id)).toEqual(before);
    });

    it("should answer 403 for another tenant's locationId and change nothing", async () => {
      const c = await hlConversation();
      const before = await row(c.id);
      const res = await put(c.id, { locationId: globex.locationId, unreadCount: 5, starred: true });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(FORBIDDEN);
      expect(res.headers['x-error-code']).toBe('HL_LOCATION_FORBIDDEN');
      expect(await row(c.id)).toEqual(before);
    });

    it("should answer 400 for an unknown id and for another tenant's conversation, changing nothing", async () => {
      const theirs = await hlConversation(globex);
      const before = await row(theirs.id);
      for (const id of ['987654321', 'abc', String(theirs.id)]) {
        const res = await put(id, { locationId: acme.locationId, starred: true });
        expect(res.status).toBe(400);
        expect(res.body).toEqual(NOT_FOUND);
      }
      expect(await row(theirs.id)).toEqual(before);
    });

    // The service measures feedback as JSON.stringify writes it (at most 16384 bytes); the table's
    // CHECK (ck_conversations_feedback) measures jsonb's text, which writes ": " and ", " where
    // JSON.stringify writes ":" and ",". Feedback the service accepts must not then fail in SQL.
    it('should store a feedback object of many small keys, well under 16 KB of JSON', async () => {
      const c = await hlConversation();
      const feedback: Record<string, number> = {};
      for (let i = 0; i < 1500; i++) feedback[`k${i}`] = i % 10;
      expect(Buffer.byteLength(JSON.stringify(feedback))).toBeLessThan(14_000);

      const res = await put(c.id, { locationId: acme.locationId, feedback });

      expect(res.status).toBe(200);
      expect((await row(c.id)).feedback).toEqual(feedback);
    });

    it('should store a feedback object of exactly 16384 bytes of JSON, the most it takes', async () => {
      const c = await hlConversation();
      const feedback = { note: 'x'.repeat(16_384 - '{"note":""}'.length) };
      expect(Buffer.byteLength(JSON.stringify(feedback))).toBe(16_384);

      const res = await put(c.id, { locationId: acme.locationId, feedback });

      expect(res.status).toBe(200);
      expect((await row(c.id)).feedback).toEqual(feedback);
    });

    // JSON may escape a lone surrogate ("\ud800"); PostgreSQL's jsonb refuses it. Like the NUL
    // character, the body parser refuses it: the body as a whole is bad, a 400, not a 500.
    it.each([
      ['a value', '{"a":"\\ud800"}'],
      ['a key', '{"\\udc00":1}'],
    ])('should answer 400 for a lone surrogate in a feedback %s and change nothing', async (_case, feedback) => {
      const c = await hlConversation();
      const before = await row(c.id);

      const res = await t.http
        .put(`/conversations/${c.id}`)
        .set('Authorization', acme.auth)
        .set('Version', VERSION)
        .set('Content-Type', 'application/json')
        .send(`{"locationId":"${acme.locationId}","feedback":${feedback}}`);

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, message: 'the body must not contain unpaired UTF-16 surrogates' });
      expect(await row(c.id)).toEqual(before);
    });
  });

  describe('DELETE /conversations/{id}', () => {
    it('should soft-delete: out of the inbox, deleted in both dialects, and succeed again', async () => {
      const c = await hlConversation();
      const agent = await createAgent(t, acme.tenantId);
      const before = await row(c.id);

      const res = await remove(c.id, agent.auth);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true });
      const deleted = await row(c.id);
      // As in the Desk dialect, a delete is not an update: updatedAt/updatedBy stay.
      expect(deleted).toMatchObject({ state: 'deleted', inbox: false, deleted_by: agent.id, updated_by: acme.adminId, updated_at: before.updated_at });
      expect(deleted.deleted_at).toBeInstanceOf(Date);

      const again = await remove(c.id);
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ success: true });
      expect(await row(c.id)).toEqual(deleted);

      const shown = await get(c.id);
      expect(shown.status).toBe(200);
      expect(shown.body).toEqual({
        id: String(c.id),
        contactId: String(c.contactId),
        locationId: acme.locationId,
        deleted: true,
        inbox: false,
        type: 1,
        unreadCount: 0,
        starred: false,
      });

      const inDesk = await desk.get(c.id);
      expect(inDesk.status).toBe(200);
      expect(inDesk.body.conversation).toMatchObject({ id: c.id, contactId: c.contactId, state: 'deleted' });

      const search = await t.http
        .get('/conversations/search')
        .query({ locationId: acme.locationId, contactId: String(c.contactId) })
        .set('Authorization', acme.auth)
        .set('Version', VERSION);
      expect(search.status).toBe(200);
      expect(search.body).toEqual({ conversations: [], total: 0 });
    });

    it("should answer 400 for an unknown id and another tenant's conversation, deleting nothing", async () => {
      const theirs = await hlConversation(globex);
      for (const id of ['987654321', 'x', String(theirs.id)]) {
        const res = await remove(id);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(NOT_FOUND);
        expect(res.headers['x-error-code']).toBe('HL_CONVERSATION_NOT_FOUND');
      }
      expect(await row(theirs.id)).toMatchObject({ state: 'active', inbox: true, deleted_at: null });
    });
  });

  describe('across the Desk and HighLevel dialects', () => {
    it('should read, star and delete through HighLevel a conversation the Desk dialect created', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const created = await desk.create(contactId);
      expect(created.status).toBe(201);
      const id: number = created.body.conversation.id;

      const read = await get(id);
      expect(read.status).toBe(200);
      expect(read.body).toEqual({
        id: String(id),
        contactId: String(contactId),
        locationId: acme.locationId,
        deleted: false,
        inbox: true,
        type: 1,
        unreadCount: 0,
        starred: false,
      });

      const agent = await createAgent(t, acme.tenantId);
      const starred = await put(id, { locationId: acme.locationId, starred: true }, agent.auth);
      expect(starred.status).toBe(200);
      expect(starred.body.conversation).toMatchObject({ id: String(id), starred: true });
      const afterStar = await desk.get(id);
      expect(afterStar.body.conversation).toMatchObject({ id, contactId, state: 'active', updatedBy: { id: agent.id, type: 'users' } });
      expect(await row(id)).toMatchObject({ starred: true });

      await remove(id).expect(200);
      const afterDelete = await desk.get(id);
      expect(afterDelete.body.conversation).toMatchObject({ id, contactId, state: 'deleted', deletedBy: { id: acme.adminId, type: 'users' } });

      // The Desk dialect restores it: back in HighLevel's inbox.
      await desk.patch(id, { state: 'active' }).expect(200);
      expect((await get(id)).body).toMatchObject({ deleted: false, inbox: true, starred: true });
      expect(await row(id)).toMatchObject({ state: 'active', inbox: true, deleted_at: null });
    });

    it("should count the customer's Desk messages as unread until an agent replies or PUT reads them, then show the Desk delete", async () => {
      const c = await hlConversation();
      const inDesk = await desk.get(c.id);
      expect(inDesk.status).toBe(200);
      expect(inDesk.body.conversation).toMatchObject({ id: c.id, contactId: c.contactId, state: 'active' });

      const customerSays = (message: string) => desk.message({ conversationId: c.id, contactId: c.contactId, message }).expect(201);
      const unread = async () => (await get(c.id)).body.unreadCount;

      await customerSays('Hello?');
      expect(await unread()).toBe(1);
      await customerSays('Anyone there?');
      expect(await unread()).toBe(2);
      expect(await row(c.id)).toMatchObject({ unread_count: 2 });

      const reply = await desk.message({ conversationId: c.id, message: 'Here, how can I help?' }).expect(201);
      expect(await unread()).toBe(0);

      await customerSays('My order is late');
      expect(await unread()).toBe(1);
      const read = await put(c.id, { locationId: acme.locationId, unreadCount: 0 });
      expect(read.status).toBe(200);
      expect(read.body.conversation).toMatchObject({
        unreadCount: 0,
        lastMessageBody: 'My order is late',
        lastMessageType: 'TYPE_LIVE_CHAT',
      });
      expect(read.body.conversation.lastMessageDate).toMatch(ISO);
      expect(read.body.conversation.lastMessageDate).toBe((await desk.get(c.id)).body.conversation.lastMessageAt);
      expect(new Date(read.body.conversation.lastMessageDate).getTime()).toBeGreaterThan(new Date(reply.body.conversationmessage.createdAt).getTime());
      expect(await row(c.id)).toMatchObject({ unread_count: 0 });

      await desk.remove(c.id).expect(204);
      const gone = await get(c.id);
      expect(gone.status).toBe(200);
      expect(gone.body).toMatchObject({ id: String(c.id), deleted: true, inbox: false });
    });
  });

  describe('headers and errors', () => {
    it('should answer 400 without a Version header, naming the supported versions', async () => {
      const c = await hlConversation();
      for (const version of [undefined, '']) {
        const request = t.http.get(`/conversations/${c.id}`).set('Authorization', acme.auth);
        const res = await (version === undefined ? request : request.set('Version', version));
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ statusCode: 400, message: 'Version header is required: one of 2021-07-28, 2021-04-15, 2023-02-21' });
        expect(res.headers['x-error-code']).toBe('HL_VERSION_MISSING');
      }
    });

    it('should answer 400 for a Version it does not speak, and write nothing', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const before = await conversationCount(acme.tenantId);
      for (const version of ['2020-01-01', 'v3', '2021-7-28', 'latest']) {
        const res = await t.http
          .post('/conversations/')
          .set('Authorization', acme.auth)
          .set('Version', version)
          .send({ locationId: acme.locationId, contactId: String(contactId) });
        expect(res.status).toBe(400);
        expect(Object.keys(res.body).sort()).toEqual(['message', 'statusCode']);
        expect(res.body.statusCode).toBe(400);
        for (const supported of VERSIONS) expect(res.body.message).toContain(supported);
        expect(res.headers['x-error-code']).toBe('HL_VERSION_UNSUPPORTED');
      }
      expect(await conversationCount(acme.tenantId)).toBe(before);
    });

    it.each(VERSIONS)('should accept Version %s', async (version) => {
      const c = await hlConversation();
      const res = await t.http.get(`/conversations/${c.id}`).set('Authorization', acme.auth).set('Version', version);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(String(c.id));
    });

    it('should answer 401 in the same words for any bad credential, before looking at Version', async () => {
      const c = await hlConversation();
      const apiKeys = t.app.get(ApiKeysService);
      const revoked = await apiKeys.issue(acme.tenantId, acme.adminId, 'soon revoked', null);
      await apiKeys.revoke(acme.tenantId, revoked.apiKey.id, null);
      const last = acme.key.at(-1);
      const forged = `${acme.key.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
      const deletedAgent = await createAgent(t, acme.tenantId, { state: 'deleted' });

      for (const auth of [
        undefined,
        '',
        'Bearer',
        'Bearer not-a-key',
        `Bearer ${forged}`,
        `Bearer ${revoked.plaintext}`,
        deletedAgent.auth,
        'Token abc',
        `Basic ${Buffer.from('nope:x').toString('base64')}`,
      ]) {
        const request = t.http.get(`/conversations/${c.id}`);
        const res = await (auth === undefined ? request : request.set('Authorization', auth));
        expect({ auth, status: res.status, body: res.body }).toEqual({ auth, status: 401, body: INVALID_TOKEN });
        expect(res.headers['x-ratelimit-remaining']).toBeUndefined();
      }
      // Without a Version as well: the token is checked first.
      const both = await t.http.get(`/conversations/${c.id}`).set('Authorization', 'Bearer wrong');
      expect(both.status).toBe(401);
      expect(both.body).toEqual(INVALID_TOKEN);
      // The tenant's own key is fine as Basic too.
      expect((await get(c.id, `Basic ${Buffer.from(`${acme.key}:x`).toString('base64')}`)).status).toBe(200);
    });

    it('should answer a malformed JSON body with a 400 in the HighLevel dialect and write nothing', async () => {
      const c = await hlConversation();
      const before = await conversationCount(acme.tenantId);
      const beforeRow = await row(c.id);
      for (const [method, path] of [
        ['post', '/conversations/'],
        ['put', `/conversations/${c.id}`],
      ] as const) {
        const res = await t.http[method](path)
          .set('Authorization', acme.auth)
          .set('Version', VERSION)
          .set('Content-Type', 'application/json')
          .send('{"locationId":');
        // NestJS's own answer to a body it cannot parse is a 400, not a validation 422.
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ statusCode: 400, message: 'the body must be valid JSON' });
      }
      expect(await conversationCount(acme.tenantId)).toBe(before);
      expect(await row(c.id)).toEqual(beforeRow);
    });

    it('should answer 422 for a body that is not an object', async () => {
      for (const raw of ['[]', '"text"', '42', 'null']) {
        const res = await t.http.post('/conversations/').set('Authorization', acme.auth).set('Version', VERSION).set('Content-Type', 'application/json').send(raw);
        expect(res.status).toBe(422);
        expect(res.body).toMatchObject({ statusCode: 422, error: 'Unprocessable Entity' });
        expect(Array.isArray(res.body.message)).toBe(true);
      }
    });

    it('should answer an unknown route under /conversations in the HighLevel dialect', async () => {
      const res = await t.http.patch('/conversations/1').set('Authorization', acme.auth).set('Version', VERSION).send({});
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, message: 'Cannot PATCH /conversations/1', error: 'Not Found' });
    });

    it('should send the rate limit headers on every answer, errors too', async () => {
      const c = await hlConversation();
      for (const res of [await get(c.id), await get('987654321'), await t.http.get(`/conversations/${c.id}`).set('Authorization', acme.auth)]) {
        expect(res.headers['x-ratelimit-max']).toBe(String(MAIN_MAX));
        expect(res.headers['x-ratelimit-interval-milliseconds']).toBe('10000');
        expect(res.headers['x-ratelimit-limit-daily']).toBe('200000');
        expect(res.headers['x-ratelimit-remaining']).toMatch(/^\d+$/);
        expect(res.headers['x-ratelimit-daily-remaining']).toMatch(/^\d+$/);
      }
    });
  });

  describe('rate limits', () => {
    const INTERVAL = 3_600_000;
    let limited: TestApp;

    beforeAll(async () => {
      // The limiter counts in each process's memory (across processes only once it counts in Redis),
      // so these counts are one process's: in-process also under E2E_PROCESSES.
      limited = await createTestApp(
        { HL_RATE_LIMIT_MAX: '5', HL_RATE_LIMIT_INTERVAL_MS: String(INTERVAL), HL_RATE_LIMIT_DAILY: '8' },
        { inProcessHttp: true },
      );
    });
    afterAll(() => limited.close());

    // The windows are fixed (the burst one aligned to multiples of the interval, the daily one to
    // UTC midnight): a sequence that must stay inside one waits out the last few seconds of one.
    const insideOneWindow = async () => {
      const left = INTERVAL - (Date.now() % INTERVAL);
      if (left < 5_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
    };

    async function tenantWithConversation(): Promise<{ tenant: TestTenant; id: number }> {
      const tenant = await createTenant(limited);
      const { contactId } = await createContact(limited.db, tenant.tenantId);
      const res = await limited.http.post(`${BASE}/conversations.json`).set('Authorization', tenant.auth).send({ contactId });
      expect(res.status).toBe(201);
      return { tenant, id: res.body.conversation.id };
    }
    const hlGet = (id: number, auth: string) => limited.http.get(`/conversations/${id}`).set('Authorization', auth).set('Version', VERSION);

    it("should count a tenant's requests down, refuse the sixth with 429 and Retry-After, and leave other tenants alone", async () => {
      const a = await tenantWithConversation();
      const b = await tenantWithConversation();
      await insideOneWindow();

      for (let n = 1; n <= 5; n++) {
        const res = await hlGet(a.id, a.tenant.auth);
        expect(res.status).toBe(200);
        expect(res.headers['x-ratelimit-max']).toBe('5');
        expect(res.headers['x-ratelimit-interval-milliseconds']).toBe(String(INTERVAL));
        expect(res.headers['x-ratelimit-limit-daily']).toBe('8');
        expect(res.headers['x-ratelimit-remaining']).toBe(String(5 - n));
        expect(res.headers['x-ratelimit-daily-remaining']).toBe(String(8 - n));
      }

      const refused = await hlGet(a.id, a.tenant.auth);
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ statusCode: 429, message: expect.any(String), error: 'Too Many Requests' });
      expect(refused.body.message.length).toBeGreaterThan(0);
      expect(refused.headers['x-error-code']).toBe('HL_RATE_LIMITED');
      expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(INTERVAL / 1000);
      expect(refused.headers['x-ratelimit-remaining']).toBe('0');
      expect(refused.headers['x-ratelimit-daily-remaining']).toBe('3');

      // Refused requests do not count against the day; a refused create writes nothing.
      const { contactId } = await createContact(limited.db, a.tenant.tenantId);
      const refusedCreate = await limited.http
        .post('/conversations/')
        .set('Authorization', a.tenant.auth)
        .set('Version', VERSION)
        .send({ locationId: a.tenant.locationId, contactId: String(contactId) });
      expect(refusedCreate.status).toBe(429);
      expect(refusedCreate.headers['x-ratelimit-daily-remaining']).toBe('3');
      expect(await limited.db.query(`SELECT id FROM conversations WHERE contact_id = $1`, [contactId])).toEqual([]);
      // The limit comes before the Version check.
      expect((await limited.http.get(`/conversations/${a.id}`).set('Authorization', a.tenant.auth)).status).toBe(429);

      const other = await hlGet(b.id, b.tenant.auth);
      expect(other.status).toBe(200);
      expect(other.headers['x-ratelimit-remaining']).toBe('4');
      expect(other.headers['x-ratelimit-daily-remaining']).toBe('7');

      // The Desk dialect is not limited.
      expect((await limited.http.get(`${BASE}/conversations/${a.id}.json`).set('Authorization', a.tenant.auth)).status).toBe(200);
    });

    it('should count answered errors, and not requests refused for their token', async () => {
      const c = await tenantWithConversation();
      const apiKeys = limited.app.get(ApiKeysService);
      const revoked = await apiKeys.issue(c.tenant.tenantId, c.tenant.adminId, 'revoked', null);
      await apiKeys.revoke(c.tenant.tenantId, revoked.apiKey.id, null);
      await insideOneWindow();

      expect((await hlGet(c.id, c.tenant.auth)).headers['x-ratelimit-remaining']).toBe('4');
      for (const auth of ['Bearer wrong', `Bearer ${revoked.plaintext}`, `Bearer ${c.tenant.key.slice(0, -1)}`]) {
        const res = await hlGet(c.id, auth);
        expect(res.status).toBe(401);
        expect(res.body).toEqual(INVALID_TOKEN);
        expect(res.headers['x-ratelimit-remaining']).toBeUndefined();
      }
      const noVersion = await limited.http.get(`/conversations/${c.id}`).set('Authorization', c.tenant.auth);
      expect(noVersion.status).toBe(400);
      expect(noVersion.headers['x-ratelimit-remaining']).toBe('3');
      const next = await hlGet(c.id, c.tenant.auth);
      expect(next.status).toBe(200);
      expect(next.headers['x-ratelimit-remaining']).toBe('2');
      expect(next.headers['x-ratelimit-daily-remaining']).toBe('5');
    });
  });

  describe('OpenAPI', () => {
    it('should list every HighLevel route under its tag, each with a required Version header', async () => {
      const res = await t.http.get('/docs-json');
      expect(res.status).toBe(200);
      const paths = res.body.paths as Record<string, Record<string, { tags?: string[]; parameters?: { name: string; in: string; required?: boolean }[] }>>;

      const expected: Record<string, string[]> = {
        // Nest writes the create route without HighLevel's trailing slash; both are served.
        '/conversations': ['post'],
        '/conversations/search': ['get'],
        '/conversations/{conversationId}': ['delete', 'get', 'put'],
        '/conversations/{conversationId}/messages': ['get'],
        '/conversations/messages/{id}': ['get'],
        '/conversations/messages': ['post'],
      };
      const highLevelPaths = Object.keys(paths).filter((path) => path === '/conversations' || path.startsWith('/conversations/'));
      expect(highLevelPaths.sort()).toEqual(Object.keys(expected).sort());

      for (const [path, methods] of Object.entries(expected)) {
        expect({ path, methods: Object.keys(paths[path]).sort() }).toEqual({ path, methods });
        for (const method of methods) {
          const operation = paths[path][method];
          expect({ path, method, tags: operation.tags }).toEqual({ path, method, tags: ['HighLevel Conversations'] });
          const version = operation.parameters?.find((p) => p.name === 'Version');
          expect({ path, method, version }).toMatchObject({ path, method, version: { in: 'header', required: true } });
        }
      }
      // The Desk dialect's routes are not under the tag.
      expect(paths[`${BASE}/conversations.json`].post.tags).not.toContain('HighLevel Conversations');
    });
  });
});
