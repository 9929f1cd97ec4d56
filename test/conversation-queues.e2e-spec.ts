import { SchedulerRegistry } from '@nestjs/schedule';
import { listPlanOf } from './support/list-plan';
import { StatusCountsFold } from '../apps/api/src/conversations/queues/status-counts-fold';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const LIST = '/desk/api/v2/conversations.json';
const COUNTS = '/desk/api/v2/conversations/counts.json';

type Who = 'A' | 'B' | null;
interface Row {
  status: 'open' | 'pending' | 'snoozed' | 'resolved';
  priority: 'none' | 'low' | 'medium' | 'high' | 'urgent';
  assignee: Who;
  team: 'T1' | 'T2' | 'T3' | null;
  labels: number[];
  // Minutes after 2026-03-01 the oldest unanswered customer message came; null when answered.
  waiting: number | null;
  deleted?: boolean;
}

// Agents A and B; teams T1 (A and B), T2 (A), T3 (B, deleted later); labels 7, 8, 9.
const ROWS: Row[] = [
  { status: 'open', priority: 'high', assignee: 'A', team: 'T1', labels: [7], waiting: 30 },
  { status: 'open', priority: 'urgent', assignee: 'A', team: null, labels: [7, 8], waiting: 10 },
  { status: 'open', priority: 'none', assignee: null, team: 'T1', labels: [], waiting: 20 },
  { status: 'open', priority: 'low', assignee: null, team: null, labels: [8], waiting: null },
  { status: 'open', priority: 'medium', assignee: 'B', team: 'T1', labels: [9], waiting: 5 },
  { status: 'open', priority: 'low', assignee: null, team: 'T2', labels: [7, 9], waiting: 40 },
  { status: 'pending', priority: 'high', assignee: 'A', team: 'T2', labels: [], waiting: null },
  { status: 'snoozed', priority: 'none', assignee: 'B', team: null, labels: [8], waiting: 15 },
  { status: 'resolved', priority: 'none', assignee: 'A', team: 'T1', labels: [7], waiting: null },
  { status: 'resolved', priority: 'medium', assignee: null, team: null, labels: [], waiting: null },
  { status: 'open', priority: 'urgent', assignee: 'A', team: 'T1', labels: [7], waiting: 1, deleted: true },
  { status: 'open', priority: 'none', assignee: null, team: 'T3', labels: [], waiting: 2 },
];

