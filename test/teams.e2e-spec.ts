import { BASE, ISO } from './support/desk';
import { createAgent, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const TEAM_FIELDS = ['assignment', 'createdAt', 'createdBy', 'id', 'name', 'state', 'updatedAt', 'updatedBy', 'users'];
const ADMIN_ONLY = { errors: { _: ['only an admin may change teams'] } };

describe('Teams (Desk v2)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;
  let agentA: { id: number; auth: string };
  let agentB: { id: number; auth: string };
  let sequence = 0;
  const name = (prefix = 'Team') => `${prefix} ${Date.now().toString(36)}${sequence++}`;

  beforeAll(async () => {
    t = await createTestApp();
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
    agentA = await createAgent(t, acme.tenantId);
    agentB = await createAgent(t, acme.tenantId);
  });
  afterAll(() => t.close());

  const post = (body: unknown, auth = acme.auth) => t.http.post(`${BASE}/teams.json`).set('Authorization', auth).send(body as object);
  const patch = (id: number, body: unknown, auth = acme.auth) => t.http.patch(`${BASE}/teams/${id}.json`).set('Authorization', auth).send(body as object);
  const get = (path: string, auth = acme.auth) => t.http.get(`${BASE}/${path}`).set('Authorization', auth);
  const remove = (id: number, auth = acme.auth) => t.http.delete(`${BASE}/teams/${id}.json`).set('Authorization', auth);
  const teamRow = async (id: number) => (await t.db.query(`SELECT * FROM teams WHERE id = $1`, [id]))[0];
  const memberRows = async (id: number): Promise<number[]> =>
    (await t.db.query(`SELECT user_id FROM team_members WHERE team_id = $1 ORDER BY user_id`, [id])).map((r: { user_id: number }) => r.user_id);
  const countTeams = async (tenantId = acme.tenantId): Promise<number> => (await t.db.query(`SELECT count(*)::int AS n FROM teams WHERE tenant_id = $1`, [tenantId]))[0].n;

  describe('POST /teams.json', () => {
    it('should create a team with members and an assignment when an admin asks', async () => {
      const teamName = name('Support');
      const res = await post({
        team: { name: `  ${teamName} `, users: [{ id: agentB.id, type: 'users' }, { id: agentA.id }], assignment: { mode: 'balanced', capacity: 5, onlyAvailable: true } },
      });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body)).toEqual(['team']);
      const team = res.body.team;
      expect(Object.keys(team).sort()).toEqual(TEAM_FIELDS);
      expect(team).toMatchObject({
        name: teamName,
        users: [agentA.id, agentB.id].sort((a, b) => a - b).map((id) => ({ id, type: 'users' })),
        assignment: { mode: 'balanced', capacity: 5, onlyAvailable: true },
        state: 'active',
        createdBy: { id: acme.adminId, type: 'users' },
        updatedBy: { id: acme.adminId, type: 'users' },
      });
      expect(team.createdAt).toMatch(ISO);
      expect(await teamRow(team.id)).toMatchObject({
        tenant_id: acme.tenantId,
        name: teamName,
        assignment_mode: 'balanced',
        assignment_capacity: 5,
        only_available: true,
        state: 'active',
        created_by: acme.adminId,
      });
      expect(await memberRows(team.id)).toEqual([agentA.id, agentB.id].sort((a, b) => a - b));
    });

    it('should default to manual assignment without a limit or members, from a bare body', async () => {
      const res = await post({ name: name(), id: 99999, state: 'deleted', createdAt: '2001-01-01T00:00:00Z' });
      expect(res.status).toBe(201);
      expect(res.body.team).toMatchObject({ users: [], assignment: { mode: 'manual', capacity: null, onlyAvailable: false }, state: 'active' });
      expect(res.body.team.id).not.toBe(99999);
    });

    it('should answer 400 with every field error and write nothing when the body is wrong', async () => {
      const before = await countTeams();
      const res = await post({ team: { name: '', users: [{ id: 'x' }, {}], assignment: { mode: 'fifo', capacity: 0, onlyAvailable: 'yes' }, colour: 1 } });
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.errors).sort()).toEqual(
        ['assignment.capacity', 'assignment.mode', 'assignment.onlyAvailable', 'colour', 'name', 'users[0].id', 'users[1].id'].sort(),
      );
      const tooLong = await post({ name: 'x'.repeat(101), assignment: { capacity: 100001 } });
      expect(tooLong.status).toBe(400);
      expect(Object.keys(tooLong.body.errors).sort()).toEqual(['assignment.capacity', 'name']);
      expect(await countTeams()).toBe(before);
    });

    it.each([
      ['-1', -1, ['must be between 1 and 100000']],
      ['2.5', 2.5, ['must be a whole number']],
      ['a string', '5', ['must be a whole number']],
    ])('should refuse a capacity of %s on create and PATCH, writing nothing', async (_, capacity, messages) => {
      const before = await countTeams();
      const created = await post({ name: name(), assignment: { capacity } });
      expect(created.status).toBe(400);
      expect(created.body).toEqual({ errors: { 'assignment.capacity': messages } });
      expect(await countTeams()).toBe(before);
      const team = (await post({ name: name(), assignment: { mode: 'balanced', capacity: 4 } })).body.team;
      const row = await teamRow(team.id);
      const patched = await patch(team.id, { assignment: { capacity } });
      expect(patched.status).toBe(400);
      expect(patched.body).toEqual({ errors: { 'assignment.capacity': messages } });
      expect(await teamRow(team.id)).toEqual(row);
    });

    it("should refuse members who are not the tenant's active agents, naming each, and write nothing", async () => {
      const before = await countTeams();
      const deleted = await createAgent(t, acme.tenantId, { state: 'deleted' });
      const foreign = await createAgent(t, globex.tenantId);
      const res = await post({ name: name(), users: [{ id: agentA.id }, { id: deleted.id }, { id: foreign.id }, { id: 999999999 }] });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual({ 'users[1]': ['does not exist'], 'users[2]': ['does not exist'], 'users[3]': ['does not exist'] });
      expect(await countTeams()).toBe(before);
    });

    it('should answer 409 TEAM_NAME_TAKEN for an active name in any case, and free it once deleted', async () => {
      const teamName = name('Billing');
      const first = await post({ name: teamName });
      const again = await post({ name: teamName.toUpperCase() });
      expect(again.status).toBe(409);
      expect(again.headers['x-error-code']).toBe('TEAM_NAME_TAKEN');
      expect(again.body.errors.name).toEqual([`is already taken by team ${first.body.team.id}`]);
      // Another tenant has names of its own.
      expect((await post({ name: teamName }, globex.auth)).status).toBe(201);
      expect((await remove(first.body.team.id)).status).toBe(204);
      expect((await post({ name: teamName })).status).toBe(201);
    });

    it('should create one team when five requests race for a name, and answer the rest 409', async () => {
      const teamName = name('Race');
      const results = await Promise.all(Array.from({ length: 5 }, () => post({ name: teamName })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM teams WHERE tenant_id = $1 AND lower(name) = lower($2) AND state = 'active'`, [acme.tenantId, teamName]);
      expect(n).toBe(1);
    });

    it('should answer an agent 403 ADMIN_REQUIRED and write nothing', async () => {
      const before = await countTeams();
      const res = await post({ name: name() }, agentA.auth);
      expect(res.status).toBe(403);
      expect(res.headers['x-error-code']).toBe('ADMIN_REQUIRED');
      expect(res.body).toEqual(ADMIN_ONLY);
      expect(await countTeams()).toBe(before);
    });

    it('should answer a repeat with the same Idempotency-Key from the first, creating one team', async () => {
      const before = await countTeams();
      const body = { name: name('Idem') };
      const first = await post(body).set('Idempotency-Key', `team-${sequence}`);
      const second = await post(body).set('Idempotency-Key', `team-${sequence}`);
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body).toEqual(first.body);
      expect(await countTeams()).toBe(before + 1);
    });
  });

  describe('GET /teams.json and /teams/{id}.json', () => {
    let listed: TestTenant;
    let ids: number[];

    beforeAll(async () => {
      listed = await createTenant(t, 'Listed');
      ids = [];
      for (const [i, mode] of (['manual', 'round_robin', 'balanced'] as const).entries()) {
        ids.push((await post({ name: `Listed ${i}`, assignment: { mode } }, listed.auth)).body.team.id);
      }
      await remove(ids[0], listed.auth);
    });

    it('should list the active teams in id order with the list language, to agents too', async () => {
      const agent = await createAgent(t, listed.tenantId);
      const res = await get('teams.json', agent.auth);
      expect(res.status).toBe(200);
      expect(res.body.teams.map((team: { id: number }) => team.id)).toEqual(ids.slice(1));
      expect(res.body.meta.page).toMatchObject({ count: 2 });
      const filtered = await get(`teams.json?filter=${encodeURIComponent('{"mode":"balanced"}')}`, listed.auth);
      expect(filtered.body.teams.map((team: { id: number }) => team.id)).toEqual([ids[2]]);
      const withDeleted = await get(`teams.json?filter=${encodeURIComponent('{"state":{"$in":["active","deleted"]}}')}&orderMode=desc&fields=name`, listed.auth);
      expect(withDeleted.body.teams).toEqual([...ids].reverse().map((id, i) => ({ id, name: `Listed ${2 - i}` })));
      expect((await get(`teams.json?filter=${encodeURIComponent('{"colour":"red"}')}`, listed.auth)).status).toBe(400);
    });

    it('should read one team, deleted ones too, and never another tenant’s', async () => {
      const one = await get(`teams/${ids[0]}.json`, listed.auth);
      expect(one.status).toBe(200);
      expect(one.body.team).toMatchObject({ id: ids[0], state: 'deleted', deletedBy: { id: listed.adminId, type: 'users' } });
      expect(one.body.team.deletedAt).toMatch(ISO);
      for (const [path, auth] of [
        [`teams/${ids[1]}.json`, acme.auth],
        ['teams/999999999.json', listed.auth],
      ]) {
        const res = await get(path, auth);
        expect(res.status).toBe(404);
        expect(res.headers['x-error-code']).toBe('TEAM_NOT_FOUND');
      }
      expect((await get('teams.json', acme.auth)).body.teams.map((team: { id: number }) => team.id)).not.toContain(ids[1]);
    });
  });

  describe('PATCH and DELETE /teams/{id}.json', () => {
    it('should change only the given properties, replace the members, and move updatedAt only on a change', async () => {
      const created = (await post({ name: name(), users: [{ id: agentA.id }], assignment: { mode: 'round_robin', capacity: 3 } })).body.team;
      const before = await teamRow(created.id);

      const same = await patch(created.id, { team: { name: created.name, assignment: { mode: 'round_robin' } } });
      expect(same.status).toBe(200);
      expect(same.body.team.updatedAt).toBe(created.updatedAt);

      const agentC = await createAgent(t, acme.tenantId);
      const res = await patch(created.id, { users: [{ id: agentC.id }, { id: agentB.id }, { id: agentC.id }], assignment: { onlyAvailable: true } }, acme.auth);
      expect(res.status).toBe(200);
      expect(res.body.team).toMatchObject({
        name: created.name,
        users: [agentB.id, agentC.id].sort((a, b) => a - b).map((id) => ({ id, type: 'users' })),
        assignment: { mode: 'round_robin', capacity: 3, onlyAvailable: true },
        updatedBy: { id: acme.adminId, type: 'users' },
      });
      expect(new Date(res.body.team.updatedAt).getTime()).toBeGreaterThan(new Date(before.updated_at).getTime());
      expect(await memberRows(created.id)).toEqual([agentB.id, agentC.id].sort((a, b) => a - b));

      const cleared = await patch(created.id, { users: [], assignment: { capacity: null } });
      expect(cleared.body.team).toMatchObject({ users: [], assignment: { mode: 'round_robin', capacity: null, onlyAvailable: true } });
      expect(await memberRows(created.id)).toEqual([]);
      expect(await teamRow(created.id)).toMatchObject({ assignment_capacity: null, only_available: true });
    });

    it('should answer 409 on a taken name, 400 on a bad body, 404 for another tenant, 403 for an agent, all writing nothing', async () => {
      const taken = (await post({ name: name('Taken') })).body.team;
      const team = (await post({ name: name(), users: [{ id: agentA.id }] })).body.team;
      const row = await teamRow(team.id);

      const clash = await patch(team.id, { name: taken.name.toLowerCase() });
      expect(clash.status).toBe(409);
      expect(clash.headers['x-error-code']).toBe('TEAM_NAME_TAKEN');
      const bad = await patch(team.id, { name: null, users: [{ id: 999999999 }] });
      expect(bad.status).toBe(400);
      expect(Object.keys(bad.body.errors)).toEqual(['name']);
      const unknownMember = await patch(team.id, { users: [{ id: agentB.id }, { id: 999999999 }] });
      expect(unknownMember.status).toBe(400);
      expect(unknownMember.body.errors).toEqual({ 'users[1]': ['does not exist'] });
      const foreign = await patch(team.id, { name: 'Hijacked' }, globex.auth);
      expect(foreign.status).toBe(404);
      expect(foreign.headers['x-error-code']).toBe('TEAM_NOT_FOUND');
      const byAgent = await patch(team.id, { name: 'By agent' }, agentA.auth);
      expect(byAgent.status).toBe(403);
      expect(byAgent.body).toEqual(ADMIN_ONLY);
      expect((await remove(team.id, agentA.auth)).status).toBe(403);

      expect(await teamRow(team.id)).toEqual(row);
      expect(await memberRows(team.id)).toEqual([agentA.id]);
    });

    it('should delete softly and idempotently, keep updatedAt, and refuse a PATCH of a deleted team', async () => {
      const team = (await post({ name: name() })).body.team;
      expect((await remove(team.id)).status).toBe(204);
      const row = await teamRow(team.id);
      expect(row).toMatchObject({ state: 'deleted', deleted_by: acme.adminId });
      expect(row.updated_at.toISOString()).toBe(team.updatedAt);
      expect((await remove(team.id)).status).toBe(204);
      expect((await teamRow(team.id)).deleted_at).toEqual(row.deleted_at);
      const edit = await patch(team.id, { name: name() });
      expect(edit.status).toBe(409);
      expect(edit.headers['x-error-code']).toBe('TEAM_DELETED');
      expect((await remove(999999999)).status).toBe(404);
      expect((await remove(team.id, globex.auth)).status).toBe(404);
    });
  });
});
