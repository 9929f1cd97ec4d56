import { randomBytes } from 'node:crypto';
import { ApiKeysService } from '../apps/api/src/auth/api-keys.service';
import { BASE, ISO } from './support/desk';
import { createAgent, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const USER_FIELDS = ['availability', 'createdAt', 'createdBy', 'email', 'firstName', 'id', 'lastName', 'role', 'state', 'updatedAt', 'updatedBy'];
const ADMIN_ONLY = { errors: { _: ['only an admin may create or change agents'] } };

const uniqueEmail = (prefix = 'agent') => `${prefix}-${randomBytes(5).toString('hex')}@example.test`;

describe('Agents (Desk v2)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;

  beforeAll(async () => {
    t = await createTestApp();
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
  });
  afterAll(() => t.close());

  const post = (body: unknown, auth = acme.auth) => t.http.post(`${BASE}/users.json`).set('Authorization', auth).send(body as object);
  const patch = (id: number, body: unknown, auth = acme.auth) =>
    t.http.patch(`${BASE}/users/${id}.json`).set('Authorization', auth).send(body as object);
  const get = (path: string, auth = acme.auth) => t.http.get(`${BASE}/${path}`).set('Authorization', auth);
  const userRow = async (id: number): Promise<Record<string, unknown>> =>
    (await t.db.query(`SELECT * FROM users WHERE id = $1`, [id]))[0];
  const countUsers = async (tenantId = acme.tenantId): Promise<number> =>
    (await t.db.query(`SELECT count(*)::int AS n FROM users WHERE tenant_id = $1`, [tenantId]))[0].n;

  describe('POST /users.json', () => {
    it('should create an agent with every field when an admin asks', async () => {
      const email = uniqueEmail('Jane.Doe');
      const res = await post({ user: { email, firstName: 'Jane', lastName: 'Doe', role: 'agent' } });

      expect(res.status).toBe(201);
      expect(Object.keys(res.body)).toEqual(['user']);
      const user = res.body.user;
      expect(Object.keys(user).sort()).toEqual(USER_FIELDS);
      expect(user).toMatchObject({
        email,
        firstName: 'Jane',
        lastName: 'Doe',
        role: 'agent',
        state: 'active',
        createdBy: { id: acme.adminId, type: 'users' },
        updatedBy: { id: acme.adminId, type: 'users' },
      });
      expect(user.createdAt).toMatch(ISO);
      expect(await userRow(user.id)).toMatchObject({ tenant_id: acme.tenantId, email, first_name: 'Jane', last_name: 'Doe', role: 'agent', state: 'active', created_by: acme.adminId });
    });

    it('should accept the bare object, default to the agent role, and ignore read-only fields', async () => {
      const res = await post({ email: uniqueEmail(), id: 999999, state: 'deleted', createdAt: '2001-01-01T00:00:00Z' });
      expect(res.status).toBe(201);
      expect(res.body.user).toMatchObject({ role: 'agent', firstName: '', lastName: '', state: 'active' });
      expect(res.body.user.id).not.toBe(999999);
    });

    it('should create an admin when asked', async () => {
      const res = await post({ user: { email: uniqueEmail('admin'), role: 'admin' } });
      expect(res.status).toBe(201);
      expect(res.body.user.role).toBe('admin');
    });

    it.each([
      ['no email', {}, { email: ['must be set'] }],
      ['a bad email', { email: 'not-an-email' }, { email: ['must be a valid email address'] }],
      ['an email that is a number', { email: 5 }, { email: ['must be a string'] }],
      ['an unknown role', { email: 'x@example.test', role: 'owner' }, { role: ['must be one of ‘admin, agent’'] }],
      ['a long first name', { email: 'x@example.test', firstName: 'x'.repeat(101) }, { firstName: ['must be shorter than 101 characters'] }],
      ['an unknown field', { email: 'x@example.test', colour: 'red' }, { colour: ['is not a known field'] }],
    ])('should answer 400 and create nothing when given %s', async (_case, body, errors) => {
      const before = await countUsers();
      const res = await post({ user: body });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
      expect(await countUsers()).toBe(before);
    });

    it('should answer 409 naming the existing agent when an active agent has the email in another case', async () => {
      const email = uniqueEmail('taken');
      const first = await post({ email });
      const before = await countUsers();

      const res = await post({ email: email.toUpperCase() });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        errors: { email: [`is already used by user ${first.body.user.id}`], _: [`user ${first.body.user.id} already has this email`] },
      });
      expect(res.headers['x-error-code']).toBe('USER_EMAIL_TAKEN');
      expect(await countUsers()).toBe(before);
    });

    it('should create one agent and refuse the rest when the same email arrives concurrently', async () => {
      const email = uniqueEmail('race');
      const results = await Promise.all(Array.from({ length: 6 }, () => post({ email })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      const rows = await t.db.query(`SELECT id FROM users WHERE tenant_id = $1 AND lower(email) = lower($2)`, [acme.tenantId, email]);
      expect(rows).toHaveLength(1);
    });

    it('should let a new agent take the email of a deactivated one, and another tenant use the same email', async () => {
      const email = uniqueEmail('reused');
      const old = await post({ email });
      expect((await patch(old.body.user.id, { state: 'deleted' })).status).toBe(200);
      expect((await post({ email })).status).toBe(201);
      expect((await post({ email }, globex.auth)).status).toBe(201);
    });

    it('should answer 403 in the Desk dialect and create nothing when an agent asks', async () => {
      const agent = await createAgent(t, acme.tenantId);
      const before = await countUsers();
      const res = await post({ email: uniqueEmail() }, agent.auth);
      expect(res.status).toBe(403);
      expect(res.body).toEqual(ADMIN_ONLY);
      expect(res.headers['x-error-code']).toBe('ADMIN_REQUIRED');
      expect(await countUsers()).toBe(before);
    });

    describe('with an Idempotency-Key', () => {
      it('should replay the first answer and create one agent when the request is repeated', async () => {
        const key = `users-${randomBytes(6).toString('hex')}`;
        const body = { user: { email: uniqueEmail('idem'), firstName: 'Ida' } };
        const first = await post(body).set('Idempotency-Key', key);
        const again = await post(body).set('Idempotency-Key', key);

        expect(first.status).toBe(201);
        expect(again.status).toBe(201);
        expect(again.body).toEqual(first.body);
        expect(again.headers['idempotent-replayed']).toBe('true');
        const rows = await t.db.query(`SELECT id FROM users WHERE tenant_id = $1 AND email = $2`, [acme.tenantId, body.user.email]);
        expect(rows).toEqual([{ id: first.body.user.id }]);
      });

      it('should answer 409 and create nothing when the key comes back with another body', async () => {
        const key = `users-${randomBytes(6).toString('hex')}`;
        expect((await post({ email: uniqueEmail() }).set('Idempotency-Key', key)).status).toBe(201);
        const before = await countUsers();
        const other = await post({ email: uniqueEmail() }).set('Idempotency-Key', key);
        expect(other.status).toBe(409);
        expect(other.headers['x-error-code']).toBe('IDEMPOTENCY_KEY_REUSED');
        expect(await countUsers()).toBe(before);
      });

      it('should replay a refusal as a refusal: a 409 for a taken email is not recorded, so a retry is refused again', async () => {
        const email = uniqueEmail('taken-idem');
        await post({ email });
        const key = `users-${randomBytes(6).toString('hex')}`;
        const first = await post({ email }).set('Idempotency-Key', key);
        const again = await post({ email }).set('Idempotency-Key', key);
        expect([first.status, again.status]).toEqual([409, 409]);
        expect(again.headers['idempotent-replayed']).toBeUndefined();
      });
    });
  });

  describe('GET /users.json, /users/{id}.json and /me.json', () => {
    let listed: TestTenant;
    let agentIds: number[];

    beforeAll(async () => {
      listed = await createTenant(t, 'Listed');
      agentIds = [];
      for (const [email, firstName, role] of [
        ['Zed@Example.test', 'Zed', 'agent'],
        ['amy@example.test', 'Amy', 'admin'],
        ['bob@example.test', 'Bob', 'agent'],
      ]) {
        const res = await post({ email, firstName, role }, listed.auth);
        agentIds.push(res.body.user.id);
      }
      await patch(agentIds[2], { state: 'deleted' }, listed.auth);
    });

    it('should list the active agents of the tenant, oldest id first, with page meta', async () => {
      const res = await get('users.json', listed.auth);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['meta', 'users']);
      expect(res.body.users.map((u: { id: number }) => u.id)).toEqual([listed.adminId, agentIds[0], agentIds[1]]);
      expect(Object.keys(res.body.users[0]).sort()).toEqual(USER_FIELDS);
      expect(res.body.meta.page).toMatchObject({ count: 3, pageSize: 50, pageOffset: 0, pages: 1, hasMore: false });
    });

    it('should filter by email without regard to case, by role, by state, and order by createdAt', async () => {
      const byEmail = await get(`users.json?filter=${encodeURIComponent(JSON.stringify({ email: 'zed@EXAMPLE.test' }))}`, listed.auth);
      expect(byEmail.body.users.map((u: { id: number }) => u.id)).toEqual([agentIds[0]]);

      const admins = await get(`users.json?filter=${encodeURIComponent(JSON.stringify({ role: 'admin' }))}`, listed.auth);
      expect(admins.body.users.map((u: { id: number }) => u.id)).toEqual([listed.adminId, agentIds[1]]);

      const deleted = await get(`users.json?filter=${encodeURIComponent(JSON.stringify({ state: 'deleted' }))}`, listed.auth);
      expect(deleted.body.users.map((u: { id: number; state: string }) => [u.id, u.state])).toEqual([[agentIds[2], 'deleted']]);
      expect(deleted.body.users[0]).toHaveProperty('deletedAt');

      const named = await get(`users.json?filter=${encodeURIComponent(JSON.stringify({ firstName: { $in: ['Amy', 'Zed'] } }))}&orderBy=createdAt&orderMode=desc`, listed.auth);
      expect(named.body.users.map((u: { id: number }) => u.id)).toEqual([agentIds[1], agentIds[0]]);
    });

    it('should pick fields and page', async () => {
      const res = await get('users.json?fields=email&pageSize=2&page=2', listed.auth);
      expect(res.status).toBe(200);
      expect(res.body.users).toEqual([{ id: agentIds[1], email: 'amy@example.test' }]);
      expect(res.body.meta.page).toMatchObject({ count: 3, pageSize: 2, pageOffset: 2, pages: 2, hasMore: false });
    });

    it.each([
      ['an unknown filter field', `filter=${encodeURIComponent('{"password":"x"}')}`, 'filter'],
      ['an order that is not indexed', 'orderBy=email', 'orderBy'],
      ['an unknown field', 'fields=password', 'fields'],
    ])('should answer 400 to %s', async (_case, query, parameter) => {
      const res = await get(`users.json?${query}`, listed.auth);
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.errors)).toEqual([parameter]);
    });

    it('should show nothing of another tenant in its list', async () => {
      const res = await get(`users.json?filter=${encodeURIComponent(JSON.stringify({ id: { $in: agentIds } }))}`, globex.auth);
      expect(res.status).toBe(200);
      expect(res.body.users).toEqual([]);
      const all = await get('users.json?pageSize=100', globex.auth);
      const tenants = await t.db.query(`SELECT DISTINCT tenant_id FROM users WHERE id = ANY($1)`, [all.body.users.map((u: { id: number }) => u.id)]);
      expect(tenants).toEqual([{ tenant_id: globex.tenantId }]);
    });

    it('should get one agent, a deactivated one too, with sparse fields', async () => {
      const res = await get(`users/${agentIds[0]}.json`, listed.auth);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: expect.objectContaining({ id: agentIds[0], email: 'Zed@Example.test', firstName: 'Zed', role: 'agent', state: 'active' }) });
      expect(Object.keys(res.body.user).sort()).toEqual(USER_FIELDS);

      const deleted = await get(`users/${agentIds[2]}.json?fields=state`, listed.auth);
      expect(deleted.body).toEqual({ user: { id: agentIds[2], state: 'deleted' } });
    });

    it('should answer 404 for another tenant’s agent and for an unknown id', async () => {
      for (const [path, auth] of [
        [`users/${agentIds[0]}.json`, globex.auth],
        ['users/999999.json', listed.auth],
      ]) {
        const res = await get(path, auth);
        expect(res.status).toBe(404);
        expect(res.body.errors._).toHaveLength(1);
        expect(res.headers['x-error-code']).toBe('USER_NOT_FOUND');
      }
    });

    it('should answer the caller at /me.json, for agents as for admins', async () => {
      const agent = await createAgent(t, listed.tenantId);
      const me = await get('me.json', agent.auth);
      expect(me.status).toBe(200);
      expect(me.body.user).toMatchObject({ id: agent.id, role: 'agent', state: 'active' });
      expect(Object.keys(me.body.user).sort()).toEqual(USER_FIELDS);
      expect((await get('me.json', listed.auth)).body.user).toMatchObject({ id: listed.adminId, role: 'admin' });
    });

    it("should show the caller's tenant at /me.json, with the locationId the HighLevel dialect knows it by", async () => {
      const [row] = await t.db.query(`SELECT name, location_id FROM tenants WHERE id = $1`, [acme.tenantId]);
      const me = await get('me.json');
      expect(me.body.tenant).toEqual({ id: acme.tenantId, name: row.name, locationId: row.location_id });
      expect(me.body.tenant.locationId).toMatch(/^[A-Za-z0-9]{20}$/);
      const other = await get('me.json', globex.auth);
      expect(other.body.tenant.id).toBe(globex.tenantId);
      expect(other.body.tenant.locationId).not.toBe(me.body.tenant.locationId);
      // A sparse fieldset narrows the user, not the tenant.
      const narrow = await get('me.json?fields=email');
      expect(narrow.body).toEqual({ user: { id: acme.adminId, email: expect.any(String) }, tenant: me.body.tenant });
    });

    it('should let an agent read the directory', async () => {
      const agent = await createAgent(t, listed.tenantId);
      expect((await get('users.json', agent.auth)).status).toBe(200);
      expect((await get(`users/${listed.adminId}.json`, agent.auth)).status).toBe(200);
    });
  });

  describe('PATCH /users/{id}.json', () => {
    it('should change only the given properties and move updatedAt', async () => {
      const created = (await post({ email: uniqueEmail(), firstName: 'Old', lastName: 'Name' })).body.user;
      const email = uniqueEmail('new');
      const res = await patch(created.id, { user: { firstName: 'New', email, role: 'admin' } });

      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ id: created.id, firstName: 'New', lastName: 'Name', email, role: 'admin', state: 'active' });
      expect(Date.parse(res.body.user.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
      expect(await userRow(created.id)).toMatchObject({ first_name: 'New', last_name: 'Name', email, role: 'admin', updated_by: acme.adminId });
    });

    it('should leave updatedAt as it was when nothing changes', async () => {
      const created = (await post({ email: uniqueEmail(), firstName: 'Same' })).body.user;
      const res = await patch(created.id, { firstName: 'Same', lastName: '' });
      expect(res.status).toBe(200);
      expect(res.body.user.updatedAt).toBe(created.updatedAt);
    });

    it('should answer 409 when the new email belongs to another active agent, and change nothing', async () => {
      const taken = (await post({ email: uniqueEmail('holder') })).body.user;
      const other = (await post({ email: uniqueEmail('other') })).body.user;
      const res = await patch(other.id, { email: taken.email.toUpperCase(), firstName: 'Changed' });
      expect(res.status).toBe(409);
      expect(res.body.errors.email).toEqual([`is already used by user ${taken.id}`]);
      expect(await userRow(other.id)).toMatchObject({ email: other.email, first_name: '' });
      // Its own email in another case is not a conflict.
      expect((await patch(other.id, { email: other.email.toUpperCase() })).status).toBe(200);
    });

    it.each([
      ['null for a name', { firstName: null }, { firstName: ['must be set'] }],
      ['an unknown state', { state: 'archived' }, { state: ['must be one of ‘active, deleted’'] }],
      ['a bad email', { email: 'nope' }, { email: ['must be a valid email address'] }],
    ])('should answer 400 when given %s', async (_case, body, errors) => {
      const created = (await post({ email: uniqueEmail() })).body.user;
      const res = await patch(created.id, body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
    });

    it('should deactivate an agent, revoke its API keys in the same change, and refuse its next request with 401', async () => {
      const agent = await createAgent(t, acme.tenantId);
      const before = await userRow(agent.id);
      expect((await get('me.json', agent.auth)).status).toBe(200);

      const res = await patch(agent.id, { state: 'deleted' });
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ id: agent.id, state: 'deleted', deletedBy: { id: acme.adminId, type: 'users' } });
      expect(res.body.user.deletedAt).toMatch(ISO);
      // A delete leaves updatedAt as it was.
      expect(res.body.user.updatedAt).toBe((before.updated_at as Date).toISOString());

      const keys = await t.db.query(`SELECT state, deleted_by FROM api_keys WHERE tenant_id = $1 AND user_id = $2`, [acme.tenantId, agent.id]);
      expect(keys).toEqual([{ state: 'deleted', deleted_by: acme.adminId }]);
      const refused = await get('me.json', agent.auth);
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({ errors: { _: ['invalid or revoked API key'] } });
    });

    it('should restore a deactivated agent without bringing its keys back', async () => {
      const agent = await createAgent(t, acme.tenantId);
      await patch(agent.id, { state: 'deleted' });
      const res = await patch(agent.id, { state: 'active' });
      expect(res.status).toBe(200);
      expect(res.body.user.state).toBe('active');
      expect(res.body.user).not.toHaveProperty('deletedAt');
      expect(await userRow(agent.id)).toMatchObject({ state: 'active', deleted_at: null, deleted_by: null });
      expect((await get('me.json', agent.auth)).status).toBe(401);
    });

    it('should answer 409 when restoring an agent whose email an active agent has taken since', async () => {
      const email = uniqueEmail('restore');
      const old = (await post({ email })).body.user;
      await patch(old.id, { state: 'deleted' });
      const successor = (await post({ email })).body.user;
      const res = await patch(old.id, { state: 'active' });
      expect(res.status).toBe(409);
      expect(res.body.errors.email).toEqual([`is already used by user ${successor.id}`]);
      expect((await userRow(old.id)).state).toBe('deleted');
    });

    it('should answer 403 and change nothing when an agent patches anyone, itself included', async () => {
      const agent = await createAgent(t, acme.tenantId);
      for (const [id, body] of [
        [acme.adminId, { state: 'deleted' }],
        [agent.id, { role: 'admin' }],
      ] as const) {
        const before = await userRow(id);
        const res = await patch(id, body, agent.auth);
        expect(res.status).toBe(403);
        expect(res.body).toEqual(ADMIN_ONLY);
        expect(await userRow(id)).toEqual(before);
      }
      const keys = await t.db.query(`SELECT state FROM api_keys WHERE tenant_id = $1 AND user_id = $2`, [acme.tenantId, acme.adminId]);
      expect(keys.every((k: { state: string }) => k.state === 'active')).toBe(true);
    });

    it('should answer 404 to an admin of another tenant and change nothing', async () => {
      const created = (await post({ email: uniqueEmail(), firstName: 'Mine' })).body.user;
      const res = await patch(created.id, { firstName: 'Theirs', state: 'deleted' }, globex.auth);
      expect(res.status).toBe(404);
      expect(res.body.errors._).toEqual([`user ${created.id} not found`]);
      expect(await userRow(created.id)).toMatchObject({ first_name: 'Mine', state: 'active' });
    });

    describe('the last active admin', () => {
      let solo: TestTenant;

      beforeAll(async () => {
        solo = await createTenant(t, 'Solo');
      });

      it.each([
        ['deactivate', { state: 'deleted' }, 'state'],
        ['demote', { role: 'agent' }, 'role'],
      ])('should answer 409 and change nothing when the only admin tries to %s itself', async (_case, body, field) => {
        const before = await userRow(solo.adminId);
        const res = await patch(solo.adminId, body, solo.auth);
        expect(res.status).toBe(409);
        expect(res.body).toEqual({
          errors: {
            [field]: ['would leave the tenant without an active admin'],
            _: [`user ${solo.adminId} is the tenant's last active admin; make another agent an admin first`],
          },
        });
        expect(res.headers['x-error-code']).toBe('USER_LAST_ADMIN');
        expect(await userRow(solo.adminId)).toEqual(before);
        expect((await get('me.json', solo.auth)).status).toBe(200);
      });

      it('should let an admin step down once another admin is active, and never let two admins demote each other at once', async () => {
        const second = (await post({ email: uniqueEmail('second'), role: 'admin' }, solo.auth)).body.user;
        const secondKey = await createAgentKey(second.id);
        const results = await Promise.all([
          patch(second.id, { role: 'agent' }, solo.auth),
          patch(solo.adminId, { role: 'agent' }, secondKey),
        ]);
        expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
        const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM users WHERE tenant_id = $1 AND role = 'admin' AND state = 'active'`, [solo.tenantId]);
        expect(n).toBe(1);
      });

      async function createAgentKey(userId: number): Promise<string> {
        const { plaintext } = await t.app.get(ApiKeysService).issue(solo.tenantId, userId, 'test', null);
        return `Bearer ${plaintext}`;
      }
    });
  });

  it('should document the endpoints in the OpenAPI document', async () => {
    const doc = (await t.http.get('/docs-json')).body;
    expect(Object.keys(doc.paths['/desk/api/v2/users.json']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/desk/api/v2/users/{id}.json']).sort()).toEqual(['get', 'patch']);
    expect(doc.paths['/desk/api/v2/me.json'].get.responses['200'].content['application/json'].schema.properties.user.properties).toHaveProperty('email');
    expect(Object.keys(doc.paths['/desk/api/v2/users.json'].post.responses).sort()).toEqual(['201', '400', '401', '403', '409', '413', '415', '429', '500', '503']);
  });
});
