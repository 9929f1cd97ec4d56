import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContact, createTenant, TestTenant } from './support/factories';
import { BASE } from './support/desk';
import { createTestApp, TestApp } from './support/test-app';

// Every table a tenant owns; a sweep compares the victim's rows before and after.
const TENANT_TABLES = [
  'users',
  'api_keys',
  'customers',
  'customer_contacts',
  'conversations',
  'conversation_users',
  'conversation_messages',
  'files',
  'idempotency_keys',
];

// One tenant's key against every endpoint that names another tenant's objects: each answer is a
// 404 (or a 400 naming the body field), no list shows them, and none of their rows changes.
describe('Tenant isolation across every Desk endpoint', () => {
  let t: TestApp;
  let victim: TestTenant;
  let intruder: TestTenant;
  let filesDir: string;
  const ids: Record<string, number> = {};
  let token: string;

  const snapshot = async () => {
    const tables: Record<string, unknown[]> = {};
    for (const table of TENANT_TABLES) {
      tables[table] = await t.db.query(`SELECT * FROM ${table} WHERE tenant_id = $1 ORDER BY 1, 2, 3`, [victim.tenantId]);
    }
    return tables;
  };

  beforeAll(async () => {
    filesDir = mkdtempSync(join(tmpdir(), 'tenancy-files-'));
    t = await createTestApp({ FILES_DIR: filesDir });
    [victim, intruder] = await Promise.all([createTenant(t, 'Victim'), createTenant(t, 'Intruder')]);
    const as = (method: 'post' | 'patch', path: string, body: object) =>
      t.http[method](`${BASE}/${path}`).set('Authorization', victim.auth).send(body);

    const customer = await as('post', 'customers.json', { firstName: 'Vic', email: 'vic@victim.test' });
    ids.customer = customer.body.customer.id;
    ids.contact = customer.body.customer.contacts[0].id;
    const agent = await as('post', 'users.json', { email: 'agent@victim.test', firstName: 'Val' });
    ids.agent = agent.body.user.id;
    const issued = await as('post', 'conversations/token.json', { contactId: ids.contact, users: [{ id: ids.agent }] });
    ids.conversation = issued.body.conversation.id;
    token = issued.body.conversation.token;
    const file = await t.http
      .post(`${BASE}/files.json`)
      .set('Authorization', victim.auth)
      .attach('file', Buffer.from('secret plans'), { filename: 'plans.txt', contentType: 'text/plain' });
    ids.file = file.body.file.id;
    const message = await as('post', 'conversationmessages.json', { conversationId: ids.conversation, message: 'private', files: [ids.file] });
    ids.message = message.body.conversationmessage.id;
    for (const [name, id] of Object.entries(ids)) expect({ name, id }).toEqual({ name, id: expect.any(Number) });
    // The intruder has objects of its own, so its lists are not trivially empty.
    const own = await createContact(t.db, intruder.tenantId);
    const ownConversation = await t.http.post(`${BASE}/conversations.json`).set('Authorization', intruder.auth).send({ contactId: own.contactId });
    await t.http
      .post(`${BASE}/conversationmessages.json`)
      .set('Authorization', intruder.auth)
      .send({ conversationId: ownConversation.body.conversation.id, message: 'mine' })
      .expect(201);
  });
  afterAll(async () => {
    await t.close();
    rmSync(filesDir, { recursive: true, force: true });
  });

  it('should answer 404 for every read, change and delete of the other tenant by id, and change nothing', async () => {
    const before = await snapshot();
    const calls: [string, string, object?][] = [
      ['get', `conversations/${ids.conversation}.json`],
      ['patch', `conversations/${ids.conversation}.json`, { socket_id: 'hijack' }],
      ['delete', `conversations/${ids.conversation}.json`],
      ['post', 'conversations/token.json', { id: ids.conversation }],
      ['get', `conversations/${ids.conversation}/messages.json`],
      ['get', `conversationmessages/${ids.message}.json`],
      ['patch', `conversationmessages/${ids.message}.json`, { message: 'defaced' }],
      ['delete', `conversationmessages/${ids.message}.json`],
      ['get', `customers/${ids.customer}.json`],
      ['put', `customers/${ids.customer}.json`, { firstName: 'X', contacts: [{ type: 'email', value: 'x@intruder.test' }] }],
      ['patch', `customers/${ids.customer}.json`, { firstName: 'X' }],
      ['delete', `customers/${ids.customer}.json`],
      ['get', `customers/${ids.customer}/conversations.json`],
      ['get', `users/${ids.agent}.json`],
      ['get', `files/${ids.file}.json`],
      ['get', `files/${ids.file}/download`],
    ];
    for (const [method, path, body] of calls) {
      const call = (t.http as unknown as Record<string, (url: string) => import('supertest').Test>)[method](`${BASE}/${path}`).set(
        'Authorization',
        intruder.auth,
      );
      const res = body ? await call.send(body) : await call;
      expect({ method, path, status: res.status, hasErrors: Object.keys(res.body.errors ?? {}).length > 0 }).toEqual({
        method,
        path,
        status: 404,
        hasErrors: true,
      });
    }
    // An admin of the intruder may patch users; never the victim's.
    const patchUser = await t.http.patch(`${BASE}/users/${ids.agent}.json`).set('Authorization', intruder.auth).send({ state: 'deleted' });
    expect(patchUser.status).toBe(404);
    expect(await snapshot()).toEqual(before);
  });

  it("should refuse the other tenant's ids inside bodies with a 400 naming the field, and change nothing", async () => {
    const before = await snapshot();
    const calls: [string, object, string][] = [
      ['conversations.json', { contactId: ids.contact }, 'contactId'],
      ['conversations.json', { contact: { id: ids.contact } }, 'contact.id'],
      ['conversationmessages.json', { conversationId: ids.conversation, message: 'hi' }, 'conversationId'],
    ];
    for (const [path, body, field] of calls) {
      const res = await t.http.post(`${BASE}/${path}`).set('Authorization', intruder.auth).send(body);
      expect({ path, status: res.status, errors: res.body.errors }).toEqual({ path, status: 400, errors: { [field]: ['does not exist'] } });
    }
    const mine = await createContact(t.db, intruder.tenantId);
    const conversation = await t.http.post(`${BASE}/conversations.json`).set('Authorization', intruder.auth).send({ contactId: mine.contactId });
    const refs: [object, string][] = [
      [{ conversationId: conversation.body.conversation.id, message: 'x', files: [ids.file] }, 'files[0]'],
      [{ conversationId: conversation.body.conversation.id, message: 'x', userId: ids.agent }, 'userId'],
      [{ conversationId: conversation.body.conversation.id, message: 'x', contactId: ids.contact }, 'contactId'],
    ];
    for (const [body, field] of refs) {
      const res = await t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', intruder.auth).send(body);
      expect({ field, status: res.status, errors: res.body.errors }).toEqual({ field, status: 400, errors: { [field]: ['does not exist'] } });
    }
    const participant = await t.http
      .patch(`${BASE}/conversations/${conversation.body.conversation.id}.json`)
      .set('Authorization', intruder.auth)
      .send({ users: [{ id: ids.agent }] });
    expect(participant.status).toBe(400);
    // The victim's email is the victim's contact: the intruder gets a customer of its own.
    const sameEmail = await t.http.post(`${BASE}/customers.json`).set('Authorization', intruder.auth).send({ email: 'vic@victim.test' });
    expect(sameEmail.status).toBe(201);
    expect(sameEmail.body.customer.id).not.toBe(ids.customer);
    expect(await snapshot()).toEqual(before);
  });

  it("should never list the other tenant's objects, whatever the filter", async () => {
    const lists: [string, string, number, object][] = [
      ['conversations.json', 'conversations', ids.conversation, { id: ids.conversation }],
      ['conversationmessages.json', 'conversationmessages', ids.message, { id: ids.message }],
      ['customers.json', 'customers', ids.customer, { 'contacts.value': { $in: ['vic@victim.test'] }, id: ids.customer }],
      ['users.json', 'users', ids.agent, { id: ids.agent }],
    ];
    for (const [path, key, victimsId, filter] of lists) {
      const all = await t.http.get(`${BASE}/${path}?pageSize=100&filter=${encodeURIComponent('{"state":{"$in":["active","deleted"]}}')}`).set('Authorization', intruder.auth);
      const shown = all.body[key].map((x: { id: number }) => x.id);
      expect({ path, status: all.status, hasOwn: shown.length > 0, showsVictims: shown.includes(victimsId) }).toEqual({
        path,
        status: 200,
        hasOwn: true,
        showsVictims: false,
      });
      const filtered = await t.http.get(`${BASE}/${path}`).query({ filter: JSON.stringify(filter) }).set('Authorization', intruder.auth);
      expect({ path, status: filtered.status, rows: filtered.body[key], count: filtered.body.meta.page.count }).toEqual({
        path,
        status: 200,
        rows: [],
        count: 0,
      });
    }
  });

  it('should keep Idempotency-Keys per tenant: the same key replays nothing of the other tenant', async () => {
    await t.http
      .post(`${BASE}/customers.json`)
      .set('Authorization', victim.auth)
      .set('Idempotency-Key', 'same-key')
      .send({ email: 'keyed@victim.test' })
      .expect(201);
    const res = await t.http
      .post(`${BASE}/customers.json`)
      .set('Authorization', intruder.auth)
      .set('Idempotency-Key', 'same-key')
      .send({ email: 'keyed@victim.test' });
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'same-key'`);
    expect(n).toBe(2);
  });

  it("should show the widget only its own conversation's history", async () => {
    const res = await t.http.get(`${BASE}/conversationmessages/history/${token}.json`);
    expect(res.status).toBe(200);
    expect(res.body.conversationmessages.map((m: { id: number }) => m.id)).toEqual([ids.message]);
    // The token of one conversation is no key: API endpoints refuse it.
    const asKey = await t.http.get(`${BASE}/conversations.json`).set('Authorization', `Bearer ${token}`);
    expect(asKey.status).toBe(401);
  });
});
