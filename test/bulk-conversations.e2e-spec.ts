import { NotFoundError } from '@app/common';
import { ConversationViews } from '../apps/api/src/conversations/conversation-views';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

// An activity as a conversation's live event carries it.
interface Activity {
  conversationId: number;
  type: string;
  from: unknown;
  to: unknown;
  reason: string | null;
  actor: { type: string; id: number | null };
}

const BULK = '/desk/api/v2/conversations.json';

describe('PATCH /conversations.json (bulk)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let other: TestTenant;
  let agent: { id: number; auth: string };
  let contactId: number;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await createTenant(t);
    other = await createTenant(t);
    agent = await createAgent(t, acme.tenantId);
    contactId = (await createContact(t.db, acme.tenantId)).contactId;
  });
  afterAll(() => t.close());

  const bulk = (body: unknown, auth = acme.auth) => t.http.patch(BULK).set('Authorization', auth).send(body as object);
  const newConversations = async (tenant: TestTenant, count: number, contact = contactId): Promise<number[]> =>
    (
      await t.db.query(
        `INSERT INTO conversations (tenant_id, contact_id, created_by, updated_by, socket_id)
         SELECT $1::bigint, $2::bigint, $3::bigint, $3::bigint, 'old.1' FROM generate_series(1, $4) AS n ORDER BY n RETURNING id`,
        [tenant.tenantId, contact, tenant.adminId, count],
      )
    ).map((r: { id: number }) => r.id);
  const lastOutboxId = async (): Promise<number> => Number((await t.db.query(`SELECT coalesce(max(id), 0) AS id FROM outbox`))[0].id);
  const eventsSince = async (id: number): Promise<{ event: string; channels: string[]; data: { id: number; conversationId?: number; activities?: Activity[] } }[]> =>
    (await t.db.query(`SELECT payload FROM outbox WHERE id > $1 AND topic = 'pusher' ORDER BY id`, [id])).map((r: { payload: never }) => r.payload);
  const rows = async (ids: number[]) =>
    t.db.query(
      `SELECT c.id, c.socket_id, c.state, c.updated_by, array(SELECT user_id FROM conversation_users u WHERE u.conversation_id = c.id ORDER BY user_id) AS users
         FROM conversations c WHERE c.id = ANY($1) ORDER BY c.id`,
      [ids],
    );

  describe('the body', () => {
    it.each([
      ['no ids', { ids: [], conversation: { socket_id: 'x' } }, { ids: ['must have at least 1 item'] }],
      ['101 ids', { ids: Array.from({ length: 101 }, (_, i) => i + 1), conversation: { socket_id: 'x' } }, { ids: ['must have at most 100 items'] }],
      ['a repeated id', { ids: [1, 2, 1], conversation: { socket_id: 'x' } }, { ids: ['must not repeat an id'] }],
      ['an id that is not one', { ids: [1, 'two', 0], conversation: {} }, { ids: ['must be a whole number'] }],
      ['ids that are not an array', { ids: 5, conversation: {} }, { ids: ['must be an array'] }],
      ['no ids at all', { conversation: { socket_id: 'x' } }, { ids: ['must be set'] }],
      ['no conversation', { ids: [1] }, { conversation: ['must be set'] }],
      ['a conversation that is not an object', { ids: [1], conversation: 'all' }, { conversation: ['must be an object'] }],
      ['an unknown field of the change', { ids: [1], conversation: { colour: 'red' } }, { 'conversation.colour': ['is not a known field'] }],
      ['an invalid field of the change', { ids: [1], conversation: { state: 'archived', socket_id: 5 } }, { 'conversation.state': expect.any(Array), 'conversation.socket_id': ['must be a string'] }],
      ['an unknown field beside them', { ids: [1], conversation: {}, dryRun: true }, { dryRun: ['is not a known field'] }],
    ])('should refuse %s with a 400 and write nothing', async (_, body, errors) => {
      const [id] = await newConversations(acme, 1);
      const since = await lastOutboxId();
      const res = await bulk(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
      expect(await eventsSince(since)).toEqual([]);
      expect((await rows([id]))[0].socket_id).toBe('old.1');
    });

    it('should take up to 100 ids', async () => {
      const ids = await newConversations(acme, 100);
      const res = await bulk({ ids, conversation: { socket_id: 'hundred.1' } });
      expect(res.status).toBe(200);
      expect(res.body.results.map((r: { id: number; status: number }) => [r.id, r.status])).toEqual(ids.map((id) => [id, 200]));
      expect((await rows(ids)).every((row: { socket_id: string }) => row.socket_id === 'hundred.1')).toBe(true);
    });
  });

  describe('each id on its own', () => {
    it('should apply the change to each id, in the order given, and answer each as a PATCH of it alone would', async () => {
      const [a, b, c] = await newConversations(acme, 3);
      const [foreign] = await newConversations(other, 1, (await createContact(t.db, other.tenantId)).contactId);
      const missing = 9_000_000_000;
      const since = await lastOutboxId();
      const res = await bulk({ ids: [c, missing, a, foreign, b], conversation: { socket_id: 'bulk.2', users: [{ id: agent.id, type: 'users' }] } }, agent.auth);
      expect(res.status).toBe(200);
      expect(res.body.results.map((r: { id: number; status: number }) => [r.id, r.status])).toEqual([
        [c, 200],
        [missing, 404],
        [a, 200],
        [foreign, 404],
        [b, 200],
      ]);
      expect(res.body.results[1]).toEqual({ id: missing, status: 404, code: 'CONVERSATION_NOT_FOUND', errors: { _: [`conversation ${missing} not found`] } });
      const single = await t.http.get(`/desk/api/v2/conversations/${a}.json`).set('Authorization', acme.auth);
      expect(res.body.results[2].conversation).toEqual(single.body.conversation);
      expect(res.body.results[2].conversation).toMatchObject({ socket_id: 'bulk.2', users: [{ id: agent.id, type: 'users' }], updatedBy: { id: agent.id, type: 'users' } });

      expect(await rows([a, b, c])).toEqual(
        [a, b, c].map((id) => ({ id, socket_id: 'bulk.2', state: 'active', updated_by: agent.id, users: [agent.id] })),
      );
      // The other tenant's conversation is as it was.
      expect(await rows([foreign])).toEqual([{ id: foreign, socket_id: 'old.1', state: 'active', updated_by: other.adminId, users: [] }]);
      // One conversation.updated per conversation changed, in the order applied, to the agents' channel.
      const events = await eventsSince(since);
      const agents = events.filter((e) => e.channels.includes(`private-tenant-${acme.tenantId}`));
      expect(agents.map((e) => [e.event, e.data.id])).toEqual([c, a, b].map((id) => ['conversation.updated', id]));
      expect(events.flatMap((e) => e.channels).filter((ch) => ch === `private-tenant-${other.tenantId}` || ch === `private-conversation-${foreign}`)).toEqual([]);
    });

    it('should answer an unchanged conversation with 200 and announce nothing for it', async () => {
      const [a, b] = await newConversations(acme, 2);
      await t.db.query(`UPDATE conversations SET socket_id = 'same.1' WHERE id = $1`, [a]);
      const since = await lastOutboxId();
      const res = await bulk({ ids: [a, b], conversation: { socket_id: 'same.1' } });
      expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([200, 200]);
      const events = (await eventsSince(since)).filter((e) => e.channels.includes(`private-tenant-${acme.tenantId}`));
      expect(events.map((e) => e.data.id)).toEqual([b]);
    });

    it("should answer a change the service refuses with each id's 400, and write nothing", async () => {
      const [a, b] = await newConversations(acme, 2);
      const foreignAgent = await createAgent(t, other.tenantId);
      const since = await lastOutboxId();
      const res = await bulk({ ids: [a, b], conversation: { socket_id: 'nope.1', users: [{ id: foreignAgent.id }] } });
      expect(res.status).toBe(200);
      expect(res.body.results).toEqual(
        [a, b].map((id) => ({ id, status: 400, code: 'VALIDATION_FAILED', errors: { 'users[0].id': ['does not exist'] } })),
      );
      expect(await rows([a, b])).toEqual([a, b].map((id) => ({ id, socket_id: 'old.1', state: 'active', updated_by: acme.adminId, users: [] })));
      expect(await eventsSince(since)).toEqual([]);
    });

    it('should leave nothing of an id that failed after writing, while the request itself commits', async () => {
      const [a, b] = await newConversations(acme, 2);
      const foreignAgent = await createAgent(t, other.tenantId);
      const value = `half-${Date.now()}@example.test`;
      const since = await lastOutboxId();
      // Each id finds-or-creates the contact (a write), then fails on the agent: its savepoint goes.
      const res = await bulk({ ids: [a, b], conversation: { contact: { type: 'email', value }, users: [{ id: foreignAgent.id }] } });
      expect(res.status).toBe(200);
      expect(res.body.results.map((r: { status: number; errors: object }) => [r.status, r.errors])).toEqual([
        [400, { 'users[0].id': ['does not exist'] }],
        [400, { 'users[0].id': ['does not exist'] }],
      ]);
      expect(await t.db.query(`SELECT id FROM customer_contacts WHERE value = $1`, [value])).toEqual([]);
      expect(await t.db.query(`SELECT id FROM customers WHERE email = $1`, [value])).toEqual([]);
      expect((await rows([a, b])).map((r: { socket_id: string; users: number[] }) => [r.socket_id, r.users])).toEqual([
        ['old.1', []],
        ['old.1', []],
      ]);
      expect(await eventsSince(since)).toEqual([]);
      // The same change without the bad agent writes the contact once and moves both conversations to it.
      const ok = await bulk({ ids: [a, b], conversation: { contact: { type: 'email', value } } });
      expect(ok.body.results.map((r: { status: number }) => r.status)).toEqual([200, 200]);
      const [contact] = await t.db.query(`SELECT id FROM customer_contacts WHERE value = $1`, [value]);
      expect((await t.db.query(`SELECT contact_id FROM conversations WHERE id = ANY($1)`, [[a, b]])).map((r: { contact_id: number }) => r.contact_id)).toEqual([
        contact.id,
        contact.id,
      ]);
    });

    it('should delete and restore many', async () => {
      const ids = await newConversations(acme, 3);
      const deleted = await bulk({ ids, conversation: { state: 'deleted' } });
      expect(deleted.body.results.map((r: { conversation: { state: string } }) => r.conversation.state)).toEqual(['deleted', 'deleted', 'deleted']);
      expect((await rows(ids)).map((r: { state: string }) => r.state)).toEqual(['deleted', 'deleted', 'deleted']);
      const restored = await bulk({ ids, conversation: { state: 'active' } });
      expect((await rows(ids)).map((r: { state: string }) => r.state)).toEqual(['active', 'active', 'active']);
      expect(restored.body.results.map((r: { status: number }) => r.status)).toEqual([200, 200, 200]);
    });
  });

  describe('one live event per conversation changed', () => {
    const activityRows = async (ids: number[]) =>
      t.db.query(`SELECT id, conversation_id, type, from_value, to_value, reason FROM conversation_activities WHERE conversation_id = ANY($1) ORDER BY id`, [ids]);

    it('should write one activity and send one conversation.updated per conversation, the activity inside it, none to the customer', async () => {
      const ids = await newConversations(acme, 3);
      const missing = 9_000_000_000;
      const since = await lastOutboxId();
      const res = await bulk({ ids: [...ids, missing], conversation: { status: 'resolved' } });
      expect(res.status).toBe(200);
      expect(res.body.results.map((r: { id: number; status: number }) => [r.id, r.status])).toEqual([...ids.map((id) => [id, 200]), [missing, 404]]);
      const written = await activityRows(ids);
      expect(written.map((r: { conversation_id: number; type: string; from_value: unknown; to_value: unknown }) => [r.conversation_id, r.type, r.from_value, r.to_value])).toEqual(
        ids.map((id) => [id, 'status', 'open', 'resolved']),
      );
      const events = await eventsSince(since);
      expect(events.map((e) => [e.event, e.channels, e.data.id])).toEqual(ids.map((id) => ['conversation.updated', [`private-tenant-${acme.tenantId}`], id]));
      events.forEach((e, i) =>
        expect(e.data.activities).toEqual([
          {
            id: written[i].id,
            conversationId: ids[i],
            type: 'status',
            from: 'open',
            to: 'resolved',
            reason: null,
            actor: { type: 'users', id: acme.adminId },
            createdAt: expect.any(String),
          },
        ]),
      );
    });

    it("should carry routing's assignment in each conversation's one event, when the change moves them into a team that routes", async () => {
      const member = await createAgent(t, acme.tenantId);
      const created = await t.http
        .post('/desk/api/v2/teams.json')
        .set('Authorization', acme.auth)
        .send({ team: { name: `bulk-${Date.now()}`, users: [{ id: member.id, type: 'users' }], assignment: { mode: 'round_robin' } } });
      expect(created.status).toBe(201);
      const team: number = created.body.team.id;
      const ids = await newConversations(acme, 2);
      const since = await lastOutboxId();
      const res = await bulk({ ids, conversation: { team: { id: team } } });
      expect(res.status).toBe(200);
      expect(res.body.results.map((r: { conversation: { assignee: unknown } }) => r.conversation.assignee)).toEqual(ids.map(() => ({ id: member.id, type: 'users' })));
      const events = await eventsSince(since);
      expect(events.map((e) => [e.event, e.data.id])).toEqual(ids.map((id) => ['conversation.updated', id]));
      for (const e of events) {
        expect(e.data).toMatchObject({ assignee: { id: member.id, type: 'users' } });
        expect(e.data.activities!.map((a) => [a.type, a.to, a.reason])).toEqual([
          ['team', { id: team, type: 'teams' }, null],
          ['assignee', { id: member.id, type: 'users' }, 'round_robin'],
        ]);
      }
    });

    it('should send nothing of an id that failed after recording its activity: its row and its event go together', async () => {
      const [a, b] = await newConversations(acme, 2);
      const views = t.app.get(ConversationViews);
      const real = views.announce.bind(views);
      jest.spyOn(views, 'announce').mockImplementation(async (principal, name, id, options) => {
        if (id === b) throw new NotFoundError('CONVERSATION_NOT_FOUND', 'gone meanwhile');
        return real(principal, name, id, options);
      });
      try {
        const since = await lastOutboxId();
        const res = await t.inProcessHttp.patch(BULK).set('Authorization', acme.auth).send({ ids: [a, b], conversation: { status: 'pending' } });
        expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([200, 404]);
        expect((await activityRows([a, b])).map((r: { conversation_id: number }) => r.conversation_id)).toEqual([a]);
        const events = await eventsSince(since);
        expect(events.map((e) => [e.event, e.data.id ?? e.data.conversationId])).toEqual([['conversation.updated', a]]);
      } finally {
        jest.restoreAllMocks();
      }
    });
  });

  describe('a change no id could take', () => {
    const insert = async (table: 'teams' | 'tags', tenant: TestTenant, name: string, deleted = false): Promise<number> =>
      (
        await t.db.query(`INSERT INTO ${table} (tenant_id, name, state, deleted_at) VALUES ($1, $2, $3, $4) RETURNING id`, [
          tenant.tenantId,
          `${name} ${Date.now()}`,
          deleted ? 'deleted' : 'active',
          deleted ? new Date() : null,
        ])
      )[0].id;
    const workflowRows = (ids: number[]) =>
      t.db.query(`SELECT id, status, snoozed_until, priority, assignee_id, team_id, label_ids, updated_by FROM conversations WHERE id = ANY($1) ORDER BY id`, [ids]);
    const activities = async (ids: number[]) => Number((await t.db.query(`SELECT count(*) FROM conversation_activities WHERE conversation_id = ANY($1)`, [ids]))[0].count);
    const outboxRows = async (since: number) => Number((await t.db.query(`SELECT count(*) FROM outbox WHERE id > $1 AND tenant_id = $2`, [since, acme.tenantId]))[0].count);
    const future = () => new Date(Date.now() + 3_600_000).toISOString();
    const missing = 9_000_000_001;
    const refs: Record<string, number> = {};
    beforeAll(async () => {
      refs.otherAgent = (await createAgent(t, other.tenantId)).id;
      refs.otherTeam = await insert('teams', other, 'Theirs');
      refs.otherTag = await insert('tags', other, 'theirs');
      refs.tag = await insert('tags', acme, 'ours');
    });

    it.each([
      ['snoozed without snoozedUntil', () => ({ status: 'snoozed' }), { 'conversation.snoozedUntil': ['must be set'] }],
      ['a snooze in the past', () => ({ status: 'snoozed', snoozedUntil: '2020-01-01T00:00:00Z' }), { 'conversation.snoozedUntil': ['must be in the future'] }],
      ['snoozedUntil without snoozed', () => ({ snoozedUntil: future() }), { 'conversation.snoozedUntil': ['must be set only with status ‘snoozed’'] }],
      ['an unknown assignee', () => ({ assignee: { id: missing } }), { 'conversation.assignee.id': ['does not exist'] }],
      ["another tenant's assignee", () => ({ assignee: { id: refs.otherAgent, type: 'users' } }), { 'conversation.assignee.id': ['does not exist'] }],
      ['an unknown team', () => ({ team: { id: missing } }), { 'conversation.team.id': ['does not exist'] }],
      ["another tenant's team", () => ({ team: { id: refs.otherTeam } }), { 'conversation.team.id': ['does not exist'] }],
      ['an unknown label', () => ({ labels: [{ id: refs.tag }, { id: missing }] }), { 'conversation.labels[1].id': ['does not exist'] }],
      ["another tenant's label", () => ({ labels: [{ id: refs.otherTag }] }), { 'conversation.labels[0].id': ['does not exist'] }],
      ['several at once', () => ({ status: 'snoozed', team: { id: missing }, labels: [{ id: refs.otherTag }] }), {
        'conversation.snoozedUntil': ['must be set'],
        'conversation.team.id': ['does not exist'],
        'conversation.labels[0].id': ['does not exist'],
      }],
    ])('should refuse %s with a 400 for the whole request, writing nothing', async (_, change, errors) => {
      const ids = await newConversations(acme, 3);
      const before = await workflowRows(ids);
      const since = await lastOutboxId();
      const res = await bulk({ ids, conversation: { priority: 'high', ...change() } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
      expect(res.headers['x-error-code']).toBe('VALIDATION_FAILED');
      expect(await workflowRows(ids)).toEqual(before);
      expect(await activities(ids)).toBe(0);
      expect(await outboxRows(since)).toBe(0);
    });

    it('should leave a deleted team or tag to each id: one that holds it keeps it, the others are refused', async () => {
      const goneTeam = await insert('teams', acme, 'Gone', true);
      const goneTag = await insert('tags', acme, 'gone', true);
      const [holder, plain] = await newConversations(acme, 2);
      await t.db.query(`UPDATE conversations SET team_id = $2, label_ids = $3 WHERE id = $1`, [holder, goneTeam, [goneTag]]);
      const since = await lastOutboxId();
      const res = await bulk({ ids: [holder, plain], conversation: { priority: 'low', team: { id: goneTeam }, labels: [{ id: goneTag }] } });
      expect(res.status).toBe(200);
      expect(res.body.results.map((r: { id: number; status: number; errors?: object }) => [r.id, r.status, r.errors])).toEqual([
        [holder, 200, undefined],
        [plain, 400, { 'team.id': ['does not exist'], 'labels[0].id': ['does not exist'] }],
      ]);
      expect((await workflowRows([holder, plain])).map((r: { priority: string; team_id: number | null }) => [r.priority, r.team_id])).toEqual([
        ['low', goneTeam],
        ['none', null],
      ]);
      expect(await activities([plain])).toBe(0);
      expect(await activities([holder])).toBe(1);
      expect((await eventsSince(since)).filter((e) => e.event === 'conversation.updated').map((e) => e.data.id)).toEqual([holder]);
    });
  });

  describe('one transaction', () => {
    it('should roll every id back, and announce nothing, when something unexpected fails', async () => {
      const [a, b, c] = await newConversations(acme, 3);
      // A fault only the database knows of, on the last id: the ones before it were already applied.
      await t.db.query(`
        CREATE FUNCTION h4_bulk_fault() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.conversation_id = ${c} THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$`);
      await t.db.query(`CREATE TRIGGER h4_bulk_fault BEFORE INSERT ON conversation_users FOR EACH ROW EXECUTE FUNCTION h4_bulk_fault()`);
      try {
        const since = await lastOutboxId();
        const res = await bulk({ ids: [a, b, c], conversation: { socket_id: 'fault.1', users: [{ id: agent.id }] } });
        expect(res.status).toBe(500);
        expect(await rows([a, b, c])).toEqual([a, b, c].map((id) => ({ id, socket_id: 'old.1', state: 'active', updated_by: acme.adminId, users: [] })));
        expect(await eventsSince(since)).toEqual([]);
      } finally {
        await t.db.query(`DROP TRIGGER h4_bulk_fault ON conversation_users`);
        await t.db.query(`DROP FUNCTION h4_bulk_fault()`);
      }
    });

    it('should run bulk changes over the same conversations at once without a deadlock (ids locked in order)', async () => {
      const ids = await newConversations(acme, 6);
      const reversed = [...ids].reverse();
      for (let round = 0; round < 5; round++) {
        const answers = await Promise.all([
          bulk({ ids, conversation: { socket_id: `up.${round}` } }),
          bulk({ ids: reversed, conversation: { socket_id: `down.${round}` } }),
          bulk({ ids: [ids[3], ids[0], ids[5]], conversation: { users: [{ id: agent.id }] } }),
        ]);
        expect(answers.map((res) => res.status)).toEqual([200, 200, 200]);
        // One of the two whole changes won, for every id alike: they ran one after the other.
        const sockets = new Set((await rows(ids)).map((r: { socket_id: string }) => r.socket_id));
        expect(sockets.size).toBe(1);
      }
    });
  });
});
