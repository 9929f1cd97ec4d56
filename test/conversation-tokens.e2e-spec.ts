import { randomBytes } from 'node:crypto';
import { customerConversation } from './support/customer-view';
import { conversationRow, createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { BASE, ISO, DOCUMENTED_CONVERSATION_FIELDS as DOCUMENTED_FIELDS } from './support/desk';
import { createTestApp, TestApp } from './support/test-app';

const TOKEN = /^hdc_[0-9a-f]{16}[A-Za-z0-9_-]{43}$/;
const ISSUE = `${BASE}/conversations/token.json`;
const NO_SUCH_TOKEN = { errors: { _: ['no conversation has this token'] } };

describe('Conversation tokens (Desk v2)', () => {
  let t: TestApp;
  let acme: TestTenant;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await createTenant(t, 'Acme');
  });
  afterAll(() => t.close());

  const issue = (body: unknown, auth = acme.auth) => t.http.post(ISSUE).set('Authorization', auth).send(body as object);
  const byToken = (token: string, query = '') => t.http.get(`${BASE}/conversations/token/${token}.json${query}`);
  const countConversations = async (): Promise<number> =>
    (await t.db.query(`SELECT count(*)::int AS n FROM conversations`))[0].n;
  const tokenColumns = async (id: number) =>
    (await t.db.query(`SELECT token_lookup, token_hash, token_issued_at FROM conversations WHERE id = $1`, [id]))[0];

  describe('POST /conversations/token.json without an id', () => {
    it('should create a conversation with its first token when given a contactId', async () => {
      const { contactId, customerId } = await createContact(t.db, acme.tenantId);
      const agent = await createAgent(t, acme.tenantId);
      const before = await countConversations();

      const res = await issue({ conversation: { contactId, socket_id: '1234.5678', users: [{ id: agent.id, type: 'users' }] } });

      expect(res.status).toBe(201);
      expect(Object.keys(res.body)).toEqual(['conversation']);
      const c = res.body.conversation;
      expect(Object.keys(c).sort()).toEqual(DOCUMENTED_FIELDS);
      expect(c.token).toEqual(expect.stringMatching(TOKEN));
      expect(c).toMatchObject({
        contactId,
        socket_id: '1234.5678',
        state: 'active',
        ticket_id: null,
        messages: [],
        users: [{ id: agent.id, type: 'users' }],
        createdBy: { id: acme.adminId, type: 'users' },
        updatedBy: { id: acme.adminId, type: 'users' },
      });
      expect(c.contact).toMatchObject({ id: contactId, customer: { id: customerId, type: 'customers' }, type: 'email', isMain: true, state: 'active' });
      expect(Number.isInteger(c.id)).toBe(true);
      expect(c.createdAt).toMatch(ISO);
      expect(c.updatedAt).toBe(c.createdAt);

      expect(await countConversations()).toBe(before + 1);
      expect(await conversationRow(t.db, c.id)).toMatchObject({
        tenant_id: acme.tenantId,
        contact_id: contactId,
        socket_id: '1234.5678',
        state: 'active',
        created_by: acme.adminId,
        token_lookup: c.token.slice(4, 20),
      });
      const participants = await t.db.query(`SELECT user_id FROM conversation_users WHERE conversation_id = $1`, [c.id]);
      expect(participants).toEqual([{ user_id: agent.id }]);
    });

    it('should store no plaintext of the token, only its lookup part and a 32-byte hash', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const { token, id } = (await issue({ contactId })).body.conversation;
      const row = (await conversationRow(t.db, id))!;
      const secretPart = token.slice(20);

      expect(row.token_lookup).toBe(token.slice(4, 20));
      expect(row.token_issued_at).toBeInstanceOf(Date);
      const hash = row.token_hash as Buffer;
      expect(Buffer.isBuffer(hash)).toBe(true);
      expect(hash).toHaveLength(32);
      expect(hash.equals(Buffer.from(token, 'utf8'))).toBe(false);
      for (const encoding of ['utf8', 'latin1', 'hex', 'base64', 'base64url'] as const) {
        expect(hash.toString(encoding)).not.toContain(secretPart);
      }
      for (const [column, value] of Object.entries(row)) {
        const text = Buffer.isBuffer(value) ? value.toString('latin1') : String(value);
        expect({ column, holdsToken: text.includes(token) || text.includes(secretPart) }).toEqual({ column, holdsToken: false });
      }
    });

    it('should create the customer and its contact when given a new contact type and value', async () => {
      const value = `widget-${randomBytes(4).toString('hex')}@example.test`;
      const res = await issue({ contact: { type: 'email', value } });

      expect(res.status).toBe(201);
      expect(res.body.conversation.token).toMatch(TOKEN);
      expect(res.body.conversation.contact).toMatchObject({ type: 'email', value, isMain: true });
      const [contact] = await t.db.query(
        `SELECT cc.id, c.email FROM customer_contacts cc
           JOIN customers c ON c.tenant_id = cc.tenant_id AND c.id = cc.customer_id
          WHERE cc.tenant_id = $1 AND cc.value = $2`,
        [acme.tenantId, value],
      );
      expect(contact).toEqual({ id: res.body.conversation.contactId, email: value });
      expect(await conversationRow(t.db, res.body.conversation.id)).toMatchObject({ contact_id: contact.id, token_lookup: res.body.conversation.token.slice(4, 20) });
    });

    it('should find the existing contact when given its type and value', async () => {
      const value = `known-${randomBytes(4).toString('hex')}@example.test`;
      const { contactId } = await createContact(t.db, acme.tenantId, value);
      const res = await issue({ contact: { type: 'email', value: value.toUpperCase() } });
      expect(res.status).toBe(201);
      expect(res.body.conversation.contactId).toBe(contactId);
    });

    it('should issue a different token for every conversation', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const tokens = await Promise.all([1, 2, 3].map(async () => (await issue({ contactId })).body.conversation.token));
      expect(new Set(tokens).size).toBe(3);
      expect(new Set(tokens.map((token) => token.slice(4, 20))).size).toBe(3);
    });

    it('should show token null on every later read of the conversation', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const issued = (await issue({ contactId })).body.conversation;

      const got = await t.http.get(`${BASE}/conversations/${issued.id}.json`).set('Authorization', acme.auth);
      expect(got.status).toBe(200);
      expect(got.body.conversation).toEqual({ ...issued, token: null });

      const listed = await t.http
        .get(`${BASE}/conversations.json`)
        .query({ filter: JSON.stringify({ id: issued.id }) })
        .set('Authorization', acme.auth);
      expect(listed.body.conversations).toEqual([{ ...issued, token: null }]);

      const fields = await t.http.get(`${BASE}/conversations/${issued.id}.json?fields=token`).set('Authorization', acme.auth);
      expect(fields.body).toEqual({ conversation: { id: issued.id, token: null } });
    });

    it('should answer 401 and write nothing when there is no API key', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const before = await countConversations();
      const res = await t.http.post(ISSUE).send({ contactId });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ errors: { _: ['authentication required: send Authorization: Bearer <api key>'] } });
      expect(res.headers['www-authenticate']).toBeDefined();
      expect(await countConversations()).toBe(before);
    });

    it('should answer 401 and leave the token alone when there is no API key for an existing conversation', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const issued = (await issue({ contactId })).body.conversation;
      const before = await conversationRow(t.db, issued.id);
      const res = await t.http.post(ISSUE).set('Authorization', 'Bearer not-a-key').send({ id: issued.id });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ errors: { _: ['invalid or revoked API key'] } });
      expect(await conversationRow(t.db, issued.id)).toEqual(before);
    });
  });

  describe('POST /conversations/token.json with an id', () => {
    it('should issue a fresh token for the same conversation and retire the old one', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const first = (await issue({ contactId, socket_id: 'old.1' })).body.conversation;
      const editor = await createAgent(t, acme.tenantId);
      const columnsBefore = await tokenColumns(first.id);
      const before = await countConversations();

      const res = await issue({ conversation: { id: first.id, socket_id: 'new.2' } }, editor.auth);

      expect(res.status).toBe(201);
      const second = res.body.conversation;
      expect(Object.keys(second).sort()).toEqual(DOCUMENTED_FIELDS);
      expect(second.id).toBe(first.id);
      expect(second.token).toMatch(TOKEN);
      expect(second.token).not.toBe(first.token);
      expect(second).toMatchObject({ contactId, socket_id: 'new.2', state: 'active', createdAt: first.createdAt, createdBy: first.createdBy });
      expect(second.updatedBy).toEqual({ id: editor.id, type: 'users' });
      expect(Date.parse(second.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt));
      expect(await countConversations()).toBe(before);

      const columnsAfter = await tokenColumns(first.id);
      expect(columnsAfter.token_lookup).toBe(second.token.slice(4, 20));
      expect(columnsAfter.token_hash).toHaveLength(32);
      expect(columnsAfter.token_hash.equals(columnsBefore.token_hash)).toBe(false);
      expect(columnsAfter.token_issued_at.getTime()).toBeGreaterThan(columnsBefore.token_issued_at.getTime());
      expect(await conversationRow(t.db, first.id)).toMatchObject({ socket_id: 'new.2', updated_by: editor.id });

      const old = await byToken(first.token);
      expect(old.status).toBe(404);
      expect(old.body).toEqual(NO_SUCH_TOKEN);
      const fresh = await byToken(second.token);
      expect(fresh.status).toBe(200);
      expect(fresh.body).toEqual({ conversation: customerConversation(second) });
    });

    it('should give a conversation made without a token its first one', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const plain = (await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId })).body.conversation;
      expect(await tokenColumns(plain.id)).toEqual({ token_lookup: null, token_hash: null, token_issued_at: null });

      const res = await issue({ id: plain.id });

      expect(res.status).toBe(201);
      expect(res.body.conversation).toMatchObject({ id: plain.id, contactId, socket_id: null });
      expect((await byToken(res.body.conversation.token)).status).toBe(200);
    });

    it('should keep socket_id when the body does not send one', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const first = (await issue({ contactId, socket_id: 'keep.1' })).body.conversation;
      const res = await issue({ id: first.id });
      expect(res.status).toBe(201);
      expect(res.body.conversation.socket_id).toBe('keep.1');
      expect(await conversationRow(t.db, first.id)).toMatchObject({ socket_id: 'keep.1' });
    });

    it('should serve every freshly issued token on the public route, whatever characters it holds', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const { id } = (await issue({ contactId })).body.conversation;
      // Keep issuing until tokens with '-' and '_' in their secret part have been tried.
      const seen = { dash: false, underscore: false };
      for (let attempt = 0; attempt < 40 && !(seen.dash && seen.underscore); attempt++) {
        const { token } = (await issue({ id })).body.conversation;
        const secret = token.slice(20);
        seen.dash ||= secret.includes('-');
        seen.underscore ||= secret.includes('_');
        const res = await byToken(token);
        expect({ token, status: res.status, id: res.body.conversation?.id }).toEqual({ token, status: 200, id });
      }
      expect(seen).toEqual({ dash: true, underscore: true });
    });

    it('should apply the other given properties as a PATCH would, and validate them', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const agent = await createAgent(t, acme.tenantId);
      const issued = (await issue({ contactId })).body.conversation;

      const refused = await issue({ id: issued.id, contactId: 987654321, users: [{ id: 987654321 }] });
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({ errors: { contactId: ['does not exist'], 'users[0].id': ['does not exist'] } });
      expect((await byToken(issued.token)).status).toBe(200);

      const res = await issue({ id: issued.id, users: [{ id: agent.id, type: 'users' }] });
      expect(res.status).toBe(201);
      expect(res.body.conversation.users).toEqual([{ id: agent.id, type: 'users' }]);
      expect(res.body.conversation.contactId).toBe(contactId);
    });

    it('should ignore state, which only PATCH and DELETE change', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const issued = (await issue({ contactId })).body.conversation;
      const res = await issue({ id: issued.id, state: 'deleted' });
      expect(res.status).toBe(201);
      expect(res.body.conversation.state).toBe('active');
      expect(await conversationRow(t.db, issued.id)).toMatchObject({ state: 'active', deleted_at: null });
      expect((await byToken(res.body.conversation.token)).status).toBe(200);
    });

    it('should answer 404 and write nothing when the id does not exist', async () => {
      const before = await countConversations();
      const res = await issue({ id: 987654321 });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ errors: { _: ['conversation 987654321 not found'] } });
      expect(res.headers['x-error-code']).toBe('CONVERSATION_NOT_FOUND');
      expect(await countConversations()).toBe(before);
    });

    it('should answer 404 and leave the conversation alone when it belongs to another tenant', async () => {
      const other = await createTenant(t);
      const { contactId } = await createContact(t.db, other.tenantId);
      const theirs = (await issue({ contactId }, other.auth)).body.conversation;
      const before = await conversationRow(t.db, theirs.id);

      const res = await issue({ id: theirs.id, socket_id: 'hijack.1' });

      expect(res.status).toBe(404);
      expect(res.body).toEqual({ errors: { _: [`conversation ${theirs.id} not found`] } });
      expect(await conversationRow(t.db, theirs.id)).toEqual(before);
      expect((await byToken(theirs.token)).status).toBe(200);
    });

    it('should answer 400 and leave the conversation alone when it is deleted', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const issued = (await issue({ contactId })).body.conversation;
      await t.http.delete(`${BASE}/conversations/${issued.id}.json`).set('Authorization', acme.auth).expect(204);
      const before = await conversationRow(t.db, issued.id);

      const res = await issue({ id: issued.id, socket_id: 'revive.1' });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { id: ['must be an active conversation'] } });
      expect(await conversationRow(t.db, issued.id)).toEqual(before);
    });
  });

  describe('POST /conversations/token.json validation', () => {
    it.each([
      ['no contact', {}, { contactId: ['must be set'] }],
      ['an empty conversation object', { conversation: {} }, { contactId: ['must be set'] }],
      ['an id that is a string', { id: 'abc' }, { id: ['must be a whole number'] }],
      ['an id that is a numeric string', { id: '12' }, { id: ['must be a whole number'] }],
      ['an id that is a fraction', { id: 1.5 }, { id: ['must be a whole number'] }],
      ['an id of zero', { id: 0 }, { id: ['must be greater than 0'] }],
      ['an unknown field', { contactId: 1, colour: 'red' }, { colour: ['is not a known field'] }],
      ['an unknown field next to an id', { id: 1, colour: 'red' }, { colour: ['is not a known field'] }],
      ['a socket_id that is a number', { contactId: 1, socket_id: 5 }, { socket_id: ['must be a string'] }],
    ])('should answer 400 with the validator body and write nothing when the body has %s', async (_case, body, errors) => {
      const before = await countConversations();
      const res = await issue(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
      expect(await countConversations()).toBe(before);
    });

    // A null id is a bad request about `id`, as a null contactId is, not a missing conversation.
    it('should answer 400 about id and write nothing when id is null', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const before = await countConversations();
      const res = await issue({ id: null, contactId });
      expect({ status: res.status, fields: Object.keys(res.body.errors ?? {}) }).toEqual({ status: 400, fields: ['id'] });
      expect(res.body).toEqual({ errors: { id: ['must be set'] } });
      expect(await countConversations()).toBe(before);
    });

    it('should answer 400 naming the contactId that does not exist', async () => {
      const before = await countConversations();
      const res = await issue({ contactId: 987654321 });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { contactId: ['does not exist'] } });
      expect(await countConversations()).toBe(before);
    });
  });

  describe('GET /conversations/token/{token}.json', () => {
    it("should return the customer's view of the conversation without any Authorization header, never showing the token", async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const issued = (await issue({ contactId, socket_id: 'w.1' })).body.conversation;

      const res = await byToken(issued.token);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ conversation: customerConversation(issued) });
      expect(JSON.stringify(res.body)).not.toContain(issued.token.slice(20));
      expect(JSON.stringify(res.body)).not.toContain('w.1');
    });

    it('should find a tenant’s conversation whoever calls, with or without a key of any tenant', async () => {
      const other = await createTenant(t);
      const { contactId } = await createContact(t.db, acme.tenantId);
      const issued = (await issue({ contactId })).body.conversation;

      const answers = await Promise.all([
        byToken(issued.token),
        byToken(issued.token).set('Authorization', acme.auth),
        byToken(issued.token).set('Authorization', other.auth),
        byToken(issued.token).set('Authorization', 'Bearer garbage'),
      ]);

      for (const res of answers) {
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ conversation: customerConversation(issued) });
      }
    });

    it("should side-load the conversation's agents by display name only when asked for users, never who created it", async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const agent = await createAgent(t, acme.tenantId);
      const issued = (await issue({ contactId, users: [{ id: agent.id }] })).body.conversation;
      const [agentRow] = await t.db.query(`SELECT first_name, last_name FROM users WHERE id = $1`, [agent.id]);

      const res = await byToken(issued.token, '?includes=users');

      expect(res.status).toBe(200);
      expect(res.body.conversation).toEqual(customerConversation(issued));
      expect(res.body.included).toEqual({ users: [{ id: agent.id, name: `${agentRow.first_name} ${agentRow.last_name}`.trim() }] });
      expect(JSON.stringify(res.body.included)).not.toContain('@example.test');

      // An agent asking the same through the API does see emails.
      const agentView = await t.http.get(`${BASE}/conversations/${issued.id}.json?includes=users`).set('Authorization', acme.auth);
      expect(agentView.body.included.users[0]).toHaveProperty('email');
    });

    it("should answer with only the requested fields, and the id; a field of the agents' view is a 400", async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const issued = (await issue({ contactId })).body.conversation;
      const res = await byToken(issued.token, '?fields=state,converted');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ conversation: { id: issued.id, state: 'active', converted: false } });

      for (const query of ['?fields=state,token', '?fields=ticket_id', '?fields=online']) {
        const refused = await byToken(issued.token, query);
        expect(refused.status).toBe(400);
        expect(refused.body).toEqual({
          errors: { fields: ['must be one of ‘id, state, converted, contactId, contact, messages, users, lastMessageAt, createdAt, updatedAt’'] },
        });
      }
    });

    it.each([
      ['a garbage token', () => 'garbage'],
      ['an API key', () => acme.key],
      ['a well-formed unknown token', () => `hdc_${randomBytes(8).toString('hex')}${randomBytes(32).toString('base64url')}`],
    ])('should answer 404 for %s', async (_case, token) => {
      const res = await byToken(token());
      expect(res.status).toBe(404);
      expect(res.body).toEqual(NO_SUCH_TOKEN);
      expect(res.headers['x-error-code']).toBe('CONVERSATION_TOKEN_NOT_FOUND');
    });

    it('should answer 404 for a token whose lookup part is known but whose secret is wrong', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const issued = (await issue({ contactId })).body.conversation;
      const forged = issued.token.slice(0, 20) + randomBytes(32).toString('base64url');
      expect(forged).toMatch(TOKEN);
      const res = await byToken(forged);
      expect(res.status).toBe(404);
      expect(res.body).toEqual(NO_SUCH_TOKEN);
      expect((await byToken(issued.token)).status).toBe(200);
    });

    it('should answer 404 for the token of a deleted conversation', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const issued = (await issue({ contactId })).body.conversation;
      expect((await byToken(issued.token)).status).toBe(200);
      await t.http.delete(`${BASE}/conversations/${issued.id}.json`).set('Authorization', acme.auth).expect(204);

      const res = await byToken(issued.token);

      expect(res.status).toBe(404);
      expect(res.body).toEqual(NO_SUCH_TOKEN);
      // Deleting revokes the widget's token, so restoring the conversation does not revive it.
      expect(await conversationRow(t.db, issued.id)).toMatchObject({ state: 'deleted', token_lookup: null, token_hash: null });
      await t.http.patch(`${BASE}/conversations/${issued.id}.json`).set('Authorization', acme.auth).send({ state: 'active' }).expect(200);
      expect((await byToken(issued.token)).status).toBe(404);
    });
  });
});
