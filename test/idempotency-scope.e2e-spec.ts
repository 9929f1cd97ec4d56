import { ApiKeysService } from '../apps/api/src/auth/api-keys.service';
import { BASE } from './support/desk';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const VERSION = '2021-07-28';
// Every admin-only write: agents, teams, and the eight ticket settings kinds.
const SETTING_KINDS = ['inboxes', 'ticketstatuses', 'ticketpriorities', 'tickettypes', 'ticketsources', 'tags', 'customfields', 'tickettemplates'];
// Agents (create, change), teams (create, change, delete), each settings kind's three writes, and
// every operation on webhooks (nine, reads too).
const ADMIN_ONLY_OPERATIONS = 2 + 3 + SETTING_KINDS.length * 3 + 9;
const SETTING_TABLES = ['inboxes', 'ticket_statuses', 'ticket_priorities', 'ticket_types', 'ticket_sources', 'tags', 'custom_fields', 'ticket_templates'];

let sequence = 0;
const unique = (prefix = 'n') => `${prefix}-${Date.now().toString(36)}${(sequence++).toString(36)}`;

// A valid creating body per admin-only collection.
function bodyFor(path: string): Record<string, unknown> {
  if (path === 'users') return { email: `${unique('agent')}@example.test` };
  if (path === 'customfields') return { name: unique('Field'), type: 'text' };
  return { name: unique('Setting') };
}

