import { createHmac } from 'node:crypto';
import request from 'supertest';
import { RoutingService } from '../apps/api/src/conversations/routing/routing.service';
import { RoutingSweep } from '../apps/api/src/conversations/routing/routing-sweep';
import { SnoozeWakeUp } from '../apps/api/src/conversations/workflow/snooze-wake-up';
import { BASE } from './support/desk';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { ServiceProcess, startServiceProcess } from './support/service-processes';
import { createTestApp, TestApp, UNLIMITED_DESK } from './support/test-app';
import { itWithOwnProcesses } from './support/passes';
import { clientMessageEvent, sendSignedWebhook } from './support/signed-webhook';

// RoutingSweep's advisory lock key.
const ROUTING_SWEEP_LOCK_KEY = 4_815_162_347;
const PUSHER = { PUSHER_APP_ID: '1', PUSHER_KEY: 'routing-key', PUSHER_SECRET: 'routing-secret' };

type Agent = { id: number; auth: string };
interface OutboxRow {
  id: number;
  payload: { event: string; channels: string[]; data: Record<string, unknown> };
}

// Routing (docs/api.md, "Routing"): conversations are put into a team's queue with SQL here, as a
// conversation's team and status are set through another door; routing is triggered through the
// doors of teams, availability, presence and the sweep, and its rows, activities and events checked.
describe('Routing a team’s queue', () => {
  let t: TestApp;
  let acme: TestTenant;
  let contactId: number;
  let sequence = 0;

  beforeAll(async () => {
    t = await createTestApp(PUSHER);
    acme = await createTenant(t, 'Acme');
    contactId = (await createContact(t.db, acme.tenantId)).contactId;
  });
  afterAll(() => t.close());

  // The sweep to its end: a run of this process's own job (or another's) may hold its lock a moment.
  const sweep = async (): Promise<number> => {
    for (;;) {
      const assigned = await t.app.get(RoutingSweep).sweep();
      if (assigned !== null) return assigned;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  // The sweep's advisory lock held aside, so that no run of it routes while a test calls routing itself.
  const withoutSweeps = async <T>(work: () => Promise<T>): Promise<T> => {
    const runner = t.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await runner.query('SELECT pg_advisory_xact_lock($1)', [ROUTING_SWEEP_LOCK_KEY]);
      return await work();
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  };
  const name = () => `Team ${Date.now().toString(36)}${sequence++}`;
  const agents = async (n: number, tenant = acme): Promise<Agent[]> => {
    const made: Agent[] = [];
    for (let i = 0; i < n; i++) made.push(await createAgent(t, tenant.tenantId));
    return made.sort((a, b) => a.id - b.id);
  };
  const createTeam = async (members: Agent[], assignment: Record<string, unknown> = {}): Promise<number> => {
    const res = await t.http
      .post(`${BASE}/teams.json`)
      .set('Authorization', acme.auth)
      .send({ name: name(), users: members.map((m) => ({ id: m.id })), assignment });
    expect(res.status).toBe(201);
    return res.body.team.id;
  };
  const patchTeam = async (id: number, body: Record<string, unknown>) => {
    const res = await t.http.patch(`${BASE}/teams/${id}.json`).set('Authorization', acme.auth).send(body);
    expect(res.status).toBe(200);
    return res;
  };
  const setAvailability = (agent: Agent, availability: string) =>
    t.http.patch(`${BASE}/me.json`).set('Authorization', agent.auth).send({ user: { availability } });
  const setRowAvailability = (ids: number[], availability: string) => t.db.query(`UPDATE users SET availability = $2 WHERE id = ANY($1)`, [ids, availability]);

  // `n` conversations waiting in the team's queue; waiting_since spread so that the oldest are not
  // the lowest ids. Answers the ids oldest waiting first.
  const queue = async (teamId: number, n: number): Promise<number[]> => {
    const rows: { id: number }[] = await t.db.query(
      `INSERT INTO conversations (tenant_id, contact_id, team_id, waiting_since)
       SELECT $1, $2, $3, timestamptz '2026-01-01T00:00:00Z' + ((g * 7919) % $4) * interval '1 second'
         FROM generate_series(1, $4) AS g
       RETURNING id`,
      [acme.tenantId, contactId, teamId, n],
    );
    const ids = rows.map((r) => r.id);
    return (await t.db.query(`SELECT id FROM conversations WHERE id = ANY($1) ORDER BY waiting_since, id`, [ids])).map((r: { id: number }) => r.id);
  };
  const assignees = async (ids: number[]): Promise<(number | null)[]> => {
    const rows: { id: number; assignee_id: number | null }[] = await t.db.query(`SELECT id, assignee_id FROM conversations WHERE id = ANY($1)`, [ids]);
    const byId = new Map(rows.map((r) => [r.id, r.assignee_id]));
    return ids.map((id) => byId.get(id) ?? null);
  };
  const activities = async (ids: number[]) =>
    t.db.query(
      `SELECT conversation_id, type, from_value, to_value, reason, actor_type, actor_id FROM conversation_activities
        WHERE conversation_id = ANY($1) ORDER BY id`,
      [ids],
    );
  const lastOutboxId = async (): Promise<number> => (await t.db.query(`SELECT coalesce(max(id), 0)::bigint AS id FROM outbox`))[0].id;
  const outboxSince = async (id: number): Promise<OutboxRow[]> => t.db.query(`SELECT id, payload FROM outbox WHERE topic = 'pusher' AND id > $1 ORDER BY id`, [id]);

  describe('round robin', () => {
    it('should assign the queue oldest first, members in turn, and carry the turn over to the next routing', async () => {
      const [a, b, c] = await agents(3);
      const team = await createTeam([a, b, c]);
      const waiting = await queue(team, 7);
      const since = await lastOutboxId();

      await patchTeam(team, { assignment: { mode: 'round_robin' } });

      expect(await assignees(waiting)).toEqual([a, b, c, a, b, c, a].map((m) => m.id));
      const [{ last_assigned_user_id: last }] = await t.db.query(`SELECT last_assigned_user_id FROM teams WHERE id = $1`, [team]);
      expect(last).toBe(a.id);
      expect(await activities(waiting)).toEqual(
        waiting.map((id, i) => ({
          conversation_id: id,
          type: 'assignee',
          from_value: null,
          to_value: { id: [a, b, c][i % 3].id, type: 'users' },
          reason: 'round_robin',
          actor_type: 'system',
          actor_id: null,
        })),
      );
      // One conversation.updated per conversation (with the assignee, its assignee activity inside),
      // to the tenant's agents only, and nothing else.
      const events = await outboxSince(since);
      expect(events.map((e) => e.payload.event)).toEqual(waiting.map(() => 'conversation.updated'));
      const updated = events.filter((e) => e.payload.event === 'conversation.updated');
      expect(updated.map((e) => e.payload.data.id).sort()).toEqual([...waiting].sort());
      for (const e of updated) {
        const [assignee] = await assignees([e.payload.data.id as number]);
        expect(e.payload.data.assignee).toEqual({ id: assignee, type: 'users' });
        expect(e.payload.data.activities).toMatchObject([{ conversationId: e.payload.data.id, type: 'assignee', to: { id: assignee, type: 'users' }, reason: 'round_robin', actor: { type: 'system', id: null } }]);
      }
      expect(events.flatMap((e) => e.payload.channels).filter((ch) => ch !== `private-tenant-${acme.tenantId}`)).toEqual([]);

      // The conversation shows its assignee, and side-loads its team for agents.
      const shown = await t.http.get(`${BASE}/conversations/${waiting[0]}.json?includes=teams,users`).set('Authorization', acme.auth);
      expect(shown.status).toBe(200);
      expect(shown.body.included.teams).toEqual([expect.objectContaining({ id: team, users: [a, b, c].map((m) => ({ id: m.id, type: 'users' })), assignment: { mode: 'round_robin', capacity: null, onlyAvailable: false } })]);

      // Two more: b and c are next in turn.
      const more = await queue(team, 2);
      await sweep();
      expect(await assignees(more)).toEqual([b.id, c.id]);
    });
  });

  describe('balanced', () => {
    it('should give each next conversation to the member with the fewest open in the team, ties to the lowest id', async () => {
      const [a, b, c] = await agents(3);
      const team = await createTeam([a, b, c]);
      const other = await createTeam([a, b, c]);
      // a has 2 open in the team, c 1; a's resolved one and b's in another team do not count.
      await t.db.query(
        `INSERT INTO conversations (tenant_id, contact_id, team_id, assignee_id, status, resolved_at)
         VALUES ($1, $2, $3, $4, 'open', NULL), ($1, $2, $3, $4, 'open', NULL), ($1, $2, $3, $6, 'open', NULL),
                ($1, $2, $3, $4, 'resolved', now()), ($1, $2, $7, $5, 'open', NULL), ($1, $2, $7, $5, 'open', NULL)`,
        [acme.tenantId, contactId, team, a.id, b.id, c.id, other],
      );
      const waiting = await queue(team, 4);

      await patchTeam(team, { assignment: { mode: 'balanced' } });

      expect(await assignees(waiting)).toEqual([b.id, b.id, c.id, a.id]);
      expect((await activities(waiting)).map((row: { reason: string }) => row.reason)).toEqual(['balanced', 'balanced', 'balanced', 'balanced']);
    });

    it('should leave a manual team’s queue alone, and skip deactivated members', async () => {
      const [a, b] = await agents(2);
      const team = await createTeam([a, b]);
      const waiting = await queue(team, 3);
      await sweep();
      expect(await assignees(waiting)).toEqual([null, null, null]);

      await t.db.query(`UPDATE users SET state = 'deleted', deleted_at = now() WHERE id = $1`, [a.id]);
      await patchTeam(team, { assignment: { mode: 'balanced', capacity: 2 } });
      expect(await assignees(waiting)).toEqual([b.id, b.id, null]);
    });
  });

  describe('team changes', () => {
    it('should route at once when members join, and never once the team is deleted', async () => {
      const [a, b] = await agents(2);
      const team = await createTeam([], { mode: 'round_robin', capacity: 2 });
      const waiting = await queue(team, 5);
      await sweep();
      expect(await assignees(waiting)).toEqual([null, null, null, null, null]);

      await patchTeam(team, { users: [{ id: a.id }] });
      expect(await assignees(waiting)).toEqual([a.id, a.id, null, null, null]);

      const res = await t.http.delete(`${BASE}/teams/${team}.json`).set('Authorization', acme.auth);
      expect(res.status).toBe(204);
      await t.db.query(`INSERT INTO team_members (tenant_id, team_id, user_id) VALUES ($1, $2, $3)`, [acme.tenantId, team, b.id]);
      await sweep();
      await t.app.get(RoutingService).routeTeams(acme.tenantId, [team]);
      expect(await assignees(waiting)).toEqual([a.id, a.id, null, null, null]);
    });
  });

  describe('capacity and availability', () => {
    it('should route only to available members below capacity, and assign the next oldest once one becomes available', async () => {
      const [a, b] = await agents(2);
      await setRowAvailability([a.id], 'away');
      const team = await createTeam([a, b]);
      const waiting = await queue(team, 4);

      await patchTeam(team, { assignment: { mode: 'balanced', capacity: 1, onlyAvailable: true } });
      expect(await assignees(waiting)).toEqual([b.id, null, null, null]);

      const since = await lastOutboxId();
      const res = await setAvailability(a, 'available');
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ id: a.id, availability: 'available' });
      expect(res.body.tenant).toMatchObject({ id: acme.tenantId });
      expect(await assignees(waiting)).toEqual([b.id, a.id, null, null]);
      const events = await outboxSince(since);
      // One event for the one conversation routing assigned, its activity inside.
      expect(events.map((e) => [e.payload.event, e.payload.data.id])).toEqual([['conversation.updated', waiting[1]]]);
      expect(events[0].payload.data.activities).toMatchObject([{ type: 'assignee', to: { id: a.id, type: 'users' }, reason: 'balanced' }]);

      // Freeing capacity: b's conversation is resolved, and the sweep gives b the next oldest: one
      // event for it, its activity inside, and no other.
      await t.db.query(`UPDATE conversations SET status = 'resolved', resolved_at = now() WHERE id = $1`, [waiting[0]]);
      const beforeSweep = await lastOutboxId();
      await sweep();
      expect(await assignees(waiting)).toEqual([b.id, a.id, b.id, null]);
      const swept = (await outboxSince(beforeSweep)).filter((e) => waiting.includes((e.payload.data.id ?? e.payload.data.conversationId) as number));
      expect(swept.map((e) => [e.payload.event, e.payload.data.id])).toEqual([['conversation.updated', waiting[2]]]);
      expect(swept[0].payload.data.activities).toMatchObject([{ conversationId: waiting[2], type: 'assignee', to: { id: b.id, type: 'users' } }]);
    });

    it('should record the availability an agent sets, shown on /me.json and /users.json, and refuse another value', async () => {
      const [a] = await agents(1);
      const res = await t.http.patch(`${BASE}/me.json`).set('Authorization', a.auth).send({ availability: 'away' });
      expect(res.status).toBe(200);
      expect(res.body.user.availability).toBe('away');
      const [row] = await t.db.query(`SELECT availability, availability_changed_at FROM users WHERE id = $1`, [a.id]);
      expect(row.availability).toBe('away');
      expect(row.availability_changed_at).toBeInstanceOf(Date);
      expect((await t.http.get(`${BASE}/me.json`).set('Authorization', a.auth)).body.user.availability).toBe('away');
      const listed = await t.http.get(`${BASE}/users.json?filter=${encodeURIComponent(`{"availability":"away","id":${a.id}}`)}`).set('Authorization', acme.auth);
      expect(listed.body.users.map((u: { id: number }) => u.id)).toEqual([a.id]);

      for (const body of [{ availability: 'busy' }, { user: {} }, { user: { availability: 'away', role: 'admin' } }]) {
        const bad = await t.http.patch(`${BASE}/me.json`).set('Authorization', a.auth).send(body);
        expect(bad.status).toBe(400);
      }
      expect((await t.db.query(`SELECT availability, role FROM users WHERE id = $1`, [a.id]))[0]).toEqual({ availability: 'away', role: 'agent' });
    });
  });

  describe('presence on presence-tenant-{id}', () => {
    const send = (events: object[], timeMs = Date.now()) => {
      const raw = JSON.stringify({ time_ms: timeMs, events });
      return t.http
        .post(`${BASE}/conversationmessages/webhooks.json`)
        .set({
          'Content-Type': 'application/json',
          'X-Pusher-Key': PUSHER.PUSHER_KEY,
          'X-Pusher-Signature': createHmac('sha256', PUSHER.PUSHER_SECRET).update(raw).digest('hex'),
        })
        .send(raw);
    };
    const member = (name: 'member_added' | 'member_removed', userId: string, tenantId = acme.tenantId) => ({
      name,
      channel: `presence-tenant-${tenantId}`,
      user_id: userId,
    });
    const availabilityOf = async (id: number): Promise<string> => (await t.db.query(`SELECT availability FROM users WHERE id = $1`, [id]))[0].availability;

    it('should make an offline agent available when they join, route their team, and offline when they leave', async () => {
      const [a] = await agents(1);
      await setRowAvailability([a.id], 'offline');
      const team = await createTeam([a]);
      const waiting = await queue(team, 2);
      await patchTeam(team, { assignment: { mode: 'round_robin', onlyAvailable: true } });
      expect(await assignees(waiting)).toEqual([null, null]);

      const joined = await send([member('member_added', `user-${a.id}`)]);
      expect(joined.status).toBe(201);
      expect(joined.body.meta).toMatchObject({ received: 1, applied: 1 });
      expect(await availabilityOf(a.id)).toBe('available');
      expect(await assignees(waiting)).toEqual([a.id, a.id]);

      const left = await send([member('member_removed', `user-${a.id}`)]);
      expect(left.body.meta).toMatchObject({ applied: 1 });
      expect(await availabilityOf(a.id)).toBe('offline');
      const [stored] = await t.db.query(`SELECT outcome, tenant_id FROM webhook_events WHERE name = 'member_removed' AND user_id = $1`, [`user-${a.id}`]);
      expect(stored).toEqual({ outcome: 'applied', tenant_id: acme.tenantId });
    });

    it('should keep an agent who chose away away, apply no event older than the last change, and take a replay once', async () => {
      const [a, b] = await agents(2);
      await setAvailability(a, 'away');
      await setRowAvailability([b.id], 'offline');
      const now = Date.now();
      const batch = [member('member_added', `user-${a.id}`), member('member_added', `user-${b.id}`)];

      expect((await send(batch, now)).body.meta).toMatchObject({ received: 2, applied: 2 });
      expect(await availabilityOf(a.id)).toBe('away');
      expect(await availabilityOf(b.id)).toBe('available');

      // The same batch again (Pusher's retry) is a duplicate: b, offline meanwhile, stays offline.
      await setAvailability(b, 'offline');
      expect((await send(batch, now)).body.meta).toMatchObject({ received: 2, applied: 0, duplicates: 2 });
      expect(await availabilityOf(b.id)).toBe('offline');
      // An event from before b's own change does not undo it.
      await send([member('member_added', `user-${b.id}`)], now - 10_000);
      expect(await availabilityOf(b.id)).toBe('offline');
    });

    it('should keep a chosen away across a disconnect and a reconnect, and route nothing for it', async () => {
      const [a] = await agents(1);
      const team = await createTeam([a]);
      await patchTeam(team, { assignment: { mode: 'round_robin', onlyAvailable: true } });
      expect((await setAvailability(a, 'away')).status).toBe(200);
      const waiting = await queue(team, 1);
      // Event times after every change the test makes (PATCH /me.json records the database's now()).
      const at = Date.now() + 5_000;

      expect((await send([member('member_removed', `user-${a.id}`)], at)).body.meta).toMatchObject({ applied: 1 });
      expect(await availabilityOf(a.id)).toBe('away');
      expect((await send([member('member_added', `user-${a.id}`)], at + 1)).body.meta).toMatchObject({ applied: 1 });
      expect(await availabilityOf(a.id)).toBe('away');
      expect(await assignees(waiting)).toEqual([null]);
      expect((await t.http.get(`${BASE}/me.json`).set('Authorization', a.auth)).body.user.availability).toBe('away');

      // Once they choose available, presence moves them again: offline on leaving, back on joining.
      expect((await setAvailability(a, 'available')).status).toBe(200);
      expect(await assignees(waiting)).toEqual([a.id]);
      await send([member('member_removed', `user-${a.id}`)], at + 2);
      expect(await availabilityOf(a.id)).toBe('offline');
      await send([member('member_added', `user-${a.id}`)], at + 3);
      expect(await availabilityOf(a.id)).toBe('available');
    });

    it('should take presence batches, team changes and availability changes all at once without a deadlock', async () => {
      const members = await agents(8);
      await setRowAvailability(members.map((m) => m.id), 'offline');
      const team = await createTeam(members);
      const waiting = await queue(team, 60);
      await patchTeam(team, { assignment: { mode: 'balanced', capacity: 5, onlyAvailable: true } });
      const deadlocks = async (): Promise<number> =>
        Number((await t.db.query(`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`))[0].deadlocks);
      const before = await deadlocks();

      // Twelve batches, each naming every agent in another order, and each agent's own PATCH.
      const now = Date.now();
      const shuffled = (i: number) => [...members].sort((x, y) => ((x.id * 7 + i * 13) % 11) - ((y.id * 7 + i * 13) % 11));
      const answers = await Promise.all([
        ...Array.from({ length: 12 }, (_, i) => send(shuffled(i).map((m) => member('member_added', `user-${m.id}`)), now - i)),
        ...members.map((m) => setAvailability(m, 'available')),
        patchTeam(team, { assignment: { capacity: 6 } }),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([...Array(12).fill(201), ...Array(9).fill(200)].sort());
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await deadlocks()).toBe(before);

      expect(new Set(await Promise.all(members.map((m) => availabilityOf(m.id))))).toEqual(new Set(['available']));
      const assigned = await assignees(waiting);
      expect(assigned.filter((id) => id !== null)).toHaveLength(48);
      expect(assigned.slice(0, 48).every((id) => id !== null)).toBe(true);
      for (const m of members) expect(assigned.filter((id) => id === m.id)).toHaveLength(6);
    });

    it('should not let an older presence event, arriving after a later one that changed nothing, undo it', async () => {
      const [a] = await agents(1);
      const now = Date.now();
      await t.db.query(`UPDATE users SET availability = 'offline', availability_changed_at = $2 WHERE id = $1`, [a.id, new Date(now - 60_000)]);
      await send([member('member_added', `user-${a.id}`)], now - 50_000);
      expect(await availabilityOf(a.id)).toBe('available');
      // Dropped at now - 5 s and back at now: Pusher delivers the return first; it changes nothing
      // (still available), and the drop, older, must not apply after it.
      await send([member('member_added', `user-${a.id}`)], now);
      await send([member('member_removed', `user-${a.id}`)], now - 5_000);
      expect(await availabilityOf(a.id)).toBe('available');
      // Within one batch (one time), the later event wins.
      await send([member('member_removed', `user-${a.id}`), member('member_added', `user-${a.id}`)], now + 1_000);
      expect(await availabilityOf(a.id)).toBe('available');
      await send([member('member_added', `user-${a.id}`), member('member_removed', `user-${a.id}`)], now + 2_000);
      expect(await availabilityOf(a.id)).toBe('offline');
    });

    it("should take customers' messages that reopen conversations, presence in the same batches and agents' own changes at once, without a deadlock", async () => {
      const members = await agents(6);
      await setRowAvailability(members.map((m) => m.id), 'offline');
      const teams = [await createTeam(members.slice(0, 3)), await createTeam(members.slice(3))];
      for (const team of teams) await patchTeam(team, { assignment: { mode: 'round_robin', capacity: 50, onlyAvailable: true } });
      const resolved = [...(await queue(teams[0], 12)), ...(await queue(teams[1], 12))];
      await t.db.query(`UPDATE conversations SET status = 'resolved', resolved_at = now() WHERE id = ANY($1)`, [resolved]);
      const deadlocks = async (): Promise<number> =>
        Number((await t.db.query(`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`))[0].deadlocks);
      const before = await deadlocks();

      // Each batch reopens conversations of both teams, in another order, with every agent joining.
      const now = Date.now();
      const message = (id: number, i: number) => ({
        name: 'client_event',
        channel: `private-conversation-${id}`,
        event: 'client-message',
        data: JSON.stringify({ message: `still broken ${i}`, clientMessageId: `reopen-${id}-${i}` }),
      });
      const batches = Array.from({ length: 8 }, (_, i) => {
        const order = i % 2 === 0 ? resolved : [...resolved].reverse();
        const picked = order.filter((id) => resolved.indexOf(id) % 4 === i % 4);
        return [...picked.map((id) => message(id, i)), ...members.map((m) => member('member_added', `user-${m.id}`))];
      });
      const answers = await Promise.all([...batches.map((events, i) => send(events, now + i)), ...members.map((m) => setAvailability(m, 'available'))]);
      expect(answers.map((a) => a.status).sort()).toEqual([...Array(8).fill(201), ...Array(6).fill(200)].sort());
      expect(await deadlocks()).toBe(before);

      // Every conversation reopened, and routing gave each to a member of its own team.
      const rows: { id: number; status: string; assignee_id: number | null; team_id: number }[] = await t.db.query(
        `SELECT id, status, assignee_id, team_id FROM conversations WHERE id = ANY($1)`,
        [resolved],
      );
      expect(rows.every((r) => r.status === 'open')).toBe(true);
      const teamOf = new Map(members.map((m, i) => [m.id, teams[i < 3 ? 0 : 1]]));
      expect(rows.every((r) => r.assignee_id !== null && teamOf.get(r.assignee_id) === r.team_id)).toBe(true);
    });

    it("should ignore members that are not the tenant's active agents, and contacts", async () => {
      const globex = await createTenant(t, 'Globex');
      const [a] = await agents(1);
      await setRowAvailability([a.id], 'offline');
      const res = await send([
        member('member_added', `user-${a.id}`, globex.tenantId),
        member('member_added', `contact-${contactId}`),
        member('member_added', 'user-999999999'),
      ]);
      expect(res.body.meta).toMatchObject({ received: 3, applied: 0, ignored: 3 });
      expect(await availabilityOf(a.id)).toBe('offline');
    });
  });

  describe('an assignee who is no longer an active agent', () => {
    // A conversation of the team assigned to `assignee`, in `status`.
    const assigned = async (teamId: number | null, assignee: Agent, status: string): Promise<number> => {
      const [{ id }] = await t.db.query(
        `INSERT INTO conversations (tenant_id, contact_id, team_id, assignee_id, status, resolved_at, snoozed_until, waiting_since)
         VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 = 'resolved' THEN now() END, CASE WHEN $5 = 'snoozed' THEN now() + interval '1 hour' END, now())
         RETURNING id`,
        [acme.tenantId, contactId, teamId, assignee.id, status],
      );
      return id;
    };
    const deactivate = (agent: Agent) => t.http.patch(`${BASE}/users/${agent.id}.json`).set('Authorization', acme.auth).send({ state: 'deleted' });
    const activityRows = async (id: number) =>
      (await activities([id])).map((r: Record<string, unknown>) => ({ type: r.type, from: r.from_value, to: r.to_value, reason: r.reason, actor: r.actor_type }));
    const removed = (agent: Agent) => ({ type: 'assignee', from: { id: agent.id, type: 'users' }, to: null, reason: 'assignee_inactive', actor: 'system' });
    // Each conversation has at least one conversation.updated, and no conversation.* event goes
    // anywhere but the tenant's agents' channel.
    // One conversation.updated per conversation, to the agents only, carrying exactly the activities
    // the change wrote (all of them since the setup), and no activity alone.
    const expectAgentsOnly = async (since: number, ids: number[]) => {
      const events = (await outboxSince(since)).filter((e) => e.payload.event.startsWith('conversation.'));
      expect(events.filter((e) => e.payload.event === 'conversation.activity')).toEqual([]);
      for (const id of ids) {
        const updated = events.filter((e) => e.payload.event === 'conversation.updated' && e.payload.data.id === id);
        expect(updated).toHaveLength(1);
        const carried = (updated[0].payload.data.activities as { type: string; reason: string | null }[]).map((a) => [a.type, a.reason]);
        expect(carried).toEqual((await activityRows(id)).map((r: { type: string; reason: string | null }) => [r.type, r.reason]));
      }
      expect(events.flatMap((e) => e.payload.channels).filter((ch) => ch !== `private-tenant-${acme.tenantId}`)).toEqual([]);
    };

    it("should take the open, pending and snoozed conversations off an agent deactivated, route the open ones, and leave the resolved ones theirs", async () => {
      const [a, b] = await agents(2);
      const team = await createTeam([a, b], { mode: 'balanced' });
      const open = await assigned(team, a, 'open');
      const pending = await assigned(team, a, 'pending');
      const snoozed = await assigned(team, a, 'snoozed');
      const resolved = await assigned(team, a, 'resolved');
      const teamless = await assigned(null, a, 'open');
      const others = await assigned(team, b, 'open');
      const since = await lastOutboxId();

      const res = await deactivate(a);
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ id: a.id, state: 'deleted' });

      expect(await assignees([open, pending, snoozed, resolved, teamless, others])).toEqual([b.id, null, null, a.id, null, b.id]);
      expect(await activityRows(open)).toEqual([removed(a), { type: 'assignee', from: null, to: { id: b.id, type: 'users' }, reason: 'balanced', actor: 'system' }]);
      for (const id of [pending, snoozed, teamless]) expect(await activityRows(id)).toEqual([removed(a)]);
      for (const id of [resolved, others]) expect(await activityRows(id)).toEqual([]);
      expect((await t.db.query(`SELECT status FROM conversations WHERE id = ANY($1) ORDER BY id`, [[open, pending, snoozed]])).map((r: { status: string }) => r.status)).toEqual(['open', 'pending', 'snoozed']);
      await expectAgentsOnly(since, [open, pending, snoozed, teamless]);
    });

    it('should leave everything as it was when the deactivation is refused (the last admin)', async () => {
      const solo = await createTenant(t, 'Solo');
      const { contactId: soloContact } = await createContact(t.db, solo.tenantId);
      const [{ id }] = await t.db.query(`INSERT INTO conversations (tenant_id, contact_id, assignee_id) VALUES ($1, $2, $3) RETURNING id`, [solo.tenantId, soloContact, solo.adminId]);
      const res = await t.http.patch(`${BASE}/users/${solo.adminId}.json`).set('Authorization', solo.auth).send({ state: 'deleted' });
      expect(res.status).toBe(409);
      expect(await assignees([id])).toEqual([solo.adminId]);
      expect(await activityRows(id)).toEqual([]);
      expect((await t.db.query(`SELECT state FROM users WHERE id = $1`, [solo.adminId]))[0].state).toBe('active');
    });

    it("should take a resolved conversation off its deactivated assignee when the customer writes (REST), and route it to the team", async () => {
      const [a, b] = await agents(2);
      const team = await createTeam([a, b], { mode: 'round_robin' });
      const id = await assigned(team, a, 'resolved');
      expect((await deactivate(a)).status).toBe(200);
      expect(await assignees([id])).toEqual([a.id]);
      const since = await lastOutboxId();

      const res = await t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', acme.auth).send({ conversationId: id, contactId, message: 'It broke again' });
      expect(res.status).toBe(201);

      expect(await assignees([id])).toEqual([b.id]);
      expect((await t.db.query(`SELECT status, resolved_at FROM conversations WHERE id = $1`, [id]))[0]).toEqual({ status: 'open', resolved_at: null });
      expect(await activityRows(id)).toEqual([
        { type: 'status', from: 'resolved', to: 'open', reason: 'customer_message', actor: 'contact' },
        removed(a),
        { type: 'assignee', from: null, to: { id: b.id, type: 'users' }, reason: 'round_robin', actor: 'system' },
      ]);
      await expectAgentsOnly(since, [id]);
    });

    it("should leave it unassigned in a manual team's queue when the customer writes through the Pusher webhook", async () => {
      const [a] = await agents(1);
      const team = await createTeam([a]);
      const id = await assigned(team, a, 'resolved');
      expect((await deactivate(a)).status).toBe(200);
      const since = await lastOutboxId();

      const res = await sendSignedWebhook(t.http, [clientMessageEvent(id, { message: 'Hello?', clientMessageId: `gone-${id}` })], { key: PUSHER.PUSHER_KEY, secret: PUSHER.PUSHER_SECRET });
      expect(res.status).toBe(201);

      expect(await assignees([id])).toEqual([null]);
      expect(await activityRows(id)).toEqual([
        { type: 'status', from: 'resolved', to: 'open', reason: 'customer_message', actor: 'contact' },
        removed(a),
        { type: 'queued', from: null, to: { id: team, type: 'teams' }, reason: 'manual', actor: 'system' },
      ]);
      await expectAgentsOnly(since, [id]);
    });

    it('should take it off an assignee gone inactive when a snooze runs out or an agent reopens it, and keep an active one', async () => {
      const [a, b, c] = await agents(3);
      const team = await createTeam([b], { mode: 'balanced' });
      const woken = await assigned(team, a, 'snoozed');
      const reopened = await assigned(team, a, 'resolved');
      const kept = await assigned(team, c, 'resolved');
      // Gone without the deactivation's own release (as a row another door left behind).
      await t.db.query(`UPDATE users SET state = 'deleted', deleted_at = now() WHERE id = $1`, [a.id]);

      await t.db.query(`UPDATE conversations SET snoozed_until = now() - interval '1 second' WHERE id = $1`, [woken]);
      await t.app.get(SnoozeWakeUp).wakeDue();
      const patched = await t.http.patch(`${BASE}/conversations/${reopened}.json`).set('Authorization', acme.auth).send({ status: 'open' });
      expect(patched.status).toBe(200);
      expect(patched.body.conversation).toMatchObject({ status: 'open', assignee: { id: b.id, type: 'users' } });
      const reply = await t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', acme.auth).send({ conversationId: kept, contactId, message: 'Me again' });
      expect(reply.status).toBe(201);

      expect(await assignees([woken, reopened, kept])).toEqual([b.id, b.id, c.id]);
      expect((await activityRows(woken)).slice(0, 2)).toEqual([{ type: 'status', from: 'snoozed', to: 'open', reason: 'snooze_expired', actor: 'system' }, removed(a)]);
      expect((await activityRows(reopened)).slice(0, 2)).toEqual([{ type: 'status', from: 'resolved', to: 'open', reason: null, actor: 'user' }, removed(a)]);
      expect(await activityRows(kept)).toEqual([{ type: 'status', from: 'resolved', to: 'open', reason: 'customer_message', actor: 'contact' }]);
    });
  });

  describe('the sweep', () => {
    it('should assign at most one chunk (500) a call, and leave the rest of a long queue to the sweep, oldest first', async () => {
      const [a, b] = await agents(2);
      const team = await createTeam([a, b]);
      const waiting = await queue(team, 1_200);
      await patchTeam(team, { assignment: { mode: 'round_robin' } });
      const afterPatch = await assignees(waiting);
      // A run of the sweep may have begun meanwhile; the PATCH itself assigned one chunk of the oldest.
      const assignedByPatch = afterPatch.filter((id) => id !== null).length;
      expect(assignedByPatch).toBeGreaterThanOrEqual(500);
      expect(afterPatch.slice(0, 500).every((id) => id !== null)).toBe(true);

      await sweep();
      const after = await assignees(waiting);
      expect(after.every((id) => id !== null)).toBe(true);
      expect(after.filter((id) => id === a.id)).toHaveLength(600);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM conversation_activities WHERE conversation_id = ANY($1) AND type = 'assignee'`, [waiting]);
      expect(n).toBe(1_200);
    });
  });

  describe('RoutingService.routeTeams', () => {
    it("should record 'queued' for each entered conversation still waiting, and not for one it assigned", async () => {
      const [a] = await agents(1);
      const team = await createTeam([a], { mode: 'balanced', capacity: 1 });
      const [first, second] = await withoutSweeps(async () => {
        const waiting = await queue(team, 2);
        await t.app.get(RoutingService).routeTeams(acme.tenantId, [team], waiting);
        return waiting;
      });
      expect(await assignees([first, second])).toEqual([a.id, null]);
      expect(await activities([first, second])).toEqual([
        { conversation_id: first, type: 'assignee', from_value: null, to_value: { id: a.id, type: 'users' }, reason: 'balanced', actor_type: 'system', actor_id: null },
        { conversation_id: second, type: 'queued', from_value: null, to_value: { id: team, type: 'teams' }, reason: 'no_eligible_member', actor_type: 'system', actor_id: null },
      ]);
    });

    it('should announce each conversation a routing pass of its own assigns once, its activity inside, and no activity alone', async () => {
      const [a] = await agents(1);
      const team = await createTeam([a], { mode: 'round_robin' });
      const since = await lastOutboxId();
      const [older, entered] = await withoutSweeps(async () => {
        const waiting = await queue(team, 2);
        expect(await t.app.get(RoutingService).routeTeams(acme.tenantId, [team], [waiting[1]])).toBe(2);
        return waiting;
      });
      expect(await assignees([older, entered])).toEqual([a.id, a.id]);
      const events = await outboxSince(since);
      const updated = events.filter((e) => e.payload.event === 'conversation.updated');
      expect(updated.map((e) => Number(e.payload.data.id)).sort((x, y) => x - y)).toEqual([older, entered].sort((x, y) => x - y));
      for (const e of updated) {
        expect(e.payload.data.activities).toMatchObject([{ conversationId: e.payload.data.id, type: 'assignee', to: { id: a.id, type: 'users' }, reason: 'round_robin' }]);
      }
      expect(events.filter((e) => e.payload.event === 'conversation.activity')).toEqual([]);
    });

    it('should skip a conversation another transaction holds, without waiting, and let the sweep assign it after', async () => {
      const [a] = await agents(1);
      const team = await createTeam([a]);
      const [held, next] = await queue(team, 2);
      const runner = t.db.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      try {
        await runner.query(`SELECT id FROM conversations WHERE id = $1 FOR NO KEY UPDATE`, [held]);
        const started = Date.now();
        await patchTeam(team, { assignment: { mode: 'balanced' } });
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(await assignees([held, next])).toEqual([null, a.id]);
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
      await sweep();
      expect(await assignees([held, next])).toEqual([a.id, a.id]);
    });
  });

  describe('at scale, across two service processes', () => {
    let processes: ServiceProcess[];

    beforeAll(async () => {
      const env = { ...t.databaseEnv, ...UNLIMITED_DESK, LOG_LEVEL: 'warn' };
      processes = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
    }, 120_000);
    afterAll(() => Promise.all(processes.map((p) => p.stop())));

    const on = (i: number) => request(processes[i % 2].url);
    const openCounts = async (team: number): Promise<Map<number, number>> => {
      const rows: { assignee_id: number; n: number }[] = await t.db.query(
        `SELECT assignee_id, count(*)::int AS n FROM conversations WHERE team_id = $1 AND assignee_id IS NOT NULL AND status = 'open' GROUP BY assignee_id`,
        [team],
      );
      return new Map(rows.map((r) => [r.assignee_id, r.n]));
    };

    itWithOwnProcesses('should assign 500 of 1,000 queued to 10 agents of capacity 50, oldest first, and the next 10 once 10 are resolved', async () => {
      const members = await agents(10);
      await setRowAvailability(members.map((m) => m.id), 'away');
      const team = await createTeam(members, { mode: 'balanced', capacity: 50, onlyAvailable: true });
      const waiting = await queue(team, 1000);
      const since = await lastOutboxId();

      // Every agent becomes available, and the team stops asking for it, all at once over both processes.
      const answers = await Promise.all([
        on(0).patch(`${BASE}/teams/${team}.json`).set('Authorization', acme.auth).send({ assignment: { onlyAvailable: false } }),
        ...members.map((m, i) => on(i).patch(`${BASE}/me.json`).set('Authorization', m.auth).send({ user: { availability: 'available' } })),
      ]);
      expect(answers.map((a) => a.status)).toEqual(Array(11).fill(200));

      const assigned = await assignees(waiting);
      expect(assigned.filter((id) => id !== null)).toHaveLength(500);
      // The oldest 500 were assigned; the newest 500 wait, in order.
      expect(assigned.slice(0, 500).every((id) => id !== null)).toBe(true);
      expect(assigned.slice(500).every((id) => id === null)).toBe(true);
      const counts = [...(await openCounts(team)).values()];
      expect(counts).toHaveLength(10);
      expect(Math.max(...counts)).toBe(50);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);

      // One assignee activity and one conversation.updated per assignment, none twice.
      const [{ n, distinct }] = await t.db.query(
        `SELECT count(*)::int AS n, count(DISTINCT conversation_id)::int AS distinct FROM conversation_activities
          WHERE conversation_id = ANY($1) AND type = 'assignee' AND actor_type = 'system' AND reason = 'balanced'`,
        [waiting],
      );
      expect({ n, distinct }).toEqual({ n: 500, distinct: 500 });
      const updated = (await outboxSince(since)).filter((e) => e.payload.event === 'conversation.updated');
      expect(new Set(updated.map((e) => e.payload.data.id)).size).toBe(500);
      expect(updated).toHaveLength(500);

      // Ten assigned conversations are resolved; the sweeps of both processes and a team change
      // there, and the in-process sweep, all route at once.
      const resolved = waiting.slice(0, 500).filter((_, i) => i % 50 === 0);
      await t.db.query(`UPDATE conversations SET status = 'resolved', resolved_at = now() WHERE id = ANY($1)`, [resolved]);
      const [changed] = await Promise.all([
        on(1).patch(`${BASE}/teams/${team}.json`).set('Authorization', acme.auth).send({ assignment: { mode: 'balanced', capacity: 50, onlyAvailable: true } }),
        sweep(),
      ]);
      expect(changed.status).toBe(200);

      const after = await assignees(waiting);
      expect(after.slice(0, 510).every((id) => id !== null)).toBe(true);
      expect(after.slice(510).every((id) => id === null)).toBe(true);
      const countsAfter = [...(await openCounts(team)).values()];
      expect(countsAfter).toEqual(Array(10).fill(50));
      const [{ total }] = await t.db.query(`SELECT count(*)::int AS total FROM conversation_activities WHERE conversation_id = ANY($1) AND type = 'assignee'`, [waiting]);
      expect(total).toBe(510);
    }, 120_000);
  });
});