describe('Conversation queues: list filters, orders and counts', () => {
  let t: TestApp;
  let acme: TestTenant;
  let other: TestTenant;
  let agents: Record<'A' | 'B', { id: number; auth: string }>;
  let teams: Record<'T1' | 'T2' | 'T3', number>;
  let ids: number[];
  let customerId: number;

  const insertTeam = async (tenantId: number, name: string, members: number[]): Promise<number> => {
    const [{ id }] = await t.db.query(`INSERT INTO teams (tenant_id, name) VALUES ($1, $2) RETURNING id`, [tenantId, name]);
    for (const userId of members) await t.db.query(`INSERT INTO team_members (tenant_id, team_id, user_id) VALUES ($1, $2, $3)`, [tenantId, id, userId]);
    return id;
  };

  beforeAll(async () => {
    t = await createTestApp();
    acme = await createTenant(t);
    other = await createTenant(t);
    agents = { A: await createAgent(t, acme.tenantId), B: await createAgent(t, acme.tenantId) };
    teams = {
      T1: await insertTeam(acme.tenantId, 'Support', [agents.A.id, agents.B.id]),
      T2: await insertTeam(acme.tenantId, 'Billing', [agents.A.id]),
      T3: await insertTeam(acme.tenantId, 'Gone', [agents.B.id]),
    };
    await t.db.query(`UPDATE teams SET state = 'deleted', deleted_at = now() WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, teams.T3]);
    const contact = await createContact(t.db, acme.tenantId);
    customerId = contact.customerId;
    ids = [];
    for (const row of ROWS) {
      const [{ id }] = await t.db.query(
        `INSERT INTO conversations (tenant_id, contact_id, created_by, updated_by, status, priority, assignee_id, team_id, label_ids,
                                    waiting_since, resolved_at, snoozed_until, state, deleted_at)
         VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, timestamptz '2026-03-01T00:00:00Z' + $9 * interval '1 minute',
                 CASE WHEN $4 = 'resolved' THEN now() END, CASE WHEN $4 = 'snoozed' THEN now() + interval '1 day' END,
                 $10, CASE WHEN $10 = 'deleted' THEN now() END)
         RETURNING id`,
        [
          acme.tenantId,
          contact.contactId,
          acme.adminId,
          row.status,
          row.priority,
          row.assignee ? agents[row.assignee].id : null,
          row.team ? teams[row.team] : null,
          row.labels,
          row.waiting,
          row.deleted ? 'deleted' : 'active',
        ],
      );
      ids.push(id);
    }
    // Another tenant's conversations, open and assigned to its admin, in a team of its own.
    const otherTeam = await insertTeam(other.tenantId, 'Support', [other.adminId]);
    const otherContact = await createContact(t.db, other.tenantId);
    await t.db.query(
      `INSERT INTO conversations (tenant_id, contact_id, created_by, updated_by, assignee_id, team_id, label_ids)
       SELECT $1, $2, $3, $3, CASE WHEN n % 2 = 0 THEN $3::bigint END, $4, '{7}' FROM generate_series(1, 5) n`,
      [other.tenantId, otherContact.contactId, other.adminId, otherTeam],
    );
  });
  afterAll(() => t.close());

  const list = (auth: string, query: Record<string, string | number>, path = LIST) => t.http.get(path).query(query).set('Authorization', auth);
  const filtered = async (auth: string, filter: unknown, extra: Record<string, string | number> = {}): Promise<number[]> => {
    const res = await list(auth, { filter: JSON.stringify(filter), orderBy: 'id', orderMode: 'asc', pageSize: 100, ...extra });
    expect(res.status).toBe(200);
    return res.body.conversations.map((c: { id: number }) => c.id);
  };
  // The active rows matching `match`, in id order.
  const expected = (match: (row: Row) => boolean) => ids.filter((_, i) => !ROWS[i].deleted && match(ROWS[i]));

  describe('filters', () => {
    it('should read "me" as the caller, per caller, and null as nobody', async () => {
      expect(await filtered(agents.A.auth, { assignee: 'me' })).toEqual(expected((r) => r.assignee === 'A'));
      expect(await filtered(agents.B.auth, { assignee: 'me' })).toEqual(expected((r) => r.assignee === 'B'));
      expect(await filtered(acme.auth, { assignee: 'me' })).toEqual([]);
      expect(await filtered(agents.A.auth, { assignee: null })).toEqual(expected((r) => r.assignee === null));
      expect(await filtered(agents.A.auth, { assignee: agents.B.id })).toEqual(expected((r) => r.assignee === 'B'));
      expect(await filtered(agents.A.auth, { assignee: { $in: ['me', agents.B.id] } })).toEqual(expected((r) => r.assignee !== null));
      expect(await filtered(agents.A.auth, { assignee: { $ne: 'me' } })).toEqual(expected((r) => r.assignee !== 'A'));
      // "Mine or nobody's", open: a dashboard's working queue.
      expect(await filtered(agents.A.auth, { status: 'open', $or: [{ assignee: 'me' }, { assignee: null }] })).toEqual(
        expected((r) => r.status === 'open' && (r.assignee === 'A' || r.assignee === null)),
      );
    });

    it('should filter by team, status and priority', async () => {
      expect(await filtered(acme.auth, { team: teams.T1 })).toEqual(expected((r) => r.team === 'T1'));
      expect(await filtered(acme.auth, { team: null, status: 'open' })).toEqual(expected((r) => r.team === null && r.status === 'open'));
      expect(await filtered(acme.auth, { status: { $in: ['pending', 'snoozed'] } })).toEqual(expected((r) => r.status === 'pending' || r.status === 'snoozed'));
      expect(await filtered(acme.auth, { priority: { $in: ['high', 'urgent'] } })).toEqual(expected((r) => r.priority === 'high' || r.priority === 'urgent'));
    });

    it('should filter by labels: one carried, any of several, all of several, none of them, and none at all', async () => {
      expect(await filtered(acme.auth, { labels: 7 })).toEqual(expected((r) => r.labels.includes(7)));
      expect(await filtered(acme.auth, { labels: { $in: [8, 9] } })).toEqual(expected((r) => r.labels.includes(8) || r.labels.includes(9)));
      expect(await filtered(acme.auth, { $and: [{ labels: 7 }, { labels: 9 }] })).toEqual(expected((r) => r.labels.includes(7) && r.labels.includes(9)));
      expect(await filtered(acme.auth, { labels: { $nin: [7, 8] } })).toEqual(expected((r) => !r.labels.includes(7) && !r.labels.includes(8)));
      expect(await filtered(acme.auth, { labels: { $ne: 7 } })).toEqual(expected((r) => !r.labels.includes(7)));
      expect(await filtered(acme.auth, { labels: null })).toEqual(expected((r) => r.labels.length === 0));
      expect(await filtered(acme.auth, { labels: { $ne: null } })).toEqual(expected((r) => r.labels.length > 0));
    });

    it('should show deleted conversations only when the filter names state', async () => {
      expect(await filtered(agents.A.auth, { assignee: 'me', state: { $in: ['active', 'deleted'] } })).toEqual(
        ids.filter((_, i) => ROWS[i].assignee === 'A'),
      );
    });

    it('should refuse values the queues do not have, with nothing about other fields', async () => {
      const refused = async (filter: unknown) => {
        const res = await list(acme.auth, { filter: JSON.stringify(filter) });
        expect(res.status).toBe(400);
        return res.body.errors.filter;
      };
      expect(await refused({ assignee: 'you' })).toEqual(["assignee must be a whole number or one of ‘me’"]);
      expect(await refused({ team: 'me' })).toEqual(['team must be a whole number']);
      expect(await refused({ status: 'closed' })).toEqual(['status must be one of ‘open, pending, snoozed, resolved’']);
      expect(await refused({ labels: { $gt: 3 } })).toEqual(["labels.$gt does not apply to 'labels'; use one of ‘$eq, $ne, $in, $nin’"]);
      expect(await refused({ assignee: { $lt: 'me' } })).toEqual(["assignee.$lt must be a whole number or one of ‘me’"]);
      expect(await refused({ priority: 'critical' })).toEqual(['priority must be one of ‘none, low, medium, high, urgent’']);
      expect(await refused({ priority: { $in: ['high', 'critical'] } })).toEqual(['priority.$in must be one of ‘none, low, medium, high, urgent’']);
      expect(await refused({ labels: 'vip' })).toEqual(['labels must be a whole number']);
      expect(await refused({ labels: 2.5 })).toEqual(['labels must be a whole number']);
      expect(await refused({ labels: { $in: [7, 'vip'] } })).toEqual(['labels.$in must be a whole number']);
      expect(await refused({ labels: { $nin: [true] } })).toEqual(['labels.$nin must be a whole number']);
    });

    it('should answer a label filter naming a tag the tenant lacks with an empty list', async () => {
      const missing = 9_000_000_000;
      expect(await filtered(acme.auth, { labels: missing })).toEqual([]);
      expect(await filtered(acme.auth, { labels: { $in: [missing] } })).toEqual([]);
      // Unknown tags among known ones change nothing.
      expect(await filtered(acme.auth, { labels: { $in: [7, missing] } })).toEqual(expected((r) => r.labels.includes(7)));
      expect(await filtered(acme.auth, { labels: { $nin: [missing] } })).toEqual(expected(() => true));
    });

    it('should filter a customer’s conversations the same way', async () => {
      const res = await list(agents.B.auth, { filter: JSON.stringify({ assignee: 'me' }), orderBy: 'id', orderMode: 'asc' }, `/desk/api/v2/customers/${customerId}/conversations.json`);
      expect(res.status).toBe(200);
      expect(res.body.conversations.map((c: { id: number }) => c.id)).toEqual(expected((r) => r.assignee === 'B'));
    });
  });

  describe('orders', () => {
    // Follows nextCursor to the end; every id seen, in order.
    async function walk(auth: string, query: Record<string, string | number>): Promise<number[]> {
      const seen: number[] = [];
      let res = await list(auth, query);
      for (let i = 0; i < 20; i++) {
        expect(res.status).toBe(200);
        seen.push(...res.body.conversations.map((c: { id: number }) => c.id));
        if (!res.body.meta.page.nextCursor) return seen;
        res = await list(auth, { ...query, cursor: res.body.meta.page.nextCursor });
      }
      throw new Error('cursor paging did not end');
    }
    const inSqlOrder = async (orderBy: string, direction: 'ASC' | 'DESC', where = 'TRUE'): Promise<number[]> =>
      (
        await t.db.query(`SELECT id FROM conversations c WHERE tenant_id = $1 AND state = 'active' AND ${where} ORDER BY ${orderBy} ${direction}, id ${direction}`, [acme.tenantId])
      ).map((r: { id: number }) => r.id);

    it('should order by waitingSince, oldest first, by cursor, the answered ones last', async () => {
      const oldestFirst = await walk(acme.auth, { orderBy: 'waitingSince', orderMode: 'asc', pageSize: 2 });
      expect(oldestFirst).toEqual(await inSqlOrder('waiting_since', 'ASC'));
      // The rows' own order, spelled out: waiting ones by minutes, then the answered ones by id.
      const waiting = ids.map((id, i) => ({ id, row: ROWS[i] })).filter(({ row }) => !row.deleted);
      const byMinutes = waiting.filter(({ row }) => row.waiting !== null).sort((a, b) => a.row.waiting! - b.row.waiting!);
      expect(oldestFirst).toEqual([...byMinutes, ...waiting.filter(({ row }) => row.waiting === null)].map(({ id }) => id));
      expect(await walk(acme.auth, { orderBy: 'waitingSince', orderMode: 'desc', pageSize: 3 })).toEqual(await inSqlOrder('waiting_since', 'DESC'));
    });

    it("should page the caller's open queue by waitingSince", async () => {
      const query = { filter: JSON.stringify({ assignee: 'me', status: 'open' }), orderBy: 'waitingSince', orderMode: 'asc', pageSize: 1 };
      expect(await walk(agents.A.auth, query)).toEqual(await inSqlOrder('waiting_since', 'ASC', `assignee_id = ${agents.A.id} AND status = 'open'`));
    });

    it("should not continue one caller's \"me\" cursor for another", async () => {
      const query = { filter: JSON.stringify({ assignee: 'me' }), orderBy: 'waitingSince', orderMode: 'asc', pageSize: 1 };
      const first = await list(agents.A.auth, query);
      expect(first.body.meta.page.nextCursor).toEqual(expect.any(String));
      const res = await list(agents.B.auth, { ...query, cursor: first.body.meta.page.nextCursor });
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.errors)).toEqual(['cursor']);
    });

    it('should order by priority by rank, and by firstReplyAt and resolvedAt', async () => {
      const rank = `array_position(ARRAY['none', 'low', 'medium', 'high', 'urgent'], priority)`;
      expect(await walk(acme.auth, { orderBy: 'priority', orderMode: 'desc', pageSize: 4 })).toEqual(await inSqlOrder(rank, 'DESC'));
      expect(await walk(acme.auth, { orderBy: 'priority', orderMode: 'asc', pageSize: 4 })).toEqual(await inSqlOrder(rank, 'ASC'));
      const byRank = await walk(acme.auth, { orderBy: 'priority', orderMode: 'desc', pageSize: 100 });
      expect(ROWS[ids.indexOf(byRank[0])].priority).toBe('urgent');
      expect(await walk(acme.auth, { orderBy: 'resolvedAt', orderMode: 'desc', pageSize: 3 })).toEqual(await inSqlOrder('resolved_at', 'DESC'));
      expect(await walk(acme.auth, { orderBy: 'firstReplyAt', orderMode: 'asc', pageSize: 5 })).toEqual(await inSqlOrder('first_reply_at', 'ASC'));
    });
  });

  describe('the snoozed queue by wake-up time', () => {
    // A tenant of its own (the counts below are of acme and other): snoozed conversations waking at
    // these minutes after 2099-01-01, two at the same time, among open and resolved ones.
    const WAKE = [30, 5, 60, 5, 45, 10, 90];
    let sleepy: TestTenant;
    let snoozed: number[];

    beforeAll(async () => {
      sleepy = await createTenant(t);
      const contact = await createContact(t.db, sleepy.tenantId);
      const insert = async (status: string, minutes: number | null): Promise<number> =>
        (
          await t.db.query(
            `INSERT INTO conversations (tenant_id, contact_id, created_by, updated_by, status, snoozed_until, resolved_at)
             VALUES ($1, $2, $3, $3, $4, timestamptz '2099-01-01T00:00:00Z' + $5 * interval '1 minute', CASE WHEN $4 = 'resolved' THEN now() END)
             RETURNING id`,
            [sleepy.tenantId, contact.contactId, sleepy.adminId, status, minutes],
          )
        )[0].id;
      snoozed = [];
      for (const [i, minutes] of WAKE.entries()) {
        snoozed.push(await insert('snoozed', minutes));
        await insert(i % 2 === 0 ? 'open' : 'resolved', null);
      }
    });

    async function walk(query: Record<string, string | number>): Promise<number[]> {
      const seen: number[] = [];
      let res = await list(sleepy.auth, query);
      for (let i = 0; i < 20; i++) {
        expect(res.status).toBe(200);
        seen.push(...res.body.conversations.map((c: { id: number }) => c.id));
        if (!res.body.meta.page.nextCursor) return seen;
        res = await list(sleepy.auth, { ...query, cursor: res.body.meta.page.nextCursor });
      }
      throw new Error('cursor paging did not end');
    }
    // The snoozed ids by wake-up time, then id, spelled out from WAKE.
    const byWake = () => snoozed.map((id, i) => ({ id, at: WAKE[i] })).sort((a, b) => a.at - b.at || a.id - b.id).map(({ id }) => id);
    const queue = (orderMode: 'asc' | 'desc', pageSize: number) => ({ filter: JSON.stringify({ status: 'snoozed' }), orderBy: 'snoozedUntil', orderMode, pageSize });

    it('should order the snoozed queue by snoozedUntil, soonest first or last, page by page by cursor', async () => {
      expect(await walk(queue('asc', 2))).toEqual(byWake());
      expect(await walk(queue('desc', 3))).toEqual(byWake().reverse());
      const first = await list(sleepy.auth, queue('asc', 1));
      expect(first.body.conversations[0]).toMatchObject({ id: byWake()[0], status: 'snoozed', snoozedUntil: '2099-01-01T00:05:00.000Z' });
    });

    it('should put the conversations not snoozed last when the list is not filtered by status', async () => {
      const all = await walk({ orderBy: 'snoozedUntil', orderMode: 'asc', pageSize: 4 });
      expect(all.slice(0, WAKE.length)).toEqual(byWake());
      expect(all).toHaveLength(WAKE.length * 2);
    });

    it("should read a page of the snoozed queue from an index, without sorting the tenant's conversations", async () => {
      const first = await list(sleepy.auth, queue('desc', 2));
      for (const query of [queue('asc', 2), queue('desc', 2), { ...queue('desc', 2), cursor: first.body.meta.page.nextCursor }]) {
        const plan = await listPlanOf(t.db, () => t.inProcessHttp.get(LIST).query(query).set('Authorization', sleepy.auth));
        expect({ query, index: plan.includes('"Index Name":"ix_conversations_status_snoozed_until"'), sorts: plan.includes('"Node Type":"Sort"') }).toEqual({
          query,
          index: true,
          sorts: false,
        });
      }
    });
  });

  describe('GET /conversations/counts.json', () => {
    const counts = async (auth: string) => {
      const res = await t.http.get(COUNTS).set('Authorization', auth);
      expect(res.status).toBe(200);
      return res.body.counts;
    };
    const active = ROWS.filter((r) => !r.deleted);
    const n = (match: (row: Row) => boolean) => active.filter(match).length;
    const statusCounts = {
      open: n((r) => r.status === 'open'),
      pending: n((r) => r.status === 'pending'),
      snoozed: n((r) => r.status === 'snoozed'),
      resolved: n((r) => r.status === 'resolved'),
    };
    const team = (name: 'T1' | 'T2') => ({
      team: { id: teams[name], type: 'teams' },
      open: n((r) => r.team === name && r.status === 'open'),
      unassigned: n((r) => r.team === name && r.status === 'open' && r.assignee === null),
    });

    it("should count, for each agent, the tenant's statuses, theirs, the unassigned, and their active teams", async () => {
      expect(await counts(agents.A.auth)).toEqual({
        status: statusCounts,
        mine: n((r) => r.assignee === 'A' && r.status === 'open'),
        unassigned: n((r) => r.assignee === null && r.status === 'open'),
        teams: [team('T1'), team('T2')],
      });
      // B is in T1 and in T3, which is deleted.
      expect(await counts(agents.B.auth)).toEqual({
        status: statusCounts,
        mine: n((r) => r.assignee === 'B' && r.status === 'open'),
        unassigned: n((r) => r.assignee === null && r.status === 'open'),
        teams: [team('T1')],
      });
      // Written out once, so the test does not only agree with itself.
      expect(await counts(agents.A.auth)).toMatchObject({ status: { open: 7, pending: 1, snoozed: 1, resolved: 2 }, mine: 2, unassigned: 4 });
    });

    it("should count only the caller's tenant", async () => {
      expect(await counts(other.auth)).toEqual({
        status: { open: 5, pending: 0, snoozed: 0, resolved: 0 },
        mine: 2,
        unassigned: 3,
        teams: [{ team: { id: expect.any(Number), type: 'teams' }, open: 5, unassigned: 3 }],
      });
      expect(await counts(acme.auth)).toMatchObject({ mine: 0, teams: [] });
    });

    it('should follow a change at once', async () => {
      const id = ids[2];
      await t.db.query(`UPDATE conversations SET assignee_id = $2 WHERE id = $1`, [id, agents.B.id]);
      try {
        const b = await counts(agents.B.auth);
        expect(b.mine).toBe(n((r) => r.assignee === 'B' && r.status === 'open') + 1);
        expect(b.unassigned).toBe(n((r) => r.assignee === null && r.status === 'open') - 1);
      } finally {
        await t.db.query(`UPDATE conversations SET assignee_id = NULL WHERE id = $1`, [id]);
      }
    });

    describe('the status ledger', () => {
      let tenant: TestTenant;
      let contact: number;
      // The fold runs here when the test says, not every 10 s between two of its reads.
      const foldJob = () => t.app.get(SchedulerRegistry).getCronJob('status-counts-fold');
      beforeAll(async () => {
        await foldJob().stop();
        tenant = await createTenant(t);
        contact = (await createContact(t.db, tenant.tenantId)).contactId;
      });
      afterAll(() => foldJob().start());
      // What the statuses are, counted from the conversations themselves.
      const direct = async () => {
        const rows: { status: string; n: number }[] = await t.db.query(
          `SELECT status, count(*)::int AS n FROM conversations WHERE tenant_id = $1 AND state = 'active' GROUP BY status`,
          [tenant.tenantId],
        );
        return { open: 0, pending: 0, snoozed: 0, resolved: 0, ...Object.fromEntries(rows.map((r) => [r.status, r.n])) };
      };
      const ledgerRows = async (): Promise<number> =>
        (await t.db.query(`SELECT count(*)::int AS n FROM conversation_status_counts WHERE tenant_id = $1`, [tenant.tenantId]))[0].n;

      it('should follow every door that creates, deletes, restores or moves a conversation, and fold without changing a count', async () => {
        const desk = (method: 'post' | 'patch' | 'delete', path: string, body?: object) =>
          t.http[method](`/desk/api/v2/${path}`).set('Authorization', tenant.auth).send(body);
        const created = [];
        for (let i = 0; i < 4; i++) created.push((await desk('post', 'conversations.json', { conversation: { contactId: contact } })).body.conversation.id);
        expect((await counts(tenant.auth)).status).toEqual({ open: 4, pending: 0, snoozed: 0, resolved: 0 });
        // The workflow's changes, whoever makes them, are rows' changes: made here by SQL.
        await t.db.query(`UPDATE conversations SET status = 'resolved', resolved_at = now() WHERE id = ANY($1)`, [created.slice(0, 2)]);
        await t.db.query(`UPDATE conversations SET status = 'pending' WHERE id = $1`, [created[2]]);
        await desk('delete', `conversations/${created[3]}.json`).expect(204);
        expect((await counts(tenant.auth)).status).toEqual({ open: 0, pending: 1, snoozed: 0, resolved: 2 });
        await desk('patch', 'conversations.json', { ids: [created[3], created[0]], conversation: { state: 'deleted' } }).expect(200);
        await desk('patch', `conversations/${created[3]}.json`, { conversation: { state: 'active' } }).expect(200);
        // Changes that touch neither status nor state append nothing.
        const before = await ledgerRows();
        await t.db.query(`UPDATE conversations SET unread_count = unread_count + 1, priority = 'high' WHERE tenant_id = $1`, [tenant.tenantId]);
        expect(await ledgerRows()).toBe(before);
        await t.db.query(`DELETE FROM conversations WHERE id = $1`, [created[2]]);
        const expectedCounts = await direct();
        expect(expectedCounts).toEqual({ open: 1, pending: 0, snoozed: 0, resolved: 1 });
        expect((await counts(tenant.auth)).status).toEqual(expectedCounts);

        expect(await ledgerRows()).toBeGreaterThan(4);
        expect(await t.app.get(StatusCountsFold).fold()).toBeGreaterThan(0);
        const perStatus = await t.db.query(
          `SELECT status, count(*)::int AS n FROM conversation_status_counts WHERE tenant_id = $1 GROUP BY status`,
          [tenant.tenantId],
        );
        expect(perStatus.every((row: { n: number }) => row.n === 1)).toBe(true);
        expect((await counts(tenant.auth)).status).toEqual(expectedCounts);
        // Another tenant's ledger was folded too, its counts as they were.
        expect((await counts(agents.A.auth)).status).toEqual(statusCounts);
        // Nothing left to fold.
        expect(await t.app.get(StatusCountsFold).fold()).toBe(0);
      });

      it('should stay exact while conversations change and folds run at the same time', async () => {
        const ids: number[] = (
          await t.db.query(
            `INSERT INTO conversations (tenant_id, contact_id) SELECT $1, $2 FROM generate_series(1, 60) RETURNING id`,
            [tenant.tenantId, contact],
          )
        ).map((r: { id: number }) => r.id);
        const statuses = ['open', 'pending', 'resolved', 'snoozed'] as const;
        const move = (id: number, step: number) => {
          const status = statuses[(id + step) % statuses.length];
          return t.db.query(
            `UPDATE conversations SET status = $2, resolved_at = CASE WHEN $2 = 'resolved' THEN now() END,
                    snoozed_until = CASE WHEN $2 = 'snoozed' THEN now() + interval '1 hour' END,
                    state = CASE WHEN $3 THEN 'deleted' ELSE 'active' END, deleted_at = CASE WHEN $3 THEN now() END
              WHERE id = $1`,
            [id, status, (id + step) % 7 === 0],
          );
        };
        const fold = t.app.get(StatusCountsFold);
        const changes = async (worker: number) => {
          for (let step = 0; step < 15; step++) await Promise.all(ids.filter((_, i) => i % 4 === worker).map((id) => move(id, step + worker)));
        };
        const folds = async () => {
          for (let i = 0; i < 15; i++) await fold.fold();
        };
        await Promise.all([changes(0), changes(1), changes(2), changes(3), folds(), folds()]);
        expect((await counts(tenant.auth)).status).toEqual(await direct());
        await fold.fold();
        expect((await counts(tenant.auth)).status).toEqual(await direct());
      });

      it('should count a hundred conversations created at once, by one statement, right', async () => {
        await t.db.query(
          `INSERT INTO conversations (tenant_id, contact_id, status, snoozed_until)
           SELECT $1, $2, CASE WHEN n % 4 = 0 THEN 'snoozed' ELSE 'open' END, CASE WHEN n % 4 = 0 THEN now() + interval '1 hour' END
             FROM generate_series(1, 100) n`,
          [tenant.tenantId, contact],
        );
        expect((await counts(tenant.auth)).status).toEqual(await direct());
      });
    });

    it('should not take counts for an id', async () => {
      const res = await t.http.get('/desk/api/v2/conversations/counts.json').set('Authorization', acme.auth);
      expect(res.status).toBe(200);
      expect(res.body.conversation).toBeUndefined();
    });
  });
});
