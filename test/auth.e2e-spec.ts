import { randomBytes } from 'node:crypto';
import { ApiKeysService } from '../apps/api/src/auth/api-keys.service';
import { conversationRow, createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const BASE = '/desk/api/v2';
const LIST = `${BASE}/conversations.json`;

const MISSING = 'authentication required: send Authorization: Bearer <api key>';
const MALFORMED = 'malformed Authorization header: use Bearer <api key> or Basic base64(<api key>:x)';
const INVALID = 'invalid or revoked API key';

const basic = (userinfo: string) => `Basic ${Buffer.from(userinfo, 'utf8').toString('base64')}`;
const wellFormedKey = () => `hdk_${randomBytes(8).toString('hex')}${randomBytes(32).toString('base64url')}`;

describe('Authentication and tenant isolation (Desk v2)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;

  beforeAll(async () => {
    t = await createTestApp();
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
  });
  afterAll(() => t.close());

  const countConversations = async (): Promise<number> =>
    (await t.db.query(`SELECT count(*)::int AS n FROM conversations`))[0].n;

  const expect401 = (res: { status: number; body: unknown; headers: Record<string, string> }, message: string, code: string) => {
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errors: { _: [message] } });
    expect(res.headers['www-authenticate']).toEqual(expect.stringContaining('Bearer'));
    expect(res.headers['www-authenticate']).toEqual(expect.stringContaining('Basic'));
    expect(res.headers['x-error-code']).toBe(code);
  };

  describe('refused credentials', () => {
    it('should answer 401 when there is no Authorization header', async () => {
      const res = await t.http.get(LIST);
      expect401(res, MISSING, 'CREDENTIALS_MISSING');
    });

    it('should answer 401 and write nothing when a POST has no Authorization header', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const before = await countConversations();
      const res = await t.http.post(LIST).send({ contactId });
      expect401(res, MISSING, 'CREDENTIALS_MISSING');
      expect(await countConversations()).toBe(before);
    });

    it.each([
      ['empty', ''],
      ['only blanks', '   '],
    ])('should answer 401 when the Authorization header is %s', async (_case, header) => {
      const res = await t.http.get(LIST).set('Authorization', header);
      expect401(res, MISSING, 'CREDENTIALS_MISSING');
    });

    it.each([
      ['an unknown scheme', 'Token abc'],
      ['Bearer with nothing after it', 'Bearer'],
      ['Bearer followed by blanks only', 'Bearer    '],
      ['Bearer with two words', 'Bearer a b'],
      ['a bare key without a scheme', 'hdk_0123456789abcdef'],
      ['Basic whose user part is empty', basic(':x')],
      ['Basic with nothing after it', 'Basic'],
    ])('should answer 401 when the Authorization header is malformed: %s', async (_case, header) => {
      const res = await t.http.get(LIST).set('Authorization', header);
      expect401(res, MALFORMED, 'CREDENTIALS_MALFORMED');
    });

    it('should answer 401 when the key is well-formed but unknown', async () => {
      const key = wellFormedKey();
      expect(key).toMatch(/^hdk_[0-9a-f]{16}[A-Za-z0-9_-]{43}$/);
      const res = await t.http.get(LIST).set('Authorization', `Bearer ${key}`);
      expect401(res, INVALID, 'API_KEY_INVALID');
    });

    it('should answer 401 when the key has a known lookup part but the wrong secret', async () => {
      const forged = acme.key.slice(0, 20) + randomBytes(32).toString('base64url');
      expect(forged).not.toBe(acme.key);
      const res = await t.http.get(LIST).set('Authorization', `Bearer ${forged}`);
      expect401(res, INVALID, 'API_KEY_INVALID');
    });

    it.each([
      ['a random string', () => randomBytes(24).toString('hex')],
      ['a key with the wrong prefix', () => `hdc_${acme.key.slice(4)}`],
      ['a key with a trailing character', () => `${acme.key}A`],
    ])('should answer 401 when the key is %s', async (_case, key) => {
      const res = await t.http.get(LIST).set('Authorization', `Bearer ${key()}`);
      expect401(res, INVALID, 'API_KEY_INVALID');
    });

    it('should answer 401 for a revoked key while another key of the same agent still works', async () => {
      const agent = await createAgent(t, acme.tenantId);
      const apiKeys = t.app.get(ApiKeysService);
      const second = await apiKeys.issue(acme.tenantId, agent.id, 'second', null);
      await t.http.get(LIST).set('Authorization', agent.auth).expect(200);
      const [{ id: keyId }] = await t.db.query(`SELECT id FROM api_keys WHERE tenant_id = $1 AND lookup = $2`, [
        acme.tenantId,
        agent.key.slice(4, 20),
      ]);

      const revoked = await apiKeys.revoke(acme.tenantId, keyId, acme.adminId);

      expect(revoked).toMatchObject({ id: keyId, state: 'deleted', deletedBy: acme.adminId });
      const { contactId } = await createContact(t.db, acme.tenantId);
      const before = await countConversations();
      expect401(await t.http.get(LIST).set('Authorization', agent.auth), INVALID, 'API_KEY_INVALID');
      expect401(await t.http.post(LIST).set('Authorization', agent.auth).send({ contactId }), INVALID, 'API_KEY_INVALID');
      expect401(await t.http.get(LIST).set('Authorization', basic(`${agent.key}:x`)), INVALID, 'API_KEY_INVALID');
      expect(await countConversations()).toBe(before);

      const stillWorks = await t.http.post(LIST).set('Authorization', `Bearer ${second.plaintext}`).send({ contactId });
      expect(stillWorks.status).toBe(201);
      expect(stillWorks.body.conversation.createdBy).toEqual({ id: agent.id, type: 'users' });
      const rows = await t.db.query(`SELECT id, state, deleted_at IS NOT NULL AS deleted FROM api_keys WHERE tenant_id = $1 AND user_id = $2 ORDER BY id`, [
        acme.tenantId,
        agent.id,
      ]);
      expect(rows).toEqual([
        { id: keyId, state: 'deleted', deleted: true },
        { id: second.apiKey.id, state: 'active', deleted: false },
      ]);
    });

    it('should answer 401 for the key of a deleted agent', async () => {
      const gone = await createAgent(t, acme.tenantId, { state: 'deleted' });
      const res = await t.http.get(LIST).set('Authorization', gone.auth);
      expect401(res, INVALID, 'API_KEY_INVALID');
      // The key itself is still active: it is the agent that no longer counts.
      const [row] = await t.db.query(`SELECT state FROM api_keys WHERE tenant_id = $1 AND user_id = $2`, [acme.tenantId, gone.id]);
      expect(row).toEqual({ state: 'active' });
    });

    it('should answer 401 for the keys of a deleted tenant', async () => {
      const doomed = await createTenant(t);
      const agent = await createAgent(t, doomed.tenantId);
      await t.http.get(LIST).set('Authorization', doomed.auth).expect(200);
      await t.http.get(LIST).set('Authorization', agent.auth).expect(200);

      await t.db.query(`UPDATE tenants SET state = 'deleted', deleted_at = now() WHERE id = $1`, [doomed.tenantId]);

      expect401(await t.http.get(LIST).set('Authorization', doomed.auth), INVALID, 'API_KEY_INVALID');
      expect401(await t.http.get(LIST).set('Authorization', agent.auth), INVALID, 'API_KEY_INVALID');
    });
  });

  describe('accepted credentials', () => {
    it.each([
      ['Bearer <key>', (key: string) => `Bearer ${key}`],
      ['bearer <key> in lower case', (key: string) => `bearer ${key}`],
      ['Basic base64(<key>:x)', (key: string) => basic(`${key}:x`)],
      ['Basic base64(<key>:) with an empty password', (key: string) => basic(`${key}:`)],
      ['Basic base64(<key>) with no colon', (key: string) => basic(key)],
    ])('should authenticate as the key’s agent when sent as %s', async (_case, header) => {
      const agent = await createAgent(t, acme.tenantId);
      const { contactId } = await createContact(t.db, acme.tenantId);

      const res = await t.http.post(LIST).set('Authorization', header(agent.key)).send({ contactId });

      expect(res.status).toBe(201);
      expect(res.body.conversation.createdBy).toEqual({ id: agent.id, type: 'users' });
      expect(await conversationRow(t.db, res.body.conversation.id)).toMatchObject({ tenant_id: acme.tenantId, created_by: agent.id });
    });

    it('should store no plaintext of an issued key, only its lookup part and a 32-byte hash', async () => {
      const agent = await createAgent(t, acme.tenantId);
      const [row] = await t.db.query(`SELECT * FROM api_keys WHERE tenant_id = $1 AND user_id = $2`, [acme.tenantId, agent.id]);
      const secretPart = agent.key.slice(20);

      expect(agent.key).toMatch(/^hdk_[0-9a-f]{16}[A-Za-z0-9_-]{43}$/);
      expect(row.lookup).toBe(agent.key.slice(4, 20));
      expect(row.lookup).not.toContain(agent.key);
      expect(Buffer.isBuffer(row.secret_hash)).toBe(true);
      expect(row.secret_hash).toHaveLength(32);
      expect(row.secret_hash.equals(Buffer.from(agent.key, 'utf8'))).toBe(false);
      for (const encoding of ['utf8', 'latin1', 'hex', 'base64', 'base64url'] as const) {
        expect(row.secret_hash.toString(encoding)).not.toContain(agent.key);
        expect(row.secret_hash.toString(encoding)).not.toContain(secretPart);
      }
      // No column anywhere in the row holds the key or its secret part.
      for (const [column, value] of Object.entries(row)) {
        const text = Buffer.isBuffer(value) ? value.toString('latin1') : String(value);
        expect({ column, holdsKey: text.includes(agent.key) || text.includes(secretPart) }).toEqual({ column, holdsKey: false });
      }
    });
  });

  describe('tenant isolation', () => {
    let aConversation: { id: number; contactId: number };
    let aAgent: { id: number };
    let aContactValue: string;

    beforeAll(async () => {
      aContactValue = `shared-${randomBytes(4).toString('hex')}@example.test`;
      const { contactId } = await createContact(t.db, acme.tenantId, aContactValue);
      aAgent = await createAgent(t, acme.tenantId);
      const res = await t.http
        .post(`${BASE}/conversations/token.json`)
        .set('Authorization', acme.auth)
        .send({ contactId, socket_id: 'acme.1', users: [{ id: aAgent.id }] });
      expect(res.status).toBe(201);
      aConversation = res.body.conversation;
    });

    const notFound = (id: number) => ({ errors: { _: [`conversation ${id} not found`] } });

    it.each([
      ['GET', (id: number) => t.http.get(`${BASE}/conversations/${id}.json`)],
      ['GET with includes', (id: number) => t.http.get(`${BASE}/conversations/${id}.json?includes=users,customers,contacts`)],
      ['PATCH', (id: number) => t.http.patch(`${BASE}/conversations/${id}.json`).send({ socket_id: 'globex.2', users: [] })],
      ['PATCH that deletes', (id: number) => t.http.patch(`${BASE}/conversations/${id}.json`).send({ state: 'deleted' })],
      ['DELETE', (id: number) => t.http.delete(`${BASE}/conversations/${id}.json`)],
      ['POST token.json', (id: number) => t.http.post(`${BASE}/conversations/token.json`).send({ id, socket_id: 'globex.3' })],
    ])('should answer 404 and change nothing when %s names another tenant’s conversation', async (_case, send) => {
      const before = await conversationRow(t.db, aConversation.id);
      const participantsBefore = await t.db.query(`SELECT * FROM conversation_users WHERE conversation_id = $1`, [aConversation.id]);

      const res = await send(aConversation.id).set('Authorization', globex.auth);

      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound(aConversation.id));
      expect(res.headers['x-error-code']).toBe('CONVERSATION_NOT_FOUND');
      expect(await conversationRow(t.db, aConversation.id)).toEqual(before);
      expect(await t.db.query(`SELECT * FROM conversation_users WHERE conversation_id = $1`, [aConversation.id])).toEqual(participantsBefore);
    });

    it('should leave another tenant’s conversations out of the list whatever the filter says', async () => {
      const other = (await t.http.post(LIST).set('Authorization', acme.auth).send({ contactId: aConversation.contactId })).body.conversation;
      const ids = [aConversation.id, other.id];
      await t.http.delete(`${BASE}/conversations/${other.id}.json`).set('Authorization', acme.auth).expect(204);
      const filters = [
        { id: { $in: ids } },
        { id: { $in: ids }, state: { $in: ['active', 'deleted'] } },
        { $or: [{ id: ids[0] }, { id: ids[1] }, { contactId: aConversation.contactId }] },
        { contactId: aConversation.contactId },
      ];

      for (const filter of filters) {
        const res = await t.http.get(LIST).query({ filter: JSON.stringify(filter) }).set('Authorization', globex.auth);
        expect({ filter, status: res.status, conversations: res.body.conversations }).toEqual({ filter, status: 200, conversations: [] });
      }
      const unfiltered = await t.http.get(LIST).query({ pageSize: 50 }).set('Authorization', globex.auth);
      expect(unfiltered.status).toBe(200);
      expect(unfiltered.body.conversations.map((c: { id: number }) => c.id)).not.toEqual(expect.arrayContaining([aConversation.id]));
      // The same filter as acme does see them.
      const own = await t.http
        .get(LIST)
        .query({ filter: JSON.stringify(filters[1]), orderBy: 'id', orderMode: 'asc' })
        .set('Authorization', acme.auth);
      expect(own.body.conversations.map((c: { id: number }) => c.id)).toEqual(ids);
    });

    it('should answer 400 when creating a conversation with another tenant’s contactId', async () => {
      const before = await countConversations();
      const res = await t.http.post(LIST).set('Authorization', globex.auth).send({ contactId: aConversation.contactId });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { contactId: ['does not exist'] } });
      expect(await countConversations()).toBe(before);
    });

    it('should answer 400 when issuing a token for a new conversation with another tenant’s contactId', async () => {
      const before = await countConversations();
      const res = await t.http.post(`${BASE}/conversations/token.json`).set('Authorization', globex.auth).send({ contactId: aConversation.contactId });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { contactId: ['does not exist'] } });
      expect(await countConversations()).toBe(before);
    });

    it('should answer 400 when creating a conversation with another tenant’s agent among the users', async () => {
      const { contactId } = await createContact(t.db, globex.tenantId);
      const before = await countConversations();
      const res = await t.http.post(LIST).set('Authorization', globex.auth).send({ contactId, users: [{ id: aAgent.id, type: 'users' }] });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { 'users[0].id': ['does not exist'] } });
      expect(await countConversations()).toBe(before);
    });

    it('should answer 400 when adding another tenant’s agent to an own conversation', async () => {
      const { contactId } = await createContact(t.db, globex.tenantId);
      const own = (await t.http.post(LIST).set('Authorization', globex.auth).send({ contactId })).body.conversation;
      const res = await t.http.patch(`${BASE}/conversations/${own.id}.json`).set('Authorization', globex.auth).send({ users: [{ id: aAgent.id }] });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { 'users[0].id': ['does not exist'] } });
      expect(await t.db.query(`SELECT user_id FROM conversation_users WHERE conversation_id = $1`, [own.id])).toEqual([]);
    });

    it('should give a tenant its own new contact when another tenant already has that email', async () => {
      const snapshot = () =>
        t.db.query(
          `SELECT cc.*, row_to_json(c.*) AS customer FROM customer_contacts cc
             JOIN customers c ON c.tenant_id = cc.tenant_id AND c.id = cc.customer_id
            WHERE cc.tenant_id = $1 AND cc.id = $2`,
          [acme.tenantId, aConversation.contactId],
        );
      const acmeBefore = await snapshot();

      const res = await t.http
        .post(LIST)
        .set('Authorization', globex.auth)
        .send({ contact: { type: 'email', value: aContactValue.toUpperCase() } });

      expect(res.status).toBe(201);
      const contactId = res.body.conversation.contactId;
      expect(contactId).not.toBe(aConversation.contactId);
      expect(res.body.conversation.contact.customer.id).not.toBe(acmeBefore[0].customer_id);
      const [created] = await t.db.query(
        `SELECT cc.tenant_id, cc.type, lower(cc.value) AS value, c.tenant_id AS customer_tenant
           FROM customer_contacts cc JOIN customers c ON c.tenant_id = cc.tenant_id AND c.id = cc.customer_id
          WHERE cc.id = $1`,
        [contactId],
      );
      expect(created).toEqual({ tenant_id: globex.tenantId, type: 'email', value: aContactValue, customer_tenant: globex.tenantId });
      expect(await snapshot()).toEqual(acmeBefore);
      expect(await conversationRow(t.db, res.body.conversation.id)).toMatchObject({ tenant_id: globex.tenantId, contact_id: contactId });
    });
  });

  describe('the tenant comes from the key', () => {
    it.each([
      ['POST /conversations.json', 'tenantId', LIST],
      ['POST /conversations.json', 'tenant_id', LIST],
      ['POST /conversations/token.json', 'tenantId', `${BASE}/conversations/token.json`],
      ['POST /conversations/token.json', 'tenant_id', `${BASE}/conversations/token.json`],
    ])('should answer 400 and write nothing when the body of %s carries %s', async (_route, field, url) => {
      const { contactId } = await createContact(t.db, globex.tenantId);
      const before = await countConversations();

      const bare = await t.http.post(url).set('Authorization', globex.auth).send({ contactId, [field]: acme.tenantId });
      const wrapped = await t.http.post(url).set('Authorization', globex.auth).send({ conversation: { contactId, [field]: acme.tenantId } });

      for (const res of [bare, wrapped]) {
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ errors: { [field]: ['is not a known field'] } });
      }
      expect(await countConversations()).toBe(before);
    });

    it.each(['tenantId', 'tenant_id'])('should answer 400 and change nothing when a PATCH body carries %s', async (field) => {
      const { contactId } = await createContact(t.db, globex.tenantId);
      const own = (await t.http.post(LIST).set('Authorization', globex.auth).send({ contactId })).body.conversation;
      const before = await conversationRow(t.db, own.id);

      const res = await t.http
        .patch(`${BASE}/conversations/${own.id}.json`)
        .set('Authorization', globex.auth)
        .send({ socket_id: 'moved.1', [field]: acme.tenantId });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { [field]: ['is not a known field'] } });
      expect(await conversationRow(t.db, own.id)).toEqual(before);
    });
  });

  describe('public routes', () => {
    it('should answer GET /health with 200 when there is no Authorization header', async () => {
      const res = await t.http.get('/health');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok' });
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it('should answer GET /health with 200 even when the Authorization header is invalid', async () => {
      const res = await t.http.get('/health').set('Authorization', 'Bearer nonsense');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok' });
    });
  });
});
