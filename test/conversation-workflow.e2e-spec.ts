import { ACTIVITY_TYPES } from '../apps/api/src/conversations/activities/activity.types';
import { RoutingService } from '../apps/api/src/conversations/routing/routing.service';
import { SnoozeWakeUp } from '../apps/api/src/conversations/workflow/snooze-wake-up';
import { BASE, ISO } from './support/desk';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { clientMessageEvent, sendSignedWebhook } from './support/signed-webhook';
import { createTestApp, TestApp } from './support/test-app';

const PUSHER = { PUSHER_APP_ID: '1', PUSHER_KEY: 'workflow-key', PUSHER_SECRET: 'workflow-secret' };

type Row = Record<string, unknown>;
interface Payload {
  event: string;
  channels: string[];
  data: Record<string, unknown>;
}

// An activity as a live event carries it (the activities list's JSON).
interface Activity {
  id: number;
  type: string;
  from: unknown;
  to: unknown;
  reason: string | null;
  actor: { type: string; id: number | null };
}

// The conversation workflow (docs/api.md, "Conversation workflow"): status, priority, assignee,
// team and labels; what messages do to them; the activity log; snoozes waking up.
describe('Conversation workflow', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;
  let agent: { id: number; auth: string };
  let goneAgent: { id: number };
  let globexAgent: { id: number };
  let team: number;
  let otherTeam: number;
  let goneTeam: number;
  let globexTeam: number;
  let tags: number[];
  let goneTag: number;
  let globexTag: number;

  const insertTeam = async (tenant: TestTenant, name: string, deleted = false): Promise<number> =>
    (
      await t.db.query(
        `INSERT INTO teams (tenant_id, name, state, deleted_at) VALUES ($1, $2, $3, $4) RETURNING id`,
        [tenant.tenantId, name, deleted ? 'deleted' : 'active', deleted ? new Date() : null],
      )
    )[0].id;
  const insertTag = async (tenant: TestTenant, name: string, deleted = false): Promise<number> =>
    (
      await t.db.query(`INSERT INTO tags (tenant_id, name, state, deleted_at) VALUES ($1, $2, $3, $4) RETURNING id`, [
        tenant.tenantId,
        name,
        deleted ? 'deleted' : 'active',
        deleted ? new Date() : null,
      ])
    )[0].id;

  beforeAll(async () => {
    t = await createTestApp(PUSHER);
    [acme, globex] = await Promise.all([createTenant(t, 'Acme workflow'), createTenant(t, 'Globex workflow')]);
    agent = await createAgent(t, acme.tenantId);
    goneAgent = await createAgent(t, acme.tenantId, { state: 'deleted' });
    globexAgent = await createAgent(t, globex.tenantId);
    team = await insertTeam(acme, 'Support');
    otherTeam = await insertTeam(acme, 'Billing');
    goneTeam = await insertTeam(acme, 'Gone', true);
    globexTeam = await insertTeam(globex, 'Support');
    tags = [await insertTag(acme, 'vip'), await insertTag(acme, 'bug'), await insertTag(acme, 'refund')];
    goneTag = await insertTag(acme, 'old', true);
    globexTag = await insertTag(globex, 'vip');
  });
  afterAll(() => t?.close());
  afterEach(() => jest.restoreAllMocks());

  const create = (body: object, tenant = acme) => t.http.post(`${BASE}/conversations.json`).set('Authorization', tenant.auth).send(body);
  const patch = (id: number, body: object, auth = acme.auth) => t.http.patch(`${BASE}/conversations/${id}.json`).set('Authorization', auth).send(body);
  const post = (body: object, auth = acme.auth) => t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', auth).send(body);
  const activitiesOf = (id: number, query: Record<string, string | number> = {}, tenant = acme) =>
    t.http.get(`${BASE}/conversations/${id}/activities.json`).set('Authorization', tenant.auth).query(query);

  // A conversation of acme's with a fresh contact, in the given workflow state (set in the database).
  async function chat(state: Row = {}): Promise<{ id: number; contactId: number }> {
    const { contactId } = await createContact(t.db, acme.tenantId);
    const res = await create({ contactId });
    expect(res.status).toBe(201);
    const id: number = res.body.conversation.id;
    const sets = Object.keys(state).map((column, i) => `${column} = $${i + 2}`);
    if (sets.length > 0) await t.db.query(`UPDATE conversations SET ${sets.join(', ')} WHERE id = $1`, [id, ...Object.values(state)]);
    return { id, contactId };
  }
  const row = async (id: number): Promise<Row> => (await t.db.query(`SELECT * FROM conversations WHERE id = $1`, [id]))[0];
  const activityRows = (id: number): Promise<Row[]> =>
    t.db.query(
      `SELECT type, from_value AS "from", to_value AS "to", reason, actor_type AS "actorType", actor_id AS "actorId"
         FROM conversation_activities WHERE conversation_id = $1 ORDER BY id`,
      [id],
    );
  const lastOutboxId = async (): Promise<number> => Number((await t.db.query(`SELECT coalesce(max(id), 0) AS id FROM outbox`))[0].id);
  const eventsSince = async (since: number, tenant = acme): Promise<Payload[]> =>
    (await t.db.query(`SELECT payload FROM outbox WHERE tenant_id = $1 AND topic = 'pusher' AND id > $2 ORDER BY id`, [tenant.tenantId, since])).map(
      (r: { payload: Payload }) => r.payload,
    );
  async function untilOpen(id: number, deadline: number): Promise<void> {
    while ((await row(id)).status !== 'open') {
      if (Date.now() > deadline) throw new Error(`conversation ${id} did not wake up in time`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();
  const routed = () => jest.spyOn(t.app.get(RoutingService), 'routeAll');
  // This tenant's calls: the app's own jobs (the routing sweep, the wake-up) may route other
  // suites' teams meanwhile, in the same database.
  const acmeCalls = (spy: ReturnType<typeof routed>) => spy.mock.calls.filter(([requests]) => requests.some((r) => r.tenantId === acme.tenantId));
  const byAdmin = () => ({ actorType: 'user', actorId: acme.adminId });

  describe('fields on create and PATCH', () => {
    it('should start a conversation open, with no priority, assignee, team, labels or workflow times', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const res = await create({ contactId });
      expect(res.status).toBe(201);
      expect(res.body.conversation).toMatchObject({
        status: 'open',
        priority: 'none',
        assignee: null,
        team: null,
        labels: [],
        snoozedUntil: null,
        waitingSince: null,
        firstReplyAt: null,
        resolvedAt: null,
      });
      expect(await activityRows(res.body.conversation.id)).toEqual([]);
    });

    it('should create with every workflow field, recording each as an activity by the caller', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const until = inFuture(3_600_000);
      const res = await create({
        contactId,
        status: 'snoozed',
        snoozedUntil: until,
        priority: 'high',
        assignee: { id: agent.id, type: 'users' },
        team: { id: team, type: 'teams' },
        labels: [{ id: tags[1], type: 'tags' }, { id: tags[0] }, { id: tags[1], type: 'tags' }],
      });
      expect(res.status).toBe(201);
      const id = res.body.conversation.id;
      expect(res.body.conversation).toMatchObject({
        status: 'snoozed',
        snoozedUntil: until,
        priority: 'high',
        assignee: { id: agent.id, type: 'users' },
        team: { id: team, type: 'teams' },
        labels: [
          { id: tags[1], type: 'tags' },
          { id: tags[0], type: 'tags' },
        ],
      });
      expect(await row(id)).toMatchObject({
        status: 'snoozed',
        snoozed_until: new Date(until),
        priority: 'high',
        assignee_id: agent.id,
        team_id: team,
        label_ids: [tags[1], tags[0]],
        resolved_at: null,
      });
      expect(await activityRows(id)).toEqual([
        { type: 'status', from: 'open', to: 'snoozed', reason: null, ...byAdmin() },
        { type: 'priority', from: 'none', to: 'high', reason: null, ...byAdmin() },
        { type: 'assignee', from: null, to: { id: agent.id, type: 'users' }, reason: null, ...byAdmin() },
        { type: 'team', from: null, to: { id: team, type: 'teams' }, reason: null, ...byAdmin() },
        { type: 'labels', from: [], to: [{ id: tags[1], type: 'tags' }, { id: tags[0], type: 'tags' }], reason: null, ...byAdmin() },
      ]);
    });

    it('should create a resolved conversation with its resolvedAt', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const res = await create({ contactId, status: 'resolved' });
      expect(res.status).toBe(201);
      expect(res.body.conversation.resolvedAt).toMatch(ISO);
      const created = await row(res.body.conversation.id);
      expect(created).toMatchObject({ status: 'resolved', snoozed_until: null });
      expect(created.resolved_at).toEqual(created.created_at);
    });

    it('should change each field by PATCH, record what changed, and change nothing for the same values', async () => {
      const { id } = await chat();
      const res = await patch(id, { priority: 'urgent', assignee: { id: agent.id }, team: { id: team }, labels: [{ id: tags[2] }, { id: tags[0] }] });
      expect(res.status).toBe(200);
      expect(res.body.conversation).toMatchObject({
        priority: 'urgent',
        assignee: { id: agent.id, type: 'users' },
        team: { id: team, type: 'teams' },
        labels: [
          { id: tags[2], type: 'tags' },
          { id: tags[0], type: 'tags' },
        ],
      });
      expect(res.body.conversation.updatedBy).toEqual({ id: acme.adminId, type: 'users' });

      // Moved to another team, unassigned, labels replaced.
      const moved = await patch(id, { priority: 'urgent', assignee: null, team: { id: otherTeam, type: 'teams' }, labels: [{ id: tags[0] }] });
      expect(moved.status).toBe(200);
      expect(moved.body.conversation).toMatchObject({ assignee: null, team: { id: otherTeam, type: 'teams' }, labels: [{ id: tags[0], type: 'tags' }] });
      expect(await row(id)).toMatchObject({ priority: 'urgent', assignee_id: null, team_id: otherTeam, label_ids: [tags[0]] });

      // The same values again: nothing written.
      const before = await row(id);
      const since = await lastOutboxId();
      const same = await patch(id, { priority: 'urgent', assignee: null, team: { id: otherTeam }, labels: [{ id: tags[0] }, { id: tags[0] }], status: 'open' });
      expect(same.status).toBe(200);
      expect((await row(id)).updated_at).toEqual(before.updated_at);
      expect(await eventsSince(since)).toEqual([]);

      const cleared = await patch(id, { team: null, labels: [] });
      expect(cleared.body.conversation).toMatchObject({ team: null, labels: [] });

      expect(await activityRows(id)).toEqual([
        { type: 'priority', from: 'none', to: 'urgent', reason: null, ...byAdmin() },
        { type: 'assignee', from: null, to: { id: agent.id, type: 'users' }, reason: null, ...byAdmin() },
        { type: 'team', from: null, to: { id: team, type: 'teams' }, reason: null, ...byAdmin() },
        { type: 'labels', from: [], to: [{ id: tags[2], type: 'tags' }, { id: tags[0], type: 'tags' }], reason: null, ...byAdmin() },
        { type: 'assignee', from: { id: agent.id, type: 'users' }, to: null, reason: null, ...byAdmin() },
        { type: 'team', from: { id: team, type: 'teams' }, to: { id: otherTeam, type: 'teams' }, reason: null, ...byAdmin() },
        { type: 'labels', from: [{ id: tags[2], type: 'tags' }, { id: tags[0], type: 'tags' }], to: [{ id: tags[0], type: 'tags' }], reason: null, ...byAdmin() },
        // Unassigned in a team that assigns by hand: it waits in its queue.
        { type: 'queued', from: null, to: { id: otherTeam, type: 'teams' }, reason: 'manual', actorType: 'system', actorId: null },
        { type: 'team', from: { id: otherTeam, type: 'teams' }, to: null, reason: null, ...byAdmin() },
        { type: 'labels', from: [{ id: tags[0], type: 'tags' }], to: [], reason: null, ...byAdmin() },
      ]);
    });

    it('should accept the read-only workflow times and ignore them', async () => {
      const { id } = await chat();
      const res = await patch(id, { waitingSince: '2020-01-01T00:00:00Z', firstReplyAt: '2020-01-01T00:00:00Z', resolvedAt: '2020-01-01T00:00:00Z' });
      expect(res.status).toBe(200);
      expect(res.body.conversation).toMatchObject({ waitingSince: null, firstReplyAt: null, resolvedAt: null, status: 'open' });
      expect(await activityRows(id)).toEqual([]);
    });
  });

  describe('status transitions', () => {
    it('should set resolvedAt while resolved and snoozedUntil while snoozed, and clear each on leaving', async () => {
      const { id } = await chat();
      const resolved = await patch(id, { status: 'resolved' });
      expect(resolved.status).toBe(200);
      expect(resolved.body.conversation.resolvedAt).toMatch(ISO);
      const resolvedRow = await row(id);
      expect(resolvedRow).toMatchObject({ status: 'resolved', snoozed_until: null });
      // The transaction's time, as updatedAt.
      expect(resolvedRow.resolved_at).toEqual(resolvedRow.updated_at);

      const until = inFuture(60_000);
      const snoozed = await patch(id, { status: 'snoozed', snoozedUntil: until });
      expect(snoozed.body.conversation).toMatchObject({ status: 'snoozed', snoozedUntil: until, resolvedAt: null });

      // Snoozed again to another time: the time changes, the status does not.
      const later = inFuture(120_000);
      expect((await patch(id, { status: 'snoozed', snoozedUntil: later })).body.conversation.snoozedUntil).toBe(later);

      const pending = await patch(id, { status: 'pending' });
      expect(pending.body.conversation).toMatchObject({ status: 'pending', snoozedUntil: null, resolvedAt: null });
      expect(await row(id)).toMatchObject({ status: 'pending', snoozed_until: null, resolved_at: null });

      const open = await patch(id, { status: 'open' });
      expect(open.body.conversation.status).toBe('open');
      expect((await activityRows(id)).map((a) => [a.from, a.to])).toEqual([
        ['open', 'resolved'],
        ['resolved', 'snoozed'],
        ['snoozed', 'pending'],
        ['pending', 'open'],
      ]);
    });
  });

  describe('bad input', () => {
    const future = () => inFuture(3_600_000);
    const cases: [string, () => object, Record<string, string[]>][] = [
      ['an unknown status', () => ({ status: 'closed' }), { status: ['must be one of ‘open, pending, snoozed, resolved’'] }],
      ['snoozed without snoozedUntil', () => ({ status: 'snoozed' }), { snoozedUntil: ['must be set'] }],
      ['snoozedUntil in the past', () => ({ status: 'snoozed', snoozedUntil: '2020-01-01T00:00:00Z' }), { snoozedUntil: ['must be in the future'] }],
      ['snoozedUntil without snoozed', () => ({ snoozedUntil: future() }), { snoozedUntil: ['must be set only with status ‘snoozed’'] }],
      ['snoozedUntil with another status', () => ({ status: 'pending', snoozedUntil: future() }), { snoozedUntil: ['must be set only with status ‘snoozed’'] }],
      ['snoozedUntil not a time', () => ({ status: 'snoozed', snoozedUntil: 'tomorrow' }), { snoozedUntil: ['must be a date as ‘2006-01-02T15:04:05Z’'] }],
      ['an unknown priority', () => ({ priority: 'critical' }), { priority: ['must be one of ‘none, low, medium, high, urgent’'] }],
      ["another tenant's agent", () => ({ assignee: { id: globexAgent.id } }), { 'assignee.id': ['does not exist'] }],
      ['a deleted agent', () => ({ assignee: { id: goneAgent.id, type: 'users' } }), { 'assignee.id': ['does not exist'] }],
      ['an assignee of another type', () => ({ assignee: { id: agent.id, type: 'teams' } }), { 'assignee.type': ['must be one of ‘users’'] }],
      ['an assignee without an id', () => ({ assignee: { type: 'users' } }), { 'assignee.id': ['must be set'] }],
      ["another tenant's team", () => ({ team: { id: globexTeam } }), { 'team.id': ['does not exist'] }],
      ['a deleted team', () => ({ team: { id: goneTeam } }), { 'team.id': ['does not exist'] }],
      ['a team of another type', () => ({ team: { id: team, type: 'tags' } }), { 'team.type': ['must be one of ‘teams’'] }],
      ["another tenant's tag", () => ({ labels: [{ id: tags[0] }, { id: globexTag }] }), { 'labels[1].id': ['does not exist'] }],
      ['a deleted tag', () => ({ labels: [{ id: goneTag, type: 'tags' }] }), { 'labels[0].id': ['does not exist'] }],
      ['a label of another type', () => ({ labels: [{ id: tags[0], type: 'users' }] }), { 'labels[0].type': ['must be one of ‘tags’'] }],
      ['more than 100 labels', () => ({ labels: Array.from({ length: 101 }, () => ({ id: tags[0] })) }), { labels: ['must have at most 100 items'] }],
      ['labels as null', () => ({ labels: null }), { labels: ['must be an array'] }],
      ['status null', () => ({ status: null }), { status: ['must be set'] }],
      ['priority null', () => ({ priority: null }), { priority: ['must be set'] }],
      ['snoozed with snoozedUntil null', () => ({ status: 'snoozed', snoozedUntil: null }), { snoozedUntil: ['must be set'] }],
      ['an assignee id null', () => ({ assignee: { id: null } }), { 'assignee.id': ['must be set'] }],
      ['a team id null', () => ({ team: { id: null } }), { 'team.id': ['must be set'] }],
      // A time without a zone would be read in the server's own zone.
      ['snoozedUntil without a zone', () => ({ status: 'snoozed', snoozedUntil: future().replace('Z', '') }), { snoozedUntil: ['must be a date as ‘2006-01-02T15:04:05Z’'] }],
      ['snoozedUntil with an offset of hours only', () => ({ status: 'snoozed', snoozedUntil: '2099-12-08T09:00:00+02' }), { snoozedUntil: ['must be a date as ‘2006-01-02T15:04:05Z’'] }],
      ['snoozedUntil a date without a time', () => ({ status: 'snoozed', snoozedUntil: '2099-12-08' }), { snoozedUntil: ['must be a date as ‘2006-01-02T15:04:05Z’'] }],
    ];

    it.each(cases)('should refuse %s with a 400 on its field, writing nothing', async (_name, body, errors) => {
      const { id } = await chat();
      const before = await row(id);
      const since = await lastOutboxId();
      const res = await patch(id, body());
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
      expect(await row(id)).toEqual(before);
      expect(await activityRows(id)).toEqual([]);
      expect(await eventsSince(since)).toEqual([]);
    });

    it('should refuse the same on create, creating nothing', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const res = await create({ contactId, status: 'snoozed', snoozedUntil: '2020-01-01T00:00:00Z', labels: [{ id: goneTag }] });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { snoozedUntil: ['must be in the future'], 'labels[0].id': ['does not exist'] } });
      expect(await t.db.query(`SELECT id FROM conversations WHERE contact_id = $1`, [contactId])).toEqual([]);
    });

    it('should refuse a null status or priority on create, creating nothing', async () => {
      const { contactId } = await createContact(t.db, acme.tenantId);
      const res = await create({ contactId, status: null, priority: null });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { status: ['must be set'], priority: ['must be set'] } });
      expect(await t.db.query(`SELECT id FROM conversations WHERE contact_id = $1`, [contactId])).toEqual([]);
    });

    it('should take snoozedUntil with Z or an offset as that instant', async () => {
      const { id } = await chat();
      const res = await patch(id, { status: 'snoozed', snoozedUntil: '2099-12-08T09:00:00+02:00' });
      expect(res.status).toBe(200);
      expect(res.body.conversation.snoozedUntil).toBe('2099-12-08T07:00:00.000Z');
      expect((await row(id)).snoozed_until).toEqual(new Date('2099-12-08T07:00:00Z'));
    });

    it('should answer 404 for a conversation of another tenant', async () => {
      const { id } = await chat();
      const res = await patch(id, { status: 'resolved' }, globex.auth);
      expect(res.status).toBe(404);
      expect((await row(id)).status).toBe('open');
    });
  });

  describe('live events', () => {
    it("should announce a workflow change to the agents only, once, its activities inside, never on the customer's channel", async () => {
      const { id } = await chat();
      const since = await lastOutboxId();
      expect((await patch(id, { status: 'pending', priority: 'low', labels: [{ id: tags[0] }] })).status).toBe(200);
      const events = await eventsSince(since);
      // One event for the change, its three activities inside, oldest first, as the activities list shows them.
      expect(events.map((e) => [e.event, e.channels])).toEqual([['conversation.updated', [`private-tenant-${acme.tenantId}`]]]);
      expect(events[0].data).toMatchObject({ id, status: 'pending', priority: 'low' });
      const listed = await activitiesOf(id);
      expect(listed.body.activities).toHaveLength(3);
      expect(events[0].data.activities).toEqual(listed.body.activities);
      expect((events[0].data.activities as Activity[]).map((a) => [a.type, a.actor])).toEqual([
        ['status', { type: 'users', id: acme.adminId }],
        ['priority', { type: 'users', id: acme.adminId }],
        ['labels', { type: 'users', id: acme.adminId }],
      ]);
    });

    it('should carry no activities on a change that wrote none', async () => {
      const { id } = await chat();
      const since = await lastOutboxId();
      expect((await patch(id, { users: [{ id: agent.id }] })).status).toBe(200);
      const agents = (await eventsSince(since)).filter((e) => e.channels[0] === `private-tenant-${acme.tenantId}`);
      expect(agents.map((e) => [e.event, e.data.activities])).toEqual([['conversation.updated', []]]);
    });

    it('should keep announcing what the customer sees on both channels, the workflow change with it', async () => {
      const { id } = await chat();
      const since = await lastOutboxId();
      expect((await patch(id, { users: [{ id: agent.id }], status: 'resolved' })).status).toBe(200);
      const updated = (await eventsSince(since)).filter((e) => e.event === 'conversation.updated');
      expect(updated.map((e) => e.channels[0]).sort()).toEqual([`private-conversation-${id}`, `private-tenant-${acme.tenantId}`]);
      const customer = updated.find((e) => e.channels[0] === `private-conversation-${id}`)!;
      expect(customer.data).not.toHaveProperty('status');
      expect(customer.data).not.toHaveProperty('activities');
      const agents = updated.find((e) => e.channels[0] === `private-tenant-${acme.tenantId}`)!;
      expect((agents.data.activities as Activity[]).map((a) => a.type)).toEqual(['status']);
      expect(customer.data).not.toHaveProperty('resolvedAt');
    });
  });

  describe('routing triggers', () => {
    it('should ask routing about the teams a change touches, with the conversations that joined a queue', async () => {
      const spy = routed();
      const { contactId } = await createContact(t.db, acme.tenantId);
      const created = await t.inProcessHttp.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId, team: { id: team } });
      const id = created.body.conversation.id;
      expect(acmeCalls(spy)).toEqual([[[{ tenantId: acme.tenantId, teamIds: [team], entered: [id] }]]]);

      spy.mockClear();
      await t.inProcessHttp.patch(`${BASE}/conversations/${id}.json`).set('Authorization', acme.auth).send({ team: { id: otherTeam } });
      expect(acmeCalls(spy)).toEqual([[[{ tenantId: acme.tenantId, teamIds: [team, otherTeam], entered: [id] }]]]);

      spy.mockClear();
      await t.inProcessHttp.patch(`${BASE}/conversations/${id}.json`).set('Authorization', acme.auth).send({ priority: 'high', labels: [{ id: tags[0] }] });
      expect(acmeCalls(spy)).toEqual([]);

      await t.inProcessHttp.patch(`${BASE}/conversations/${id}.json`).set('Authorization', acme.auth).send({ status: 'pending' });
      expect(acmeCalls(spy)).toEqual([[[{ tenantId: acme.tenantId, teamIds: [otherTeam], entered: [] }]]]);

      spy.mockClear();
      await t.inProcessHttp.patch(`${BASE}/conversations/${id}.json`).set('Authorization', acme.auth).send({ status: 'resolved' });
      expect(acmeCalls(spy)).toEqual([]);

      await t.inProcessHttp.delete(`${BASE}/conversations/${id}.json`).set('Authorization', acme.auth);
      expect(acmeCalls(spy)).toEqual([[[{ tenantId: acme.tenantId, teamIds: [otherTeam], entered: [] }]]]);

      spy.mockClear();
      await t.inProcessHttp.patch(`${BASE}/conversations/${id}.json`).set('Authorization', acme.auth).send({ state: 'active', status: 'open' });
      expect(acmeCalls(spy)).toEqual([[[{ tenantId: acme.tenantId, teamIds: [otherTeam], entered: [id] }]]]);
    });

    it('should not call routing for a conversation in no team', async () => {
      const spy = routed();
      const { id } = await chat();
      await t.inProcessHttp.patch(`${BASE}/conversations/${id}.json`).set('Authorization', acme.auth).send({ status: 'resolved', assignee: { id: agent.id } });
      expect(acmeCalls(spy)).toEqual([]);
    });
  });

  describe('messages', () => {
    it.each(['pending', 'snoozed', 'resolved'])('should reopen a %s conversation on a customer message, by that contact', async (status) => {
      const state: Row = { status, snoozed_until: status === 'snoozed' ? inFuture(60_000) : null, resolved_at: status === 'resolved' ? new Date() : null };
      const { id, contactId } = await chat({ ...state, team_id: team });
      const spy = routed();
      const since = await lastOutboxId();
      const res = await t.inProcessHttp.post(`${BASE}/conversationmessages.json`).set('Authorization', acme.auth).send({ conversationId: id, contactId, message: 'Still broken' });
      expect(res.status).toBe(201);
      expect(await row(id)).toMatchObject({ status: 'open', snoozed_until: null, resolved_at: null });
      expect(await activityRows(id)).toEqual([
        { type: 'status', from: status, to: 'open', reason: 'customer_message', actorType: 'contact', actorId: contactId },
        { type: 'queued', from: null, to: { id: team, type: 'teams' }, reason: 'manual', actorType: 'system', actorId: null },
      ]);
      expect(acmeCalls(spy)).toEqual([[[{ tenantId: acme.tenantId, teamIds: [team], entered: [id] }]]]);
      const events = await eventsSince(since);
      const updated = events.filter((e) => e.event === 'conversation.updated');
      expect(updated.map((e) => e.channels)).toEqual([[`private-tenant-${acme.tenantId}`]]);
      expect(updated[0].data).toMatchObject({ id, status: 'open' });
      expect(events.some((e) => e.channels.includes(`private-conversation-${id}`) && e.event !== 'message.created')).toBe(false);
    });

    it("should leave an open conversation as it is, and never reopen on an agent's message", async () => {
      const open = await chat();
      await post({ conversationId: open.id, contactId: open.contactId, message: 'Hello' });
      expect(await activityRows(open.id)).toEqual([]);

      const resolved = await chat({ status: 'resolved', resolved_at: new Date() });
      expect((await post({ conversationId: resolved.id, message: 'Anything else?' })).status).toBe(201);
      expect((await row(resolved.id)).status).toBe('resolved');
      expect(await activityRows(resolved.id)).toEqual([]);
    });

    // HighLevel's send is an agent's (docs/architecture.md's state machine): it reopens nothing.
    it("should leave a resolved conversation resolved on HighLevel's send, which posts as the key's agent", async () => {
      const resolved = await chat({ status: 'resolved', resolved_at: new Date() });
      const res = await t.http
        .post('/conversations/messages')
        .set('Authorization', acme.auth)
        .set('Version', '2021-07-28')
        .send({ type: 'Live_Chat', contactId: String(resolved.contactId), conversationId: String(resolved.id), message: 'Anything else?' });
      expect(res.status).toBe(200);
      expect(res.body.conversationId).toBe(String(resolved.id));
      const [message] = await t.db.query(`SELECT user_id, contact_id, direction FROM conversation_messages WHERE conversation_id = $1`, [resolved.id]);
      expect(message).toEqual({ user_id: acme.adminId, contact_id: null, direction: 'outbound' });
      expect((await row(resolved.id)).status).toBe('resolved');
      expect(await activityRows(resolved.id)).toEqual([]);
    });

    it('should keep waitingSince at the oldest unanswered customer message, and set firstReplyAt once', async () => {
      const { id, contactId } = await chat();
      const createdAt = async (messageId: number) => (await t.db.query(`SELECT created_at FROM conversation_messages WHERE id = $1`, [messageId]))[0].created_at;

      const first = await post({ conversationId: id, contactId, message: 'One' });
      await post({ conversationId: id, contactId, message: 'Two' });
      expect(await row(id)).toMatchObject({ waiting_since: await createdAt(first.body.conversationmessage.id), first_reply_at: null });

      const reply = await post({ conversationId: id, message: 'Looking' });
      expect(await row(id)).toMatchObject({ waiting_since: null, first_reply_at: await createdAt(reply.body.conversationmessage.id) });

      const third = await post({ conversationId: id, contactId, message: 'Three' });
      await post({ conversationId: id, message: 'Fixed' });
      const again = await post({ conversationId: id, contactId, message: 'Thanks' });
      const got = await t.http.get(`${BASE}/conversations/${id}.json`).set('Authorization', acme.auth);
      expect(got.body.conversation).toMatchObject({
        waitingSince: (await createdAt(again.body.conversationmessage.id)).toISOString(),
        firstReplyAt: (await createdAt(reply.body.conversationmessage.id)).toISOString(),
      });
      expect(third.status).toBe(201);
    });

    it("should set no firstReplyAt for an agent's message that no customer message waits for (an outbound conversation), only for the first reply", async () => {
      const { id, contactId } = await chat();
      const createdAt = async (messageId: number) => (await t.db.query(`SELECT created_at FROM conversation_messages WHERE id = $1`, [messageId]))[0].created_at;

      expect((await post({ conversationId: id, message: 'Your order has shipped' })).status).toBe(201);
      expect((await post({ conversationId: id, message: 'Tracking: 123' })).status).toBe(201);
      expect(await row(id)).toMatchObject({ waiting_since: null, first_reply_at: null });

      const asked = await post({ conversationId: id, contactId, message: 'Where is it?' });
      // A note answers nobody.
      expect((await post({ conversationId: id, message: 'checking with the carrier', private: true })).status).toBe(201);
      expect(await row(id)).toMatchObject({ waiting_since: await createdAt(asked.body.conversationmessage.id), first_reply_at: null });

      const reply = await post({ conversationId: id, message: 'On its way' });
      expect(await row(id)).toMatchObject({ waiting_since: null, first_reply_at: await createdAt(reply.body.conversationmessage.id) });
      const got = await t.http.get(`${BASE}/conversations/${id}.json`).set('Authorization', acme.auth);
      expect(got.body.conversation.firstReplyAt).toBe((await createdAt(reply.body.conversationmessage.id)).toISOString());
    });

    it('should reopen on a customer message through a signed Pusher webhook, once for a batch', async () => {
      const { id, contactId } = await chat({ status: 'resolved', resolved_at: new Date() });
      const since = await lastOutboxId();
      const events = [clientMessageEvent(id, { message: 'Hello?', clientMessageId: `wf-${id}-1` }), clientMessageEvent(id, { message: 'Anyone?', clientMessageId: `wf-${id}-2` })];
      const res = await sendSignedWebhook(t.http, events, { key: PUSHER.PUSHER_KEY, secret: PUSHER.PUSHER_SECRET });
      expect(res.status).toBe(201);
      const [message] = await t.db.query(`SELECT created_at FROM conversation_messages WHERE conversation_id = $1 ORDER BY id LIMIT 1`, [id]);
      expect(await row(id)).toMatchObject({ status: 'open', resolved_at: null, waiting_since: message.created_at });
      expect(await activityRows(id)).toEqual([{ type: 'status', from: 'resolved', to: 'open', reason: 'customer_message', actorType: 'contact', actorId: contactId }]);
      const updated = (await eventsSince(since)).filter((e) => e.event === 'conversation.updated');
      expect(updated.map((e) => e.channels)).toEqual([[`private-tenant-${acme.tenantId}`]]);
    });
  });

  describe('conversationStatus on a reply', () => {
    it("should set the conversation's status with the agent's reply, in the same request", async () => {
      const { id, contactId } = await chat();
      await post({ conversationId: id, contactId, message: 'Help' });
      const since = await lastOutboxId();
      const res = await post({ conversationId: id, message: 'Can you try again?', conversationStatus: 'pending', clientMessageId: `reply-${id}` });
      expect(res.status).toBe(201);
      expect(await row(id)).toMatchObject({ status: 'pending', waiting_since: null });
      expect(await activityRows(id)).toEqual([{ type: 'status', from: 'open', to: 'pending', reason: 'agent_reply', ...byAdmin() }]);
      const events = await eventsSince(since);
      expect(events.map((e) => e.event)).toEqual(['message.created', 'message.created', 'conversation.updated']);
      expect(events[2].data.activities).toMatchObject([{ type: 'status', from: 'open', to: 'pending', reason: 'agent_reply' }]);
      expect(events.filter((e) => e.event !== 'message.created').every((e) => e.channels[0] === `private-tenant-${acme.tenantId}`)).toBe(true);

      // A repeat of the same message changes nothing more.
      const repeat = await post({ conversationId: id, message: 'Can you try again?', conversationStatus: 'resolved', clientMessageId: `reply-${id}` });
      expect(repeat.status).toBe(200);
      expect((await row(id)).status).toBe('pending');

      const resolved = await post({ conversationId: id, message: 'Closing', conversationStatus: 'resolved' });
      expect(resolved.status).toBe(201);
      expect(await row(id)).toMatchObject({ status: 'resolved' });
      expect((await row(id)).resolved_at).not.toBeNull();
    });

    it("should refuse conversationStatus on a customer's message, and a status a reply cannot set", async () => {
      const { id, contactId } = await chat();
      const customer = await post({ conversationId: id, contactId, message: 'Hi', conversationStatus: 'pending' });
      expect(customer.status).toBe(400);
      expect(customer.body).toEqual({ errors: { conversationStatus: ['must be set only on an agent’s message'] } });
      const snooze = await post({ conversationId: id, message: 'Later', conversationStatus: 'snoozed' });
      expect(snooze.status).toBe(400);
      expect(snooze.body).toEqual({ errors: { conversationStatus: ['must be one of ‘open, pending, resolved’'] } });
      const nulls = await post({ conversationId: id, message: 'Null', conversationStatus: null, private: null, mentions: null });
      expect(nulls.status).toBe(400);
      expect(nulls.body).toEqual({ errors: { conversationStatus: ['must be set'], private: ['must be set'], mentions: ['must be set'] } });
      expect(await t.db.query(`SELECT id FROM conversation_messages WHERE conversation_id = $1`, [id])).toEqual([]);
      expect(await activityRows(id)).toEqual([]);
    });
  });

  describe('what a client sends back', () => {
    it('should take refs the conversation holds already even when no longer active, and refuse them as new ones', async () => {
      const { id } = await chat({ assignee_id: goneAgent.id, team_id: goneTeam, label_ids: [goneTag, tags[0]] });
      // The conversation as read, sent back with a new priority: its deleted agent, team and tag stay.
      const res = await patch(id, { priority: 'low', assignee: { id: goneAgent.id }, team: { id: goneTeam }, labels: [{ id: goneTag }, { id: tags[0] }] });
      expect(res.status).toBe(200);
      expect(await row(id)).toMatchObject({ priority: 'low', assignee_id: goneAgent.id, team_id: goneTeam, label_ids: [goneTag, tags[0]] });
      expect(await activityRows(id)).toEqual([{ type: 'priority', from: 'none', to: 'low', reason: null, ...byAdmin() }]);

      const other = await chat();
      const refused = await patch(other.id, { assignee: { id: goneAgent.id }, team: { id: goneTeam }, labels: [{ id: tags[0] }, { id: goneTag }] });
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({ errors: { 'assignee.id': ['does not exist'], 'team.id': ['does not exist'], 'labels[1].id': ['does not exist'] } });
      expect(await row(other.id)).toMatchObject({ assignee_id: null, team_id: null, label_ids: [] });
    });

    it('should refuse conversationStatus on a private note: a note answers nobody', async () => {
      const { id } = await chat();
      const res = await post({ conversationId: id, message: 'Refund approved', private: true, conversationStatus: 'resolved' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { conversationStatus: ['must not be set on a private note: a note answers nobody'] } });
      expect(await row(id)).toMatchObject({ status: 'open', resolved_at: null });
      expect(await t.db.query(`SELECT id FROM conversation_messages WHERE conversation_id = $1`, [id])).toEqual([]);
    });
  });

  describe('GET /conversations/{id}/activities.json', () => {
    it('should list the activities oldest first, filter them, and page by cursor', async () => {
      const { id } = await chat();
      await patch(id, { status: 'pending' });
      await patch(id, { priority: 'high' });
      await patch(id, { status: 'resolved' });
      await patch(id, { assignee: { id: agent.id } });

      const all = await activitiesOf(id);
      expect(all.status).toBe(200);
      expect(all.body.activities.map((a: Row) => a.type)).toEqual(['status', 'priority', 'status', 'assignee']);
      expect(all.body.activities[0]).toEqual({
        id: expect.any(Number),
        conversationId: id,
        type: 'status',
        from: 'open',
        to: 'pending',
        reason: null,
        actor: { type: 'users', id: acme.adminId },
        createdAt: expect.stringMatching(ISO),
      });
      expect(all.body.meta.page).toMatchObject({ count: 4, hasMore: false });

      const statuses = await activitiesOf(id, { filter: JSON.stringify({ type: 'status' }) });
      expect(statuses.body.activities.map((a: Row) => a.to)).toEqual(['pending', 'resolved']);

      const newest = await activitiesOf(id, { orderMode: 'desc', pageSize: 1 });
      expect(newest.body.activities.map((a: Row) => a.type)).toEqual(['assignee']);

      const seen: string[] = [];
      let page = await activitiesOf(id, { pageSize: 3 });
      seen.push(...page.body.activities.map((a: Row) => a.type));
      expect(page.body.meta.page.hasMore).toBe(true);
      page = await activitiesOf(id, { pageSize: 3, cursor: page.body.meta.page.nextCursor });
      seen.push(...page.body.activities.map((a: Row) => a.type));
      expect(seen).toEqual(['status', 'priority', 'status', 'assignee']);
      expect(page.body.meta.page.hasMore).toBe(false);
    });

    it('should answer a Desk 404 for a conversation the tenant lacks: another tenant’s or an unknown id', async () => {
      const { id } = await chat();
      await patch(id, { status: 'pending' });
      for (const [res, missing] of [
        [await activitiesOf(id, {}, globex), id],
        [await activitiesOf(999_999_999), 999_999_999],
      ] as const) {
        expect(res.status).toBe(404);
        expect(res.headers['x-error-code']).toBe('CONVERSATION_NOT_FOUND');
        expect(res.body).toEqual({ errors: { _: [`conversation ${missing} not found`] } });
      }
      // The tenant itself still sees it, so the 404 above is the tenant's doing.
      expect((await activitiesOf(id)).body.activities).toHaveLength(1);
    });

    it.each([
      ['a field the list does not filter', { filter: JSON.stringify({ actor: 1 }) }, { filter: ["unknown field 'actor'; use one of ‘id, type, createdAt’"] }],
      ['a type that is none', { filter: JSON.stringify({ type: 'nope' }) }, { filter: [`type must be one of ‘${ACTIVITY_TYPES.join(', ')}’`] }],
      ['a filter that is not JSON', { filter: '{type' }, { filter: ['must be valid JSON'] }],
      ['an order the list does not take', { orderBy: 'type' }, { orderBy: ['must be one of ‘createdAt, id’'] }],
      ['an order mode that is none', { orderMode: 'sideways' }, { orderMode: ['must be one of ‘asc, desc’'] }],
      ['a forged cursor', { cursor: 'bm90IGEgY3Vyc29y' }, { cursor: ['is not a valid cursor; use meta.page.nextCursor of a previous page'] }],
    ])('should answer a Desk 400 on the parameter for %s', async (_what, query, errors) => {
      const { id } = await chat();
      const res = await activitiesOf(id, query);
      expect(res.status).toBe(400);
      expect(res.headers['x-error-code']).toBe('VALIDATION_FAILED');
      expect(res.body).toEqual({ errors });
    });

    it("should still list a deleted conversation's activities, as the docs say (a deleted one keeps its history)", async () => {
      const { id } = await chat();
      await patch(id, { status: 'resolved' });
      const gone = await t.http.delete(`${BASE}/conversations/${id}.json`).set('Authorization', acme.auth);
      expect(gone.status).toBe(204);
      expect(await row(id)).toMatchObject({ state: 'deleted' });
      const res = await activitiesOf(id);
      expect(res.status).toBe(200);
      expect(res.body.activities.map((a: Row) => [a.type, a.from, a.to])).toEqual([['status', 'open', 'resolved']]);
      expect(res.body.activities).toHaveLength((await activityRows(id)).length);
      // Another tenant still gets the 404, deleted or not.
      expect((await activitiesOf(id, {}, globex)).status).toBe(404);
    });

    it('should record a conversion as an activity to its ticket', async () => {
      const { id, contactId } = await chat();
      await post({ conversationId: id, contactId, message: 'Please call me back' });
      const res = await t.http.post(`${BASE}/conversations/${id}/convert.json`).set('Authorization', acme.auth).send({});
      expect(res.status).toBe(200);
      const ticketId = res.body.ticket_id;
      expect(await activityRows(id)).toEqual([{ type: 'converted', from: null, to: { id: ticketId, type: 'tickets' }, reason: null, ...byAdmin() }]);
    });
  });

  describe('snoozes waking up', () => {
    it('should open a snoozed conversation whose time has come, once, with its activity and an event for agents', async () => {
      // Before the conversation exists: the app's own scheduled run may wake it at once.
      const since = await lastOutboxId();
      const spy = routed();
      const due = await chat({ status: 'snoozed', snoozed_until: new Date(Date.now() - 1_000), team_id: team });
      const notYet = await chat({ status: 'snoozed', snoozed_until: inFuture(3_600_000) });
      // The job runs every second in the app (and any other process): running it here too wakes
      // each once all the same, or skips while a scheduled run holds the job's lock.
      await t.app.get(SnoozeWakeUp).wakeDue();
      await untilOpen(due.id, Date.now() + 5_000);
      expect(await row(due.id)).toMatchObject({ status: 'open', snoozed_until: null, updated_by: null });
      expect((await row(notYet.id)).status).toBe('snoozed');
      expect(await activityRows(due.id)).toEqual([
        { type: 'status', from: 'snoozed', to: 'open', reason: 'snooze_expired', actorType: 'system', actorId: null },
        { type: 'queued', from: null, to: { id: team, type: 'teams' }, reason: 'manual', actorType: 'system', actorId: null },
      ]);
      expect(await activityRows(notYet.id)).toEqual([]);
      const updated = (await eventsSince(since)).filter((e) => e.event === 'conversation.updated' && e.data.id === due.id);
      expect(updated.map((e) => e.channels)).toEqual([[`private-tenant-${acme.tenantId}`]]);
      // Its one event carries both activities, the wake-up's and routing's at the batch's end.
      expect((updated[0].data.activities as Activity[]).map((a) => a.type)).toEqual(['status', 'queued']);
      // Another process of the run (E2E_PROCESSES) may have woken it: its routing is not this app's.
      if (Number(process.env.E2E_PROCESSES ?? '1') <= 1) {
        // Once as the change asks (held by the wake-up's batch), once as the batch routes at its end.
        const requests = [{ tenantId: acme.tenantId, teamIds: [team], entered: [due.id] }];
        expect(spy.mock.calls.filter(([r]) => r.some((one) => one.entered.includes(due.id)))).toEqual([[requests], [requests]]);
      }
    });

    it('should wake a snooze set through the API within 5 s of its time', async () => {
      const { id } = await chat();
      const until = inFuture(1_500);
      expect((await patch(id, { status: 'snoozed', snoozedUntil: until })).status).toBe(200);
      await untilOpen(id, new Date(until).getTime() + 5_000);
      expect((await activityRows(id)).map((a) => [a.from, a.to, a.reason])).toEqual([
        ['open', 'snoozed', null],
        ['snoozed', 'open', 'snooze_expired'],
      ]);
    });
  });
});
