import { IdempotencyKeysPurge } from '@app/common';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { conversationRow, createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { BASE, ISO } from './support/desk';
import { createTestApp, TestApp } from './support/test-app';
import { requestStatements } from './support/background-sql';
import { listPlanOf } from './support/list-plan';

// Every field of Teamwork Desk API v2's ConversationMessage a response shows, plus
// conversationId and clientMessageId (deletedAt/deletedBy only when deleted).
const DOCUMENTED_MESSAGE_FIELDS = [
  'clientMessageId',
  'contactId',
  'conversationId',
  'createdAt',
  'createdBy',
  'files',
  'id',
  'message',
  'state',
  'updatedAt',
  'updatedBy',
  'userId',
  // A private note's (docs/api.md, "Private notes and mentions").
  'private',
  'mentions',
].sort();

describe('Conversation messages (Desk v2)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;

  beforeAll(async () => {
    t = await createTestApp();
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
  });
  afterAll(() => t.close());

  const post = (body: unknown, auth = acme.auth) =>
    t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', auth).send(body as object);
  const get = (path: string, auth = acme.auth, http = t.http) => http.get(`${BASE}/${path}`).set('Authorization', auth);

  // A conversation of the tenant with a customer contact; returns its ids.
  async function conversation(tenant = acme): Promise<{ id: number; contactId: number; customerId: number }> {
    const { contactId, customerId } = await createContact(t.db, tenant.tenantId);
    const res = await t.http.post(`${BASE}/conversations.json`).set('Authorization', tenant.auth).send({ contactId });
    expect(res.status).toBe(201);
    return { id: res.body.conversation.id, contactId, customerId };
  }

  // An agent's upload, or (uploadedFor) a customer's through that conversation's token.
  async function fileOf(tenant: TestTenant, uploadedFor?: { id: number; contactId: number }): Promise<number> {
    const [{ id }] = await t.db.query(
      `INSERT INTO files (tenant_id, filename, mime_type, size, sha256, storage_key, conversation_id, contact_id)
       VALUES ($1, 'a.txt', 'text/plain', 1, repeat('a', 64), 'test/a', $2, $3) RETURNING id`,
      [tenant.tenantId, uploadedFor?.id ?? null, uploadedFor?.contactId ?? null],
    );
    return id;
  }

  const messageRows = (conversationId: number) =>
    t.db.query(`SELECT * FROM conversation_messages WHERE conversation_id = $1 ORDER BY id`, [conversationId]);

  describe('POST /conversationmessages.json', () => {
    it('should store an agent message with every documented field and move the conversation', async () => {
      const c = await conversation();
      const before = await conversationRow(t.db, c.id);
      const fileId = await fileOf(acme);

      const res = await post({ conversationmessage: { conversationId: c.id, message: 'Hello there', files: [fileId] } });

      expect(res.status).toBe(201);
      expect(Object.keys(res.body)).toEqual(['conversationmessage']);
      const m = res.body.conversationmessage;
      expect(Object.keys(m).sort()).toEqual(DOCUMENTED_MESSAGE_FIELDS);
      expect(m).toMatchObject({
        conversationId: c.id,
        userId: acme.adminId,
        contactId: null,
        message: 'Hello there',
        files: [{ id: fileId, type: 'files' }],
        clientMessageId: null,
        state: 'active',
        createdBy: { id: acme.adminId, type: 'users' },
        updatedBy: { id: acme.adminId, type: 'users' },
      });
      expect(m.createdAt).toMatch(ISO);

      const [row] = await messageRows(c.id);
      expect(row).toMatchObject({ id: m.id, tenant_id: acme.tenantId, user_id: acme.adminId, contact_id: null, message: 'Hello there', file_ids: [fileId] });
      const after = await conversationRow(t.db, c.id);
      expect(after!.last_message_at).toEqual(row.created_at);
      expect((after!.updated_at as Date).getTime()).toBeGreaterThan((before!.updated_at as Date).getTime());
      expect(before!.last_message_at).toBeNull();

      const shown = await get(`conversations/${c.id}.json`);
      expect(shown.body.conversation.lastMessageAt).toBe(m.createdAt);
      expect(shown.body.conversation.messages).toEqual([{ id: m.id, type: 'conversationmessages' }]);
    });

    it('should take the customer side as author with contactId, and a conversation ref', async () => {
      const c = await conversation();
      const res = await post({ conversation: { id: c.id, type: 'conversations' }, contactId: c.contactId, message: 'Hi, I need help' });
      expect(res.status).toBe(201);
      expect(res.body.conversationmessage).toMatchObject({ conversationId: c.id, contactId: c.contactId, userId: null });
    });

    it('should take another agent of the tenant as author', async () => {
      const c = await conversation();
      const agent = await createAgent(t, acme.tenantId);
      const res = await post({ conversationId: c.id, userId: agent.id, message: 'On it' });
      expect(res.status).toBe(201);
      expect(res.body.conversationmessage).toMatchObject({ userId: agent.id, createdBy: { id: acme.adminId, type: 'users' } });
    });

    it('should answer 400 without a conversation', async () => {
      const res = await post({ message: 'x' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { conversationId: ['must be set'] } });
    });

    it.each([
      ['no text and no files', { message: '  ' }, { message: ['must be set'] }],
      ['two authors', { message: 'x', userId: 1, contactId: 1 }, { contactId: ['must not be set with userId: a message has one author'] }],
      ['a string id', { conversationId: '5', message: 'x' }, { conversationId: ['must be a whole number'] }],
      ['a file id that is not a number', { message: 'x', files: ['3'] }, { files: ['must be a whole number'] }],
      ['an unknown field', { message: 'x', subject: 'y' }, { subject: ['is not a known field'] }],
      ['files that are not a list', { message: 'x', files: 3 }, { files: ['must be an array'] }],
      ['a client id too long', { message: 'x', clientMessageId: 'k'.repeat(129) }, { clientMessageId: ['must be 1 to 128 characters'] }],
      ['a message too long', { message: 'x'.repeat(65537) }, { message: ['must be shorter than 65537 characters'] }],
    ])('should answer 400 for %s and store nothing', async (_case, body, errors) => {
      const c = await conversation();
      const res = await post({ conversationId: c.id, ...body });
      expect(res.status).toBe(400);
      expect(res.body.errors).toMatchObject(errors);
      expect(await messageRows(c.id)).toEqual([]);
    });

    it('should answer 400 for a deleted conversation, an unknown one, and one of another tenant', async () => {
      const c = await conversation();
      await t.http.delete(`${BASE}/conversations/${c.id}.json`).set('Authorization', acme.auth).expect(204);
      const deleted = await post({ conversationId: c.id, message: 'anyone?' });
      expect(deleted.status).toBe(400);
      expect(deleted.body).toEqual({ errors: { conversationId: ['must be an active conversation'] } });

      const theirs = await conversation(globex);
      const foreign = await post({ conversationId: theirs.id, message: 'peek' });
      expect(foreign.status).toBe(400);
      expect(foreign.body).toEqual({ errors: { conversationId: ['does not exist'] } });
      expect(await messageRows(theirs.id)).toEqual([]);
      expect(await messageRows(c.id)).toEqual([]);
    });

    it("should refuse another tenant's file, agent or contact, and a contact of another customer", async () => {
      const c = await conversation();
      const other = await conversation();
      const theirFile = await fileOf(globex);
      const theirAgent = await createAgent(t, globex.tenantId);
      const theirContact = await createContact(t.db, globex.tenantId);

      const res = await post({ conversationId: c.id, message: 'x', files: [theirFile] });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { 'files[0]': ['does not exist'] } });
      expect((await post({ conversationId: c.id, message: 'x', userId: theirAgent.id })).body).toEqual({ errors: { userId: ['does not exist'] } });
      expect((await post({ conversationId: c.id, message: 'x', contactId: theirContact.contactId })).body).toEqual({
        errors: { contactId: ['does not exist'] },
      });
      expect((await post({ conversationId: c.id, message: 'x', contactId: other.contactId })).body).toEqual({
        errors: { contactId: ["must be a contact of the conversation's customer"] },
      });
      expect(await messageRows(c.id)).toEqual([]);
    });

    it('should store a clientMessageId once: 201 the first time, 200 with the first message after', async () => {
      const c = await conversation();
      const first = await post({ conversationId: c.id, contactId: c.contactId, message: 'typed once', clientMessageId: 'widget-1' });
      expect(first.status).toBe(201);
      const conversationAfterFirst = await conversationRow(t.db, c.id);

      const again = await post({ conversationId: c.id, contactId: c.contactId, message: 'typed once', clientMessageId: 'widget-1' });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(await messageRows(c.id)).toHaveLength(1);
      // A repeat is not a new message: the conversation does not move.
      expect(await conversationRow(t.db, c.id)).toEqual(conversationAfterFirst);

      // The key is per conversation.
      const elsewhere = await conversation();
      const there = await post({ conversationId: elsewhere.id, message: 'typed once', clientMessageId: 'widget-1' });
      expect(there.status).toBe(201);
    });

    it('should create one row for 20 concurrent posts of one clientMessageId', async () => {
      const c = await conversation();
      const body = { conversationId: c.id, contactId: c.contactId, message: 'hello?', clientMessageId: 'retry-storm' };
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(body)));
      expect(answers.map((r) => r.status).sort()).toEqual([...Array(19).fill(200), 201]);
      const ids = new Set(answers.map((r) => r.body.conversationmessage.id));
      expect(ids.size).toBe(1);
      const rows = await messageRows(c.id);
      expect(rows).toHaveLength(1);
      expect(rows[0].id).toBe([...ids][0]);
    });

    describe('clientMessageId per side of the conversation', () => {
      const REUSED = {
        errors: {
          clientMessageId: ['names another message of this conversation'],
          _: ['this clientMessageId was used for another message in this conversation; use a new id for a new message'],
        },
      };

      it("should store an agent's message whose clientMessageId the customer used first, and keep both", async () => {
        const c = await conversation();
        const customer = await post({ conversationId: c.id, contactId: c.contactId, message: 'squatting', clientMessageId: 'agent-c-77' });
        expect(customer.status).toBe(201);
        const agent = await post({ conversationId: c.id, message: 'the real answer', clientMessageId: 'agent-c-77' });
        expect(agent.status).toBe(201);
        expect(agent.body.conversationmessage).toMatchObject({ userId: acme.adminId, contactId: null, message: 'the real answer', clientMessageId: 'agent-c-77' });
        const rows = await messageRows(c.id);
        expect(rows.map((r: Record<string, unknown>) => [r.direction, r.message, r.client_message_id])).toEqual([
          ['inbound', 'squatting', 'agent-c-77'],
          ['outbound', 'the real answer', 'agent-c-77'],
        ]);
        // Each side's repeat finds its own message.
        const agentAgain = await post({ conversationId: c.id, message: 'the real answer', clientMessageId: 'agent-c-77' });
        expect(agentAgain.status).toBe(200);
        expect(agentAgain.body).toEqual(agent.body);
        const customerAgain = await post({ conversationId: c.id, contactId: c.contactId, message: 'squatting', clientMessageId: 'agent-c-77' });
        expect(customerAgain.status).toBe(200);
        expect(customerAgain.body).toEqual(customer.body);
        expect(await messageRows(c.id)).toHaveLength(2);
      });

      it.each([
        ['another text', () => ({ message: 'changed words' })],
        ['other files', async () => ({ files: [await fileOf(acme)] })],
        ['another agent', async () => ({ userId: (await createAgent(t, acme.tenantId)).id })],
      ])('should answer 409 CLIENT_MESSAGE_ID_REUSED and write nothing when the id comes again with %s', async (_case, change) => {
        const c = await conversation();
        const body = { conversationId: c.id, message: 'first words', clientMessageId: 'reused' };
        expect((await post(body)).status).toBe(201);
        const rowsBefore = await messageRows(c.id);
        const conversationBefore = await conversationRow(t.db, c.id);

        const res = await post({ ...body, ...(await change()) });
        expect(res.status).toBe(409);
        expect(res.headers['x-error-code']).toBe('CLIENT_MESSAGE_ID_REUSED');
        expect(res.body).toEqual(REUSED);
        expect(await messageRows(c.id)).toEqual(rowsBefore);
        expect(await conversationRow(t.db, c.id)).toEqual(conversationBefore);
        // The same body again is still the first message.
        const same = await post(body);
        expect(same.status).toBe(200);
        expect(same.body.conversationmessage.id).toBe(rowsBefore[0].id);
      });

      it('should answer a repeat with the same files 200 with the first message', async () => {
        const c = await conversation();
        const files = [await fileOf(acme), await fileOf(acme)];
        // An agent's message: agents' uploads may be attached to it (a customer's only their own).
        const body = { conversationId: c.id, message: 'see attached', files, clientMessageId: 'with-files' };
        const first = await post(body);
        expect(first.status).toBe(201);
        const again = await post(body);
        expect(again.status).toBe(200);
        expect(again.body).toEqual(first.body);
        expect(await messageRows(c.id)).toHaveLength(1);
      });

      it("should answer 409 when another contact of the customer reuses a contact's id", async () => {
        const c = await conversation();
        const [{ id: second }] = await t.db.query(
          `INSERT INTO customer_contacts (tenant_id, customer_id, type, value) VALUES ($1, $2, 'email', $3) RETURNING id`,
          [acme.tenantId, c.customerId, `second-${Date.now()}@example.test`],
        );
        const body = { conversationId: c.id, contactId: c.contactId, message: 'hi', clientMessageId: 'w-9' };
        expect((await post(body)).status).toBe(201);
        const res = await post({ ...body, contactId: second });
        expect(res.status).toBe(409);
        expect(res.headers['x-error-code']).toBe('CLIENT_MESSAGE_ID_REUSED');
        expect(await messageRows(c.id)).toHaveLength(1);
      });
    });
  });

  describe('Idempotency-Key', () => {
    it('should replay the first answer for the same key and body, once in the database', async () => {
      const c = await conversation();
      const body = { conversationId: c.id, message: 'charge once' };
      const first = await post(body).set('Idempotency-Key', 'key-1');
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();

      // The same body, re-serialised with its keys in another order, is the same request.
      const replay = await post({ message: 'charge once', conversationId: c.id }).set('Idempotency-Key', 'key-1');
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);
      expect(await messageRows(c.id)).toHaveLength(1);
      const [key] = await t.db.query(`SELECT tenant_id, response_status FROM idempotency_keys WHERE key = 'key-1'`);
      expect(key).toEqual({ tenant_id: acme.tenantId, response_status: 201 });
    });

    it('should answer 409 for the same key with another body and execute nothing', async () => {
      const c = await conversation();
      await post({ conversationId: c.id, message: 'first' }).set('Idempotency-Key', 'key-2').expect(201);
      const other = await post({ conversationId: c.id, message: 'second' }).set('Idempotency-Key', 'key-2');
      expect(other.status).toBe(409);
      expect(other.headers['x-error-code']).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(other.body).toEqual({ errors: { _: ['this Idempotency-Key was used with another request; use a new key for a new request'] } });
      expect((await messageRows(c.id)).map((m: { message: string }) => m.message)).toEqual(['first']);
    });

    it('should execute 20 concurrent requests with one key once', async () => {
      const c = await conversation();
      const body = { conversationId: c.id, message: 'exactly once' };
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(body).set('Idempotency-Key', 'storm-key')));
      expect(answers.map((r) => r.status)).toEqual(Array(20).fill(201));
      expect(new Set(answers.map((r) => r.body.conversationmessage.id)).size).toBe(1);
      expect(answers.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
      expect(await messageRows(c.id)).toHaveLength(1);
    });

    it('should keep keys per tenant, and leave no key behind when the request fails', async () => {
      const mine = await conversation();
      const theirs = await conversation(globex);
      await post({ conversationId: mine.id, message: 'a' }).set('Idempotency-Key', 'shared').expect(201);
      const res = await post({ conversationId: theirs.id, message: 'a' }, globex.auth).set('Idempotency-Key', 'shared');
      expect(res.status).toBe(201);
      expect(res.headers['idempotent-replayed']).toBeUndefined();

      const failed = await post({ conversationId: mine.id, message: '' }).set('Idempotency-Key', 'fails');
      expect(failed.status).toBe(400);
      expect(await t.db.query(`SELECT 1 FROM idempotency_keys WHERE key = 'fails'`)).toEqual([]);
      await post({ conversationId: mine.id, message: 'fixed' }).set('Idempotency-Key', 'fails').expect(201);
    });

    it('should refuse with 409 a repeat whose first request still holds the key after the wait, and run it once it is free', async () => {
      const quick = await createTestApp({ IDEMPOTENCY_WAIT_MS: '300' });
      const holder = quick.db.createQueryRunner();
      try {
        const tenant = await createTenant(quick);
        const { contactId } = await createContact(quick.db, tenant.tenantId);
        const c = (await quick.http.post(`${BASE}/conversations.json`).set('Authorization', tenant.auth).send({ contactId })).body.conversation;
        // Another process's request, still running, has claimed the key.
        await holder.startTransaction();
        await holder.query(
          `INSERT INTO idempotency_keys (tenant_id, api_key_id, key, fingerprint) SELECT tenant_id, id, 'busy', 'x' FROM api_keys WHERE tenant_id = $1`,
          [tenant.tenantId],
        );
        const send = () =>
          quick.http.post(`${BASE}/conversationmessages.json`).set('Authorization', tenant.auth).set('Idempotency-Key', 'busy').send({ conversationId: c.id, message: 'wait' });
        const started = Date.now();
        const refused = await send();
        expect(refused.status).toBe(409);
        expect(refused.headers['x-error-code']).toBe('IDEMPOTENCY_KEY_IN_USE');
        expect(Date.now() - started).toBeGreaterThanOrEqual(250);
        expect(await quick.db.query(`SELECT 1 FROM conversation_messages WHERE conversation_id = $1`, [c.id])).toEqual([]);
        // The first request failed: its claim is gone, and the key runs.
        await holder.rollbackTransaction();
        expect((await send()).status).toBe(201);
      } finally {
        if (holder.isTransactionActive) await holder.rollbackTransaction();
        await holder.release();
        await quick.close();
      }
    });

    it('should purge keys older than 24 hours', async () => {
      const c = await conversation();
      await post({ conversationId: c.id, message: 'kept' }).set('Idempotency-Key', 'recent').expect(201);
      await post({ conversationId: c.id, message: 'old' }).set('Idempotency-Key', 'ancient').expect(201);
      await t.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 minute' WHERE key = 'ancient'`);
      expect(await t.app.get(IdempotencyKeysPurge).purgeExpired()).toBeGreaterThanOrEqual(1);
      const keys = (await t.db.query(`SELECT key FROM idempotency_keys WHERE key IN ('recent', 'ancient')`)).map((r: { key: string }) => r.key);
      expect(keys).toEqual(['recent']);
    });

    it('should answer 400 for a key that is too long, and replay expired keys no more', async () => {
      const c = await conversation();
      for (const key of ['k'.repeat(256), 'has space', 'clé']) {
        const bad = await post({ conversationId: c.id, message: 'x' }).set('Idempotency-Key', key);
        expect({ key, status: bad.status, body: bad.body }).toEqual({
          key,
          status: 400,
          body: { errors: { 'Idempotency-Key': ['must be 1 to 255 visible ASCII characters, given once'] } },
        });
      }
      expect(await messageRows(c.id)).toEqual([]);
      expect(await t.db.query(`SELECT 1 FROM idempotency_keys WHERE tenant_id = $1 AND key = 'has space'`, [acme.tenantId])).toEqual([]);

      await post({ conversationId: c.id, message: 'old' }).set('Idempotency-Key', 'aged').expect(201);
      await t.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'aged'`);
      const fresh = await post({ conversationId: c.id, message: 'new' }).set('Idempotency-Key', 'aged');
      expect(fresh.status).toBe(201);
      expect(fresh.headers['idempotent-replayed']).toBeUndefined();
      expect(await messageRows(c.id)).toHaveLength(2);
    });
  });

  describe('reading, editing and deleting', () => {
    it('should get one message, edit its text and files, keep authors read-only, and soft delete it', async () => {
      const c = await conversation();
      const fileId = await fileOf(acme);
      const created = (await post({ conversationId: c.id, message: 'tpyo' })).body.conversationmessage;

      const one = await get(`conversationmessages/${created.id}.json`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual({ conversationmessage: created });

      const edited = await t.http
        .patch(`${BASE}/conversationmessages/${created.id}.json`)
        .set('Authorization', acme.auth)
        .send({ conversationmessage: { message: 'typo', files: [{ id: fileId, type: 'files' }], userId: acme.adminId } });
      expect(edited.status).toBe(200);
      expect(edited.body.conversationmessage).toMatchObject({ message: 'typo', files: [{ id: fileId, type: 'files' }], userId: acme.adminId });
      expect(edited.body.conversationmessage.updatedAt > created.updatedAt).toBe(true);

      const readOnly = await t.http
        .patch(`${BASE}/conversationmessages/${created.id}.json`)
        .set('Authorization', acme.auth)
        .send({ contactId: c.contactId, conversationId: c.id + 1000 });
      expect(readOnly.status).toBe(400);
      expect(readOnly.body).toEqual({ errors: { contactId: ['is read-only'], conversationId: ['is read-only'] } });

      await t.http.delete(`${BASE}/conversationmessages/${created.id}.json`).set('Authorization', acme.auth).expect(204);
      const [row] = await messageRows(c.id);
      expect(row).toMatchObject({ state: 'deleted', deleted_by: acme.adminId, message: 'typo' });
      expect(row.updated_at).toEqual(new Date(edited.body.conversationmessage.updatedAt));
      const deleted = await get(`conversationmessages/${created.id}.json`);
      expect(deleted.body.conversationmessage).toMatchObject({ state: 'deleted', deletedBy: { id: acme.adminId, type: 'users' } });
      expect(deleted.body.conversationmessage.deletedAt).toMatch(ISO);
      // Deleted messages leave the conversation's refs and the default lists.
      expect((await get(`conversations/${c.id}.json`)).body.conversation.messages).toEqual([]);
      expect((await get(`conversations/${c.id}/messages.json`)).body.conversationmessages).toEqual([]);
    });

    it.each([
      ['an empty text and no files', { message: ' ', files: [] }, { message: ['must be set'] }],
      ['a text too long', { message: 'x'.repeat(65537) }, { message: ['must be shorter than 65537 characters'] }],
      ['files that are not ids', { files: ['a'] }, { files: ['must be a whole number'] }],
      ['a state outside its values', { state: 'archived' }, { state: ['must be one of ‘active, deleted’'] }],
      ['an unknown field', { subject: 'x' }, { subject: ['is not a known field'] }],
      ['another author', { userId: 987654 }, { userId: ['is read-only'] }],
      ['another conversation by ref', { conversation: { id: 987654 } }, { conversation: ['is read-only'] }],
      ['another client id', { clientMessageId: 'other' }, { clientMessageId: ['is read-only'] }],
    ])('should answer 400 to an edit with %s and change nothing', async (_case, body, errors) => {
      const c = await conversation();
      const created = (await post({ conversationId: c.id, message: 'as sent' })).body.conversationmessage;
      const [before] = await messageRows(c.id);
      const res = await t.http.patch(`${BASE}/conversationmessages/${created.id}.json`).set('Authorization', acme.auth).send(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
      expect(await messageRows(c.id)).toEqual([before]);
    });

    // Found by the hostile-input suite: a null text or files was written as is (a 500 from NOT NULL).
    it('should read a null text or null files in an edit as no value, as a post does: they stay as they are', async () => {
      const c = await conversation();
      const fileId = await fileOf(acme);
      const created = (await post({ conversationId: c.id, message: 'as sent', files: [fileId] })).body.conversationmessage;
      const [before] = await messageRows(c.id);
      const edit = (body: object) => t.http.patch(`${BASE}/conversationmessages/${created.id}.json`).set('Authorization', acme.auth).send(body);
      for (const body of [{ message: null }, { files: null }, { conversationmessage: { message: null, files: null } }]) {
        const res = await edit(body);
        expect(res.status).toBe(200);
        expect(res.body.conversationmessage).toEqual(created);
        expect(await messageRows(c.id)).toEqual([before]);
      }
      // Beside a real change, only that changes.
      const res = await edit({ message: null, files: [] });
      expect(res.status).toBe(200);
      expect(res.body.conversationmessage).toMatchObject({ message: 'as sent', files: [] });
      expect((await messageRows(c.id))[0]).toMatchObject({ message: 'as sent', file_ids: [] });
    });

    it("should answer 400 to an edit attaching another tenant's file, and change nothing", async () => {
      const c = await conversation();
      const created = (await post({ conversationId: c.id, message: 'as sent' })).body.conversationmessage;
      const theirs = await fileOf(globex);
      const res = await t.http
        .patch(`${BASE}/conversationmessages/${created.id}.json`)
        .set('Authorization', acme.auth)
        .send({ files: [theirs] });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { 'files[0]': ['does not exist'] } });
      expect((await messageRows(c.id))[0].file_ids).toEqual([]);
    });

    it('should list the messages of one conversation oldest first, and all of the tenant newest first', async () => {
      const c = await conversation();
      const ids: number[] = [];
      for (const text of ['one', 'two', 'three']) ids.push((await post({ conversationId: c.id, message: text })).body.conversationmessage.id);

      const transcript = await get(`conversations/${c.id}/messages.json`);
      expect(transcript.status).toBe(200);
      expect(transcript.body.conversationmessages.map((m: { id: number }) => m.id)).toEqual(ids);
      expect(transcript.body.meta.page).toEqual({ count: 3, pageSize: 50, pageOffset: 0, pages: 1, hasMore: false, nextCursor: null });

      const all = await get(`conversationmessages.json?filter=${encodeURIComponent(JSON.stringify({ conversationId: c.id }))}`);
      expect(all.body.conversationmessages.map((m: { id: number }) => m.id)).toEqual([...ids].reverse());

      const byText = await get(`conversationmessages.json?filter=${encodeURIComponent(JSON.stringify({ message: 'two', conversationId: c.id }))}`);
      expect(byText.body.conversationmessages.map((m: { id: number }) => m.id)).toEqual([ids[1]]);

      const side = await get(`conversations/${c.id}.json?includes=conversationmessages`);
      expect(side.body.included.conversationmessages.map((m: { message: string }) => m.message)).toEqual(['one', 'two', 'three']);
    });

    it('should answer 404 for an unknown conversation or message, and for those of another tenant', async () => {
      const c = await conversation();
      const m = (await post({ conversationId: c.id, message: 'private' })).body.conversationmessage;
      for (const path of [`conversations/${c.id}/messages.json`, `conversationmessages/${m.id}.json`]) {
        const res = await get(path, globex.auth);
        expect(res.status).toBe(404);
        expect(res.body.errors._).toHaveLength(1);
      }
      expect((await get('conversations/99999999/messages.json')).status).toBe(404);
      const patch = await t.http.patch(`${BASE}/conversationmessages/${m.id}.json`).set('Authorization', globex.auth).send({ message: 'pwned' });
      expect(patch.status).toBe(404);
      const del = await t.http.delete(`${BASE}/conversationmessages/${m.id}.json`).set('Authorization', globex.auth);
      expect(del.status).toBe(404);
      const [row] = await messageRows(c.id);
      expect(row).toMatchObject({ message: 'private', state: 'active' });
      const theirList = await get('conversationmessages.json?pageSize=100', globex.auth);
      expect(theirList.body.conversationmessages.every((x: { conversationId: number }) => x.conversationId !== c.id)).toBe(true);
    });
  });

  describe('GET /conversationmessages/history/{token}.json', () => {
    async function tokenFor(conversationId: number): Promise<string> {
      const res = await t.http.post(`${BASE}/conversations/token.json`).set('Authorization', acme.auth).send({ id: conversationId });
      expect(res.status).toBe(201);
      return res.body.conversation.token;
    }

    it('should page the active messages without an API key, and stop working once the token is rotated', async () => {
      const c = await conversation();
      const token = await tokenFor(c.id);
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await post({ conversationId: c.id, message: `m${i}` })).body.conversationmessage.id);
      await t.http.delete(`${BASE}/conversationmessages/${ids[2]}.json`).set('Authorization', acme.auth).expect(204);

      const first = await t.http.get(`${BASE}/conversationmessages/history/${token}.json?pageSize=2&includes=users`);
      expect(first.status).toBe(200);
      expect(first.body.conversationmessages.map((m: { id: number }) => m.id)).toEqual([ids[0], ids[1]]);
      // Agents appear by display name only.
      expect(first.body.included.users).toEqual([{ id: acme.adminId, name: 'Ada Admin' }]);
      const second = await t.http.get(`${BASE}/conversationmessages/history/${token}.json?pageSize=2&cursor=${first.body.meta.page.nextCursor}`);
      expect(second.body.conversationmessages.map((m: { id: number }) => m.id)).toEqual([ids[3], ids[4]]);
      expect(second.body.meta.page.hasMore).toBe(false);

      const badPage = await t.http.get(`${BASE}/conversationmessages/history/${token}.json?pageSize=0&includes=conversations`);
      expect(badPage.status).toBe(400);
      expect(badPage.body).toEqual({ errors: { pageSize: ['must be greater than 0'], includes: ['must be one of ‘contacts, customers, files, users, all’'] } });

      await tokenFor(c.id);
      const stale = await t.http.get(`${BASE}/conversationmessages/history/${token}.json`);
      expect(stale.status).toBe(404);
      expect(stale.body).toEqual({ errors: { _: ['no conversation has this token'] } });
    });
  });

  describe('paging deep by cursor', () => {
    it('should return 5,000 messages each exactly once, in order, both ways', async () => {
      const c = await conversation();
      // Seven messages share each timestamp, so the id has to break ties.
      await t.db.query(
        `INSERT INTO conversation_messages (tenant_id, conversation_id, user_id, message, created_at)
         SELECT $1, $2, $3, 'bulk ' || i, timestamptz '2026-01-01' + (i / 7) * interval '1 second'
           FROM generate_series(1, 5000) AS i`,
        [acme.tenantId, c.id, acme.adminId],
      );
      const expected: number[] = (
        await t.db.query(`SELECT id FROM conversation_messages WHERE conversation_id = $1 ORDER BY created_at, id`, [c.id])
      ).map((r: { id: number }) => r.id);

      for (const mode of ['asc', 'desc'] as const) {
        const seen: number[] = [];
        let url = `conversations/${c.id}/messages.json?pageSize=100&orderMode=${mode}&fields=id`;
        for (let pages = 0; pages < 60; pages++) {
          const res = await get(url);
          expect(res.status).toBe(200);
          seen.push(...res.body.conversationmessages.map((m: { id: number }) => m.id));
          const next = res.body.meta.page.nextCursor;
          if (!next) break;
          expect(res.body.meta.page.count).toBe(5000);
          url = `conversations/${c.id}/messages.json?pageSize=100&cursor=${next}&fields=id`;
        }
        expect(seen).toEqual(mode === 'asc' ? expected : [...expected].reverse());
      }
    });

    it('should send list statements that an index serves in order, without sorting the rows', async () => {
      // 30 conversations whose messages interleave in time, as a busy tenant's do.
      const conversations = [];
      for (let i = 0; i < 30; i++) conversations.push(await conversation());
      const c = conversations[0];
      await t.db.query(
        `INSERT INTO conversation_messages (tenant_id, conversation_id, user_id, message, created_at, updated_at)
         SELECT $1, cid, $3, 'bulk ' || i, timestamptz '2026-01-01' + i * interval '1 second', timestamptz '2026-01-01' + i * interval '1 second'
           FROM generate_series(1, 200) AS i, unnest($2::bigint[]) AS cid`,
        [acme.tenantId, conversations.map((x) => x.id), acme.adminId],
      );
      const rare = await createAgent(t, acme.tenantId);
      for (let i = 0; i < 3; i++) await post({ conversationId: c.id, userId: rare.id, message: `rare ${i}` }, rare.auth);
      const doomed = (await post({ conversationId: c.id, message: 'doomed' })).body.conversationmessage.id;
      await t.http.delete(`${BASE}/conversationmessages/${doomed}.json`).set('Authorization', acme.auth).expect(204);
      await t.db.query(`ANALYZE conversation_messages`);
      const first = await get(`conversations/${c.id}/messages.json?pageSize=20`);
      // [url, the index that must serve it, whether it also gives the order (else a sort of the few matching rows is fine)]
      const deepUrls: [string, string, boolean?][] = [
        [`conversations/${c.id}/messages.json?pageSize=20&cursor=${first.body.meta.page.nextCursor}`, 'ix_conversation_messages_conversation'],
        [`conversationmessages.json?pageSize=20&orderBy=updatedAt`, 'ix_conversation_messages_updated'],
        [`conversationmessages.json?pageSize=20&filter=${encodeURIComponent(JSON.stringify({ userId: rare.id }))}`, 'ix_conversation_messages_user'],
        [`conversationmessages.json?pageSize=20&orderBy=id&filter=${encodeURIComponent(JSON.stringify({ createdBy: rare.id }))}`, 'ix_conversation_messages_created_by'],
        [
          `conversationmessages.json?pageSize=20&orderBy=id&filter=${encodeURIComponent(JSON.stringify({ deletedAt: { $gte: '2026-01-01T00:00:00Z' } }))}`,
          'ix_conversation_messages_deleted_at',
          false,
        ],
      ];
      for (const [url, index, ordered = true] of deepUrls) {
        const plan = await listPlanOf(t.db, () => get(url, acme.auth, t.inProcessHttp));
        if (process.env.SHOW_PLANS) console.log(url, plan);
        const sorts = plan.includes('"Node Type":"Sort"');
        expect({ url, usesIndex: plan.includes(`"Index Name":"${index}"`), sorts: ordered ? sorts : 'not asked' }).toEqual({
          url,
          usesIndex: true,
          sorts: ordered ? false : 'not asked',
        });
      }
    });

    it('should refuse a cursor that is malformed, for another order or filter, or for another conversation', async () => {
      const c = await conversation();
      const other = await conversation();
      for (let i = 0; i < 3; i++) await post({ conversationId: c.id, message: `m${i}` });
      const cursor = (await get(`conversations/${c.id}/messages.json?pageSize=1`)).body.meta.page.nextCursor;
      expect(cursor).toEqual(expect.any(String));

      const cases: [string, Record<string, string[]>][] = [
        [`conversations/${c.id}/messages.json?cursor=not-a-cursor`, { cursor: ['is not a valid cursor; use meta.page.nextCursor of a previous page'] }],
        [
          `conversations/${c.id}/messages.json?cursor=${cursor}&orderBy=id`,
          { cursor: ['was issued for another order; drop orderBy and orderMode, or start from the first page'] },
        ],
        [`conversations/${c.id}/messages.json?cursor=${cursor}&page=2`, { page: ['must not be given with cursor'] }],
        [
          `conversations/${c.id}/messages.json?cursor=${cursor}&filter=${encodeURIComponent('{"id":{"$gt":1}}')}`,
          { cursor: ['was issued for another filter or list; drop it to start from the first page'] },
        ],
        [
          `conversations/${other.id}/messages.json?cursor=${cursor}`,
          { cursor: ['was issued for another filter or list; drop it to start from the first page'] },
        ],
      ];
      // A cursor a client made up: base64url JSON with a value PostgreSQL could not cast.
      const forged = Buffer.from(JSON.stringify([1, 'createdAt', 'asc', 'yesterday', 1, JSON.parse(Buffer.from(cursor, 'base64url').toString())[5]])).toString('base64url');
      cases.push([`conversations/${c.id}/messages.json?cursor=${forged}`, { cursor: ['is not a valid cursor; use meta.page.nextCursor of a previous page'] }]);
      cases.push([
        `conversationmessages.json?filter=${encodeURIComponent('{"createdAt":{"$gt":"2026-02-30"}}')}`,
        { filter: ['createdAt.$gt must be a date as ‘2006-01-02T15:04:05Z’'] },
      ]);
      cases.push([`conversationmessages.json?filter=${encodeURIComponent('{"message":"a\\u0000b"}')}`, { filter: ['message must not contain NUL characters'] }]);
      for (const [path, errors] of cases) {
        const res = await get(path);
        expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 400, body: { errors } });
      }
    });
  });

  describe('includes', () => {
    it('should side-load contacts, customers, files and users with the same number of queries for 10 rows as for 100', async () => {
      const c = await conversation();
      // Uploaded for the conversation: both sides' messages may carry it.
      const fileId = await fileOf(acme, c);
      const agent = await createAgent(t, acme.tenantId);
      for (let i = 0; i < 100; i++) {
        const author = i % 2 === 0 ? { contactId: c.contactId } : { userId: agent.id };
        await post({ conversationId: c.id, message: `m${i}`, files: [fileId], ...author });
      }

      const queriesFor = async (pageSize: number) => {
        const spy = jest.spyOn(PostgresQueryRunner.prototype, 'query');
        try {
          // The spy counts the in-process app's queries, so the request goes there (also under E2E_PROCESSES).
          const res = await get(`conversations/${c.id}/messages.json?pageSize=${pageSize}&includes=all`, acme.auth, t.inProcessHttp);
          expect(res.status).toBe(200);
          // It saw this request's own queries: the page's among them.
          expect(spy.mock.calls.filter(([sql]) => /FROM "conversation_messages"/.test(sql)).length).toBeGreaterThan(0);
          // The background loops' statements run whenever their tick falls: the request's are the rest.
          return { count: requestStatements(spy.mock.calls.map(([sql]) => sql)).length, body: res.body };
        } finally {
          spy.mockRestore();
        }
      };
      const small = await queriesFor(10);
      const large = await queriesFor(100);
      expect(large.body.conversationmessages).toHaveLength(100);
      expect(large.count).toBe(small.count);
      // The page, and one query per kind side-loaded at least.
      expect(large.count).toBeGreaterThanOrEqual(5);
      expect(large.count).toBeLessThanOrEqual(10);

      const { included } = large.body;
      expect(included.contacts.map((x: { id: number }) => x.id)).toEqual([c.contactId]);
      expect(included.customers.map((x: { id: number }) => x.id)).toEqual([c.customerId]);
      expect(included.files.map((x: { id: number }) => x.id)).toEqual([fileId]);
      expect(included.users.map((x: { id: number }) => x.id).sort()).toEqual([acme.adminId, agent.id].sort());
    });
  });
});