// Idempotency-Key answers are served to the API key that caused them, after the guards: never to
// another key, never to a caller the route refuses.
describe('Idempotency keys: scoped to the API key, replayed only after authorisation', () => {
  let t: TestApp;
  let acme: TestTenant;
  let agent: { id: number; auth: string };
  let other: { id: number; auth: string };

  beforeAll(async () => {
    t = await createTestApp();
    acme = await createTenant(t, 'Acme');
    [agent, other] = await Promise.all([createAgent(t, acme.tenantId), createAgent(t, acme.tenantId)]);
  });
  afterAll(() => t.close());

  const desk = (method: 'post' | 'patch' | 'delete', path: string, auth: string, key?: string) => {
    const req = t.http[method](`${BASE}/${path}`).set('Authorization', auth);
    return key === undefined ? req : req.set('Idempotency-Key', key);
  };
  const hl = (path: string, auth: string, key: string, body: object) =>
    t.http.post(path).set('Authorization', auth).set('Version', VERSION).set('Idempotency-Key', key).send(body);

  // What an agent could have changed: every row of the admin-only tables, as text.
  const adminState = async (): Promise<string> => {
    const parts = await Promise.all(
      ['users', 'teams', ...SETTING_TABLES].map((table) => t.db.query(`SELECT * FROM ${table} WHERE tenant_id = $1 ORDER BY id`, [acme.tenantId])),
    );
    return JSON.stringify(parts);
  };

  describe('admin-only routes', () => {
    it('should refuse an agent with 403 on every operation the API documents as admins only, before the body is read', async () => {
      const doc = (await t.http.get('/docs-json')).body as { paths: Record<string, Record<string, { summary?: string }>> };
      const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.entries(methods)
          .filter(([, op]) => op.summary?.includes('(admins only'))
          .map(([method]) => ({ method: method as 'post' | 'patch' | 'delete', path: path.replace(`${BASE}/`, '').replace('{id}', String(acme.adminId)) })),
      );
      expect(operations).toHaveLength(ADMIN_ONLY_OPERATIONS);
      const before = await adminState();
      for (const { method, path } of operations) {
        // An empty body would be a 400 if validation ran first: the guard answers before it.
        const res = await desk(method, path, agent.auth).send({});
        expect({ method, path, status: res.status, code: res.headers['x-error-code'] }).toEqual({ method, path, status: 403, code: 'ADMIN_REQUIRED' });
      }
      expect(await adminState()).toBe(before);
    });

    it.each(['users', ...SETTING_KINDS])(
      'should answer an agent 403, not the admin’s stored answer, when it sends the admin’s Idempotency-Key and body to POST /%s.json',
      async (path) => {
        const key = unique('key');
        const body = bodyFor(path);
        const first = await desk('post', `${path}.json`, acme.auth, key).send(body);
        expect(first.status).toBe(201);
        const before = await adminState();

        const replay = await desk('post', `${path}.json`, agent.auth, key).send(body);
        expect(replay.status).toBe(403);
        expect(replay.headers['x-error-code']).toBe('ADMIN_REQUIRED');
        expect(replay.headers['idempotent-replayed']).toBeUndefined();
        expect(await adminState()).toBe(before);
        // The admin still gets its own answer.
        const own = await desk('post', `${path}.json`, acme.auth, key).send(body);
        expect(own.headers['idempotent-replayed']).toBe('true');
        expect(own.body).toEqual(first.body);
      },
    );

    it('should refuse the replay of an admin demoted since its first request', async () => {
      const admin = await createAgent(t, acme.tenantId, { role: 'admin' });
      const body = { name: unique('Tag') };
      expect((await desk('post', 'tags.json', admin.auth, 'demoted').send(body)).status).toBe(201);
      expect((await desk('patch', `users/${admin.id}.json`, acme.auth).send({ role: 'agent' })).status).toBe(200);

      const replay = await desk('post', 'tags.json', admin.auth, 'demoted').send(body);
      expect(replay.status).toBe(403);
      expect(replay.headers['idempotent-replayed']).toBeUndefined();
      expect(await t.db.query(`SELECT count(*)::int AS n FROM tags WHERE tenant_id = $1 AND name = $2`, [acme.tenantId, body.name])).toEqual([{ n: 1 }]);
    });
  });

  describe('one key, several API keys', () => {
    async function conversation(): Promise<{ id: number; contactId: number }> {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const res = await desk('post', 'conversations.json', acme.auth).send({ contactId });
      expect(res.status).toBe(201);
      return { id: res.body.conversation.id, contactId };
    }
    const keyRows = (key: string) =>
      t.db.query(
        `SELECT k.api_key_id, a.user_id, k.response_status FROM idempotency_keys k
           JOIN api_keys a ON a.tenant_id = k.tenant_id AND a.id = k.api_key_id
          WHERE k.tenant_id = $1 AND k.key = $2 ORDER BY a.user_id, k.api_key_id`,
        [acme.tenantId, key],
      );

    it('should execute the same key and body once per API key, and replay each its own answer', async () => {
      const c = await conversation();
      const body = { conversationId: c.id, message: 'the same words' };
      const mine = await desk('post', 'conversationmessages.json', agent.auth, 'collide').send(body);
      const theirs = await desk('post', 'conversationmessages.json', other.auth, 'collide').send(body);
      expect([mine.status, theirs.status]).toEqual([201, 201]);
      expect(theirs.headers['idempotent-replayed']).toBeUndefined();
      expect(mine.body.conversationmessage.userId).toBe(agent.id);
      expect(theirs.body.conversationmessage.userId).toBe(other.id);

      const [mineAgain, theirsAgain] = await Promise.all([
        desk('post', 'conversationmessages.json', agent.auth, 'collide').send(body),
        desk('post', 'conversationmessages.json', other.auth, 'collide').send(body),
      ]);
      expect(mineAgain.body).toEqual(mine.body);
      expect(theirsAgain.body).toEqual(theirs.body);
      expect([mineAgain.headers['idempotent-replayed'], theirsAgain.headers['idempotent-replayed']]).toEqual(['true', 'true']);

      const stored = await t.db.query(`SELECT user_id FROM conversation_messages WHERE conversation_id = $1 ORDER BY id`, [c.id]);
      expect(stored).toEqual([{ user_id: agent.id }, { user_id: other.id }]);
      const keys = (await keyRows('collide')).map((r: { user_id: number; response_status: number }) => [r.user_id, r.response_status]);
      expect(keys).toEqual([agent.id, other.id].sort((x, y) => x - y).map((id) => [id, 201]));
    });

    it('should treat two API keys of one agent as two callers, and another body under another key as no reuse', async () => {
      const c = await conversation();
      const second = await t.app.get(ApiKeysService).issue(acme.tenantId, agent.id, 'second', null);
      const first = await desk('post', 'conversationmessages.json', agent.auth, 'two-keys').send({ conversationId: c.id, message: 'one' });
      const again = await desk('post', 'conversationmessages.json', `Bearer ${second.plaintext}`, 'two-keys').send({ conversationId: c.id, message: 'two' });
      expect([first.status, again.status]).toEqual([201, 201]);
      expect(again.headers['idempotent-replayed']).toBeUndefined();
      const rows = await keyRows('two-keys');
      expect(rows.map((r: { api_key_id: number }) => r.api_key_id)).toContain(second.apiKey.id);
      expect(rows).toHaveLength(2);
      expect(await t.db.query(`SELECT message FROM conversation_messages WHERE conversation_id = $1 ORDER BY id`, [c.id])).toEqual([
        { message: 'one' },
        { message: 'two' },
      ]);
    });

    it('should scope HighLevel’s send and create the same way', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const send = { type: 'Live_Chat', contactId: String(contactId), message: 'Hello from HighLevel' };
      const a = await hl('/conversations/messages', agent.auth, 'hl-send', send);
      const b = await hl('/conversations/messages', other.auth, 'hl-send', send);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(b.headers['idempotent-replayed']).toBeUndefined();
      expect(b.body.messageId).not.toBe(a.body.messageId);
      const replay = await hl('/conversations/messages', other.auth, 'hl-send', send);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(b.body);
      const authors = await t.db.query(`SELECT user_id FROM conversation_messages WHERE id = ANY($1::bigint[]) ORDER BY id`, [[a.body.messageId, b.body.messageId]]);
      expect(authors).toEqual([{ user_id: agent.id }, { user_id: other.id }]);

      // Another body under the same Idempotency-Key but another API key is not a reused key (422).
      const [x, y] = await Promise.all([createContact(t.db, acme.tenantId), createContact(t.db, acme.tenantId)]);
      const created = await hl('/conversations/', agent.auth, 'hl-create', { locationId: acme.locationId, contactId: String(x.contactId) });
      const createdToo = await hl('/conversations/', other.auth, 'hl-create', { locationId: acme.locationId, contactId: String(y.contactId) });
      expect([created.status, createdToo.status]).toEqual([200, 200]);
      expect(createdToo.body.conversation.contactId).toBe(String(y.contactId));
      expect(await t.db.query(`SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1 AND contact_id = $2`, [acme.tenantId, y.contactId])).toEqual([
        { n: 1 },
      ]);
    });
  });
});
