import { conversationRow, createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { BASE, ISO, DOCUMENTED_CONVERSATION_FIELDS } from './support/desk';
import { createTestApp, TestApp } from './support/test-app';


describe('Conversations (Desk v2)', () => {
  let t: TestApp;
  let acme: TestTenant;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await createTenant(t, 'Acme');
  });
  afterAll(() => t.close());

  const post = (body: unknown, auth = acme.auth) =>
    t.http.post(`${BASE}/conversations.json`).set('Authorization', auth).send(body as object);
  // A body sent as the exact bytes given, for what a JSON serialiser would never produce.
  const postRaw = (raw: string, contentType = 'application/json') =>
    t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).set('Content-Type', contentType).send(raw);

  describe('POST /conversations.json', () => {
    it('should create a conversation with every documented field when given a contactId', async () => {
      const { contactId, customerId } = await createContact(t.db, acme.tenantId);
      const agent = await createAgent(t, acme.tenantId);

      const res = await post({ conversation: { contactId, socket_id: '1234.5678', users: [{ id: agent.id, type: 'users' }] } });

      expect(res.status).toBe(201);
      const c = res.body.conversation;
      expect(Object.keys(res.body)).toEqual(['conversation']);
      expect(Object.keys(c).sort()).toEqual(DOCUMENTED_CONVERSATION_FIELDS);
      expect(c).toMatchObject({
        contactId,
        socket_id: '1234.5678',
        state: 'active',
        ticket_id: null,
        token: null,
        messages: [],
        users: [{ id: agent.id, type: 'users' }],
        createdBy: { id: acme.adminId, type: 'users' },
        updatedBy: { id: acme.adminId, type: 'users' },
      });
      expect(Number.isInteger(c.id)).toBe(true);
      expect(c.createdAt).toMatch(ISO);
      expect(c.updatedAt).toBe(c.createdAt);
      expect(c.contact).toMatchObject({ id: contactId, customer: { id: customerId, type: 'customers' }, type: 'email', isMain: true, state: 'active' });

      const row = await conversationRow(t.db, c.id);
      expect(row).toMatchObject({ tenant_id: acme.tenantId, contact_id: contactId, socket_id: '1234.5678', state: 'active', created_by: acme.adminId });
      const participants = await t.db.query(`SELECT user_id FROM conversation_users WHERE conversation_id = $1`, [c.id]);
      expect(participants).toEqual([{ user_id: agent.id }]);
    });

    it('should accept the bare object as well as the wrapped one', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const res = await post({ contactId });
      expect(res.status).toBe(201);
      expect(res.body.conversation.contactId).toBe(contactId);
    });

    it('should find the existing customer contact when given contact type and value', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId, 'known@example.test');
      const res = await post({ contact: { type: 'email', value: 'KNOWN@example.test' } });
      expect(res.status).toBe(201);
      expect(res.body.conversation.contactId).toBe(contactId);
    });

    it('should create the customer and its contact when the contact is new', async () => {
      const res = await post({ conversation: { contact: { type: 'email', value: 'new.person@example.test' } } });
      expect(res.status).toBe(201);
      const [contact] = await t.db.query(
        `SELECT cc.id, cc.type, cc.value, cc.is_main, c.email FROM customer_contacts cc
           JOIN customers c ON c.tenant_id = cc.tenant_id AND c.id = cc.customer_id
          WHERE cc.tenant_id = $1 AND cc.value = 'new.person@example.test'`,
        [acme.tenantId],
      );
      expect(contact).toEqual({ id: res.body.conversation.contactId, type: 'email', value: 'new.person@example.test', is_main: true, email: 'new.person@example.test' });
    });

    it('should create one customer when the same new contact arrives concurrently', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, () => post({ contact: { type: 'phone', value: '+353 1 555 0101' } })),
      );
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
      expect(new Set(results.map((r) => r.body.conversation.contactId)).size).toBe(1);
      const [{ count }] = await t.db.query(
        `SELECT count(*)::int AS count FROM customer_contacts WHERE tenant_id = $1 AND value = '+35315550101'`,
        [acme.tenantId],
      );
      const [{ customers }] = await t.db.query(
        `SELECT count(*)::int AS customers FROM customers WHERE tenant_id = $1 AND phone = '+35315550101'`,
        [acme.tenantId],
      );
      expect({ count, customers }).toEqual({ count: 1, customers: 1 });
    });

    it('should ignore read-only fields and filter_args', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const res = await post({
        conversation: { contactId, id: 999999, ticket_id: 5, token: 'x', state: 'deleted', createdAt: '2001-01-01T00:00:00Z', messages: [] },
        filter_args: { page: 2 },
      });
      expect(res.status).toBe(201);
      expect(res.body.conversation).toMatchObject({ ticket_id: null, token: null, state: 'active' });
      expect(res.body.conversation.id).not.toBe(999999);
      expect(res.body.conversation.createdAt).not.toBe('2001-01-01T00:00:00.000Z');
    });

    it.each([
      ['no contact', {}, { contactId: ['must be set'] }],
      ['a contactId that is a string', { contactId: '12' }, { contactId: ['must be a whole number'] }],
      ['a contactId that is null', { contactId: null }, { contactId: ['must be set'] }],
      ['an unknown field', { contactId: 1, colour: 'red' }, { colour: ['is not a known field'] }],
      ['a field named like an Object member', { contactId: 1, toString: 'x' }, { toString: ['is not a known field'] }],
      ['a contact with no value', { contact: { type: 'email' } }, { 'contact.value': ['must be set'] }],
      ['a contact with a bad email', { contact: { type: 'email', value: 'not-an-email' } }, { 'contact.value': ['must be a valid email address'] }],
      [
        'a contact of an unknown type',
        { contact: { type: 'fax', value: '1' } },
        { 'contact.type': ['must be one of ‘email, phone, mobile, facebook, twitter, other’'] },
      ],
      ['a contact that is not an object', { contact: 'jane@example.test' }, { contact: ['must be an object'] }],
      ['users that are not an array', { contactId: 1, users: 3 }, { users: ['must be an array'] }],
      ['a user ref without an id', { contactId: 1, users: [{ type: 'users' }] }, { 'users[0].id': ['must be set'] }],
      ['a socket_id that is a number', { contactId: 1, socket_id: 5 }, { socket_id: ['must be a string'] }],
    ])('should answer 400 with the validator body for %s', async (_case, body, errors) => {
      const before = await t.db.query(`SELECT count(*)::int AS n FROM conversations`);
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
      expect(await t.db.query(`SELECT count(*)::int AS n FROM conversations`)).toEqual(before);
    });

    it('should answer 400 naming the contact or agent that does not exist in the tenant', async () => {
      const other = await createTenant(t);
      const { contactId: foreignContact } = await createContact(t.db, other.tenantId);
      const foreignAgent = await createAgent(t, other.tenantId);
      const res = await post({ contactId: foreignContact, users: [{ id: foreignAgent.id }] });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { contactId: ['does not exist'], 'users[0].id': ['does not exist'] } });
    });

    it('should answer 400 and write nothing when the body is not JSON', async () => {
      const res = await postRaw('{"contactId": 1,');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { _: ['the body must be valid JSON'] } });
    });

    it('should take JSON with a charset parameter, and refuse a body that is an array', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const withCharset = await postRaw(JSON.stringify({ contactId }), 'application/json; charset=utf-8');
      expect(withCharset.status).toBe(201);
      const array = await post([{ contactId }]);
      expect(array.status).toBe(400);
      expect(array.body).toEqual({ errors: { _: ['the body must be an object'] } });
    });

    it('should refuse NUL characters, unpaired surrogates and ids beyond a bigint with a 400, not a database error', async () => {
      const nul = await postRaw('{"contact": {"type": "other", "value": "a\\u0000b"}}');
      expect(nul.status).toBe(400);
      expect(nul.body).toEqual({ errors: { _: ['the body must not contain NUL characters'] } });
      // Half a surrogate pair cannot be stored as UTF-8; a whole pair (an emoji) can.
      const lone = await postRaw('{"contact": {"type": "other", "value": "a\\ud800b"}}');
      expect(lone.status).toBe(400);
      expect(lone.body).toEqual({ errors: { _: ['the body must not contain unpaired UTF-16 surrogates'] } });
      expect(lone.headers['x-error-code']).toBe('LONE_SURROGATE_IN_BODY');
      const pair = await postRaw('{"contact": {"type": "other", "value": "emoji-\\ud83d\\ude00"}}');
      expect(pair.status).toBe(201);
      const [{ value }] = await t.db.query(`SELECT value FROM customer_contacts WHERE id = $1`, [pair.body.conversation.contactId]);
      expect(value).toBe('emoji-\u{1F600}');
      const huge = await post({ contactId: 1e20, users: [{ id: 2 ** 60 }] });
      expect(huge.status).toBe(400);
      expect(huge.body).toEqual({ errors: { contactId: ['must be a whole number'], 'users[0].id': ['must be a whole number'] } });
    });

    it('should refuse a body that tries prototype pollution', async () => {
      const res = await postRaw('{"contactId": 1, "__proto__": {"admin": true}}');
      expect(res.status).toBe(400);
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });
  });

  describe('GET /conversations/{id}.json', () => {
    it('should return the conversation with includes side-loaded', async () => {
      const { contactId, customerId } = await createContact(t.db, acme.tenantId);
      const agent = await createAgent(t, acme.tenantId);
      const created = await post({ contactId, users: [{ id: agent.id }] });
      const id = created.body.conversation.id;

      const res = await t.http.get(`${BASE}/conversations/${id}.json?includes=users,customers,contacts`).set('Authorization', acme.auth);

      expect(res.status).toBe(200);
      expect(res.body.conversation).toEqual(created.body.conversation);
      expect(res.body.included.contacts.map((c: { id: number }) => c.id)).toEqual([contactId]);
      expect(res.body.included.customers).toEqual([
        expect.objectContaining({ id: customerId, firstName: 'Cora', contacts: [{ id: contactId, type: 'contacts' }] }),
      ]);
      expect(res.body.included.users.map((u: { id: number }) => u.id).sort()).toEqual([acme.adminId, agent.id].sort());
      expect(res.body.included.users[0]).toHaveProperty('email');
    });

    it('should return only the requested fields, and the id', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const { body } = await post({ contactId });
      const res = await t.http.get(`${BASE}/conversations/${body.conversation.id}.json?fields=state,contactId`).set('Authorization', acme.auth);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ conversation: { id: body.conversation.id, state: 'active', contactId } });
    });

    it('should answer 404 when it does not exist', async () => {
      const res = await t.http.get(`${BASE}/conversations/987654321.json`).set('Authorization', acme.auth);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ errors: { _: ['conversation 987654321 not found'] } });
      expect(res.headers['x-error-code']).toBe('CONVERSATION_NOT_FOUND');
    });

    it('should answer 400 when the id is not a whole number', async () => {
      const res = await t.http.get(`${BASE}/conversations/abc.json`).set('Authorization', acme.auth);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { id: ['must be a whole number'] } });
    });

    it('should name a bad id before a bad list parameter, on a read and on a page', async () => {
      const read = await t.http.get(`${BASE}/conversations/abc.json?fields=nope`).set('Authorization', acme.auth);
      expect(read.status).toBe(400);
      expect(read.body).toEqual({ errors: { id: ['must be a whole number'] } });
      const page = await t.http.get(`${BASE}/customers/abc/conversations.json?pageSize=x`).set('Authorization', acme.auth);
      expect(page.status).toBe(400);
      expect(page.body).toEqual({ errors: { id: ['must be a whole number'] } });
    });
  });

  describe('PATCH /conversations/{id}.json', () => {
    const patch = (id: number, body: unknown, auth = acme.auth) =>
      t.http.patch(`${BASE}/conversations/${id}.json`).set('Authorization', auth).send(body as object);

    it('should change only the given properties and move updatedAt/updatedBy', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const agent = await createAgent(t, acme.tenantId);
      const created = (await post({ contactId, socket_id: 'old.1', users: [{ id: agent.id }] })).body.conversation;
      const editor = await createAgent(t, acme.tenantId);

      const res = await patch(created.id, { conversation: { socket_id: 'new.2' } }, editor.auth);

      expect(res.status).toBe(200);
      const updated = res.body.conversation;
      expect(updated).toMatchObject({ socket_id: 'new.2', contactId, users: [{ id: agent.id, type: 'users' }], createdAt: created.createdAt });
      expect(updated.updatedBy).toEqual({ id: editor.id, type: 'users' });
      expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
      expect(await conversationRow(t.db, created.id)).toMatchObject({ socket_id: 'new.2', contact_id: contactId, updated_by: editor.id });
    });

    it('should leave updatedAt alone when nothing really changes', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const created = (await post({ contactId, socket_id: 's.1' })).body.conversation;
      const res = await patch(created.id, { socket_id: 's.1', contactId });
      expect(res.status).toBe(200);
      expect(res.body.conversation.updatedAt).toBe(created.updatedAt);
    });

    it('should ignore read-only properties', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const created = (await post({ contactId })).body.conversation;
      const res = await patch(created.id, {
        id: 1,
        createdAt: '2000-01-01T00:00:00Z',
        createdBy: { id: 99, type: 'users' },
        updatedAt: '2000-01-01T00:00:00Z',
        updatedBy: { id: 99 },
        deletedAt: '2000-01-01T00:00:00Z',
        deletedBy: { id: 99 },
        token: 'hdc_forged',
        ticket_id: 77,
      });
      expect(res.status).toBe(200);
      expect(res.body.conversation).toEqual(created);
      expect(await conversationRow(t.db, created.id)).toMatchObject({ ticket_id: null, token_hash: null, deleted_at: null });
    });

    it('should add participants and remove those sent with "delete": true', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => createAgent(t, acme.tenantId)));
      const created = (await post({ contactId, users: [{ id: a.id }, { id: b.id }] })).body.conversation;

      const res = await patch(created.id, { users: [{ id: a.id, type: 'users', delete: true }, { id: c.id, type: 'users' }] });

      expect(res.status).toBe(200);
      expect(res.body.conversation.users).toEqual([{ id: b.id, type: 'users' }, { id: c.id, type: 'users' }]);
      const rows = await t.db.query(`SELECT user_id FROM conversation_users WHERE conversation_id = $1 ORDER BY user_id`, [created.id]);
      expect(rows.map((r: { user_id: number }) => r.user_id)).toEqual([b.id, c.id].sort((x, y) => x - y));
    });

    it('should switch the contact, creating it when new', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const created = (await post({ contactId })).body.conversation;
      const res = await patch(created.id, { contact: { type: 'mobile', value: '+1 555 0100' } });
      expect(res.status).toBe(200);
      expect(res.body.conversation.contact).toMatchObject({ type: 'mobile', value: '+15550100' });
      expect(res.body.conversation.contactId).not.toBe(contactId);
    });

    it('should clear socket_id when sent null', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const created = (await post({ contactId, socket_id: 'x.1' })).body.conversation;
      const res = await patch(created.id, { socket_id: null });
      expect(res.status).toBe(200);
      expect(res.body.conversation.socket_id).toBeNull();
    });

    it('should answer 400 and change nothing when one of several properties is invalid', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const created = (await post({ contactId, socket_id: 'keep.1' })).body.conversation;
      const res = await patch(created.id, { socket_id: 'changed.2', users: [{ id: 123456789 }] });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { 'users[0].id': ['does not exist'] } });
      expect(await conversationRow(t.db, created.id)).toMatchObject({ socket_id: 'keep.1' });
    });

    it.each([
      [{ state: 'archived' }, { state: ['must be one of ‘active, deleted’'] }],
      [{ contactId: 'abc' }, { contactId: ['must be a whole number'] }],
      [{ users: [{ id: 1, delete: 'yes' }] }, { 'users[0].delete': ['must be true or false'] }],
      [{ users: [{ id: 1, type: 'customers' }] }, { 'users[0].type': ['must be one of ‘users’'] }],
      [{ conversation: 'x' }, { conversation: ['must be an object'] }],
    ])('should answer 400 for %j', async (body, errors) => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const created = (await post({ contactId })).body.conversation;
      const res = await patch(created.id, body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
    });

    it('should restore a deleted conversation when state is set to active', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const created = (await post({ contactId })).body.conversation;
      await t.http.delete(`${BASE}/conversations/${created.id}.json`).set('Authorization', acme.auth).expect(204);
      const res = await patch(created.id, { state: 'active' });
      expect(res.status).toBe(200);
      expect(res.body.conversation.state).toBe('active');
      // Unlike a delete, a restore is an update.
      expect(Date.parse(res.body.conversation.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
      expect(res.body.conversation).not.toHaveProperty('deletedAt');
      expect(await conversationRow(t.db, created.id)).toMatchObject({ state: 'active', deleted_at: null, deleted_by: null });
    });

    it('should answer 404 for a conversation that does not exist', async () => {
      const res = await patch(987654321, { socket_id: 'x' });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ errors: { _: ['conversation 987654321 not found'] } });
    });
  });

  describe('DELETE /conversations/{id}.json', () => {
    it('should soft delete: 204, state deleted, deletedAt/deletedBy set, updatedAt unchanged', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const created = (await post({ contactId })).body.conversation;
      const deleter = await createAgent(t, acme.tenantId);

      const res = await t.http.delete(`${BASE}/conversations/${created.id}.json`).set('Authorization', deleter.auth);

      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const got = await t.http.get(`${BASE}/conversations/${created.id}.json`).set('Authorization', acme.auth);
      expect(got.status).toBe(200);
      expect(got.body.conversation).toMatchObject({ state: 'deleted', deletedBy: { id: deleter.id, type: 'users' }, updatedAt: created.updatedAt });
      expect(got.body.conversation.deletedAt).toMatch(ISO);
      expect(await conversationRow(t.db, created.id)).toMatchObject({ state: 'deleted', deleted_by: deleter.id });
    });

    it('should hide deleted conversations from lists unless the filter asks for state', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const kept = (await post({ contactId })).body.conversation;
      const gone = (await post({ contactId })).body.conversation;
      await t.http.delete(`${BASE}/conversations/${gone.id}.json`).set('Authorization', acme.auth).expect(204);

      const byContact = encodeURIComponent(JSON.stringify({ contactId }));
      const active = await t.http.get(`${BASE}/conversations.json?filter=${byContact}`).set('Authorization', acme.auth);
      expect(active.body.conversations.map((c: { id: number }) => c.id)).toEqual([kept.id]);

      const deletedOnly = encodeURIComponent(JSON.stringify({ contactId, state: 'deleted' }));
      const deleted = await t.http.get(`${BASE}/conversations.json?filter=${deletedOnly}`).set('Authorization', acme.auth);
      expect(deleted.body.conversations.map((c: { id: number }) => c.id)).toEqual([gone.id]);

      const both = encodeURIComponent(JSON.stringify({ contactId, state: { $in: ['active', 'deleted'] } }));
      const all = await t.http.get(`${BASE}/conversations.json?filter=${both}&orderBy=id&orderMode=asc`).set('Authorization', acme.auth);
      expect(all.body.conversations.map((c: { id: number }) => c.id)).toEqual([kept.id, gone.id]);
    });

    it('should keep the first deletion when deleted twice', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const created = (await post({ contactId })).body.conversation;
      await t.http.delete(`${BASE}/conversations/${created.id}.json`).set('Authorization', acme.auth).expect(204);
      const first = await conversationRow(t.db, created.id);
      await t.http.delete(`${BASE}/conversations/${created.id}.json`).set('Authorization', acme.auth).expect(204);
      expect((await conversationRow(t.db, created.id))?.deleted_at).toEqual(first?.deleted_at);
    });

    it('should answer 404 for a conversation that does not exist', async () => {
      const res = await t.http.delete(`${BASE}/conversations/987654321.json`).set('Authorization', acme.auth);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ errors: { _: ['conversation 987654321 not found'] } });
    });
  });

  describe('GET /customers/{id}/conversations.json', () => {
    it("should list the conversations with any of the customer's contacts, and 404 for another tenant's customer", async () => {
      const { contactId, customerId } = await createContact(t.db, acme.tenantId);
      const [{ id: secondContact }] = await t.db.query(
        `INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main) VALUES ($1, $2, 'phone', '+15550100', true) RETURNING id`,
        [acme.tenantId, customerId],
      );
      const other = await createContact(t.db, acme.tenantId);
      const ids: number[] = [];
      for (const id of [contactId, secondContact, other.contactId]) ids.push((await post({ contactId: id })).body.conversation.id);

      const res = await t.http.get(`${BASE}/customers/${customerId}/conversations.json?orderBy=id&orderMode=asc&includes=customers`).set('Authorization', acme.auth);
      expect(res.status).toBe(200);
      expect(res.body.conversations.map((c: { id: number }) => c.id)).toEqual(ids.slice(0, 2));
      expect(res.body.meta.page).toMatchObject({ count: 2, hasMore: false, nextCursor: null });
      expect(res.body.included.customers.map((c: { id: number }) => c.id)).toEqual([customerId]);

      const globex = await createTenant(t, 'Globex');
      const foreign = await t.http.get(`${BASE}/customers/${customerId}/conversations.json`).set('Authorization', globex.auth);
      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual({ errors: { _: [`customer ${customerId} not found`] } });
    });
  });

  it('should side-load a customer exactly as GET /customers/{id}.json shows it, a deleted one too', async () => {
    const customer = (
      await t.http
        .post(`${BASE}/customers.json`)
        .set('Authorization', acme.auth)
        .send({ email: 'sideload@example.test', contacts: [{ type: 'phone', value: '+1 555 0199' }] })
    ).body.customer;
    const contactId = customer.contacts[0].id;
    const conversationId = (await post({ contactId })).body.conversation.id;
    await t.http.delete(`${BASE}/customers/${customer.id}.json`).set('Authorization', acme.auth).expect(204);

    const direct = (await t.http.get(`${BASE}/customers/${customer.id}.json`).set('Authorization', acme.auth)).body.customer;
    const side = await t.http.get(`${BASE}/conversations/${conversationId}.json?includes=customers`).set('Authorization', acme.auth);
    expect(direct.contacts).toHaveLength(2);
    expect(side.body.included.customers).toEqual([direct]);
  });

  describe('Idempotency-Key', () => {
    it('should create one conversation for a repeated key and replay the first answer', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const first = await post({ contactId }).set('Idempotency-Key', 'conv-1');
      const again = await post({ contactId }).set('Idempotency-Key', 'conv-1');
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      const rows = await t.db.query(`SELECT id FROM conversations WHERE tenant_id = $1 AND contact_id = $2`, [acme.tenantId, contactId]);
      expect(rows).toEqual([{ id: first.body.conversation.id }]);
      const mismatch = await post({ contactId, socket_id: 'other' }).set('Idempotency-Key', 'conv-1');
      expect(mismatch.status).toBe(409);
    });

    it('should replay a token request without the token, which is never stored in the clear', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const issue = () => t.http.post(`${BASE}/conversations/token.json`).set('Authorization', acme.auth).set('Idempotency-Key', 'tok-1').send({ contactId });
      const first = await issue();
      expect(first.status).toBe(201);
      expect(first.body.conversation.token).toMatch(/^hdc_/);
      const again = await issue();
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.conversation).toEqual({ ...first.body.conversation, token: null });
      const [stored] = await t.db.query(`SELECT response_body FROM idempotency_keys WHERE tenant_id = $1 AND key = 'tok-1'`, [acme.tenantId]);
      expect(stored.response_body).not.toContain(first.body.conversation.token);
      // The token issued the first time is the conversation's.
      const byToken = await t.http.get(`${BASE}/conversations/token/${first.body.conversation.token}.json`);
      expect(byToken.body.conversation.id).toBe(first.body.conversation.id);
    });
  });
});
