import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { BASE } from './support/desk';
import { customerConversation } from './support/customer-view';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { OpenApiResponses, validatingAgent } from './support/openapi-responses';
import { ServiceProcess, startServiceProcess } from './support/service-processes';
import { createTestApp, TestApp, UNLIMITED_DESK } from './support/test-app';
import { itWithOwnProcesses } from './support/passes';

// The workflow's parts together, through the real doors only (docs/api.md, "Conversation workflow",
// "Queues, counts and bulk changes", "Teams, availability and routing"): conversations are created,
// written to and changed by requests, never arranged with SQL; the rows, activities and outbox
// rows are then read back.

const PUSHER = { PUSHER_APP_ID: '1', PUSHER_KEY: 'integration-key', PUSHER_SECRET: 'integration-secret' };
const HL_VERSION = '2021-07-28';

type Row = Record<string, unknown>;
type Agent = { id: number; auth: string };
interface Payload {
  event: string;
  channels: string[];
  data: Row;
}

// The agents' keys of the workflow, which no customer's view holds at any depth
// (test/customer-view.e2e-spec.ts's AGENTS_ONLY_KEYS).
const AGENTS_ONLY_KEYS = ['private', 'mentions', 'mentionedBy', 'status', 'priority', 'assignee', 'team', 'labels', 'waitingSince', 'firstReplyAt', 'resolvedAt', 'snoozedUntil', 'token', 'activities'];
// What the customer's channel may carry (docs/api.md, "Pusher").
const CUSTOMER_EVENTS = ['conversation.created', 'conversation.updated', 'conversation.converted', 'message.created', 'message.updated'];

function keysDeep(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => keysDeep(v, into));
  else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      into.add(key);
      keysDeep(v, into);
    }
  }
  return into;
}

// Each customer's-channel event that shows an agents-only key or is not a customer's event.
function customerLeaks(events: Payload[]): string[] {
  return events
    .filter((e) => e.channels.some((ch) => ch.startsWith('private-conversation-')))
    .flatMap((e) => {
      const keys = [...keysDeep(e.data)].filter((k) => AGENTS_ONLY_KEYS.includes(k));
      const mixed = e.channels.some((ch) => !ch.startsWith('private-conversation-'));
      return !CUSTOMER_EVENTS.includes(e.event) || keys.length > 0 || mixed ? [`${e.event} ${e.channels.join(',')} ${keys.join(',')}`] : [];
    });
}

// Runs `work` over `items`, `width` at a time; the answers in the items' order.
async function pooled<T, R>(items: readonly T[], width: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const answers: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      answers[i] = await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return answers;
}

describe('The conversation workflow, all parts together', () => {
  let t: TestApp;
  let acme: TestTenant;
  let sequence = 0;

  beforeAll(async () => {
    t = await createTestApp({ ...PUSHER, HL_RATE_LIMIT_MAX: '100000' });
    acme = await createTenant(t, 'Acme Integration');
  });
  afterAll(() => t?.close());

  const name = (prefix: string) => `${prefix} ${Date.now().toString(36)}${sequence++}`;
  const agents = async (n: number): Promise<Agent[]> => {
    const made: Agent[] = [];
    for (let i = 0; i < n; i++) made.push(await createAgent(t, acme.tenantId));
    return made.sort((a, b) => a.id - b.id);
  };
  const createTeam = async (http: TestAgent, members: Agent[], assignment: Row): Promise<{ id: number; name: string }> => {
    const res = await http
      .post(`${BASE}/teams.json`)
      .set('Authorization', acme.auth)
      .send({ team: { name: name('Team'), users: members.map((m) => ({ id: m.id, type: 'users' })), assignment } });
    expect(res.status).toBe(201);
    return { id: res.body.team.id, name: res.body.team.name };
  };
  const createTag = async (): Promise<{ id: number; name: string }> => {
    const res = await t.http.post(`${BASE}/tags.json`).set('Authorization', acme.auth).send({ tag: { name: name('label') } });
    expect(res.status).toBe(201);
    return { id: res.body.tag.id, name: res.body.tag.name };
  };
  const lastOutboxId = async (): Promise<number> => Number((await t.db.query(`SELECT coalesce(max(id), 0) AS id FROM outbox`))[0].id);
  const eventsSince = async (since: number): Promise<Payload[]> =>
    (await t.db.query(`SELECT payload FROM outbox WHERE tenant_id = $1 AND topic = 'pusher' AND id > $2 ORDER BY id`, [acme.tenantId, since])).map(
      (r: { payload: Payload }) => r.payload,
    );
  const rowsOf = async (ids: number[]): Promise<Row[]> => {
    const rows: Row[] = await t.db.query(`SELECT * FROM conversations WHERE id = ANY($1)`, [ids]);
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    return ids.map((id) => byId.get(id)!);
  };
  const activityRows = (ids: number[]): Promise<Row[]> =>
    t.db.query(
      `SELECT conversation_id AS "conversationId", type, from_value AS "from", to_value AS "to", reason, actor_type AS "actorType", actor_id AS "actorId"
         FROM conversation_activities WHERE conversation_id = ANY($1) ORDER BY id`,
      [ids],
    );

  const updatedEvents = (events: Payload[], id: number) =>
    events.filter((e) => e.event === 'conversation.updated' && e.data.id === id && e.channels.includes(`private-tenant-${acme.tenantId}`));

  describe('routing at scale, through the API, across two service processes', () => {
    let processes: ServiceProcess[];
    let on: (i: number) => TestAgent;

    beforeAll(async () => {
      const env = { ...t.databaseEnv, ...UNLIMITED_DESK, LOG_LEVEL: 'warn' };
      processes = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
      const served = await t.app.inject({ method: 'GET', url: '/docs-json' });
      const responses = new OpenApiResponses(served.json());
      const http = processes.map((p) => validatingAgent(request(p.url) as unknown as TestAgent, responses));
      on = (i: number) => http[i % 2];
    }, 120_000);
    afterAll(() => Promise.all((processes ?? []).map((p) => p.stop())));

    const WIDTH = 12;

    itWithOwnProcesses('should assign 500 of 1,000 created conversations to 10 agents of capacity 50, queue the rest in order, and assign the next 10 when 10 are resolved', async () => {
      const members = await agents(10);
      const team = await createTeam(t.http, members, { mode: 'balanced', capacity: 50, onlyAvailable: false });
      const { contactId } = await createContact(t.db, acme.tenantId);
      const since = await lastOutboxId();

      // 1,000 conversations created in the team, 12 at a time, in turn on both processes.
      const created = await pooled(Array.from({ length: 1000 }, (_, i) => i), WIDTH, async (i) => {
        const res = await on(i)
          .post(`${BASE}/conversations.json`)
          .set('Authorization', acme.auth)
          .send({ conversation: { contactId, team: { id: team.id, type: 'teams' } } });
        expect(res.status).toBe(201);
        return res.body.conversation as { id: number; assignee: { id: number; type: string } | null };
      });
      const ids = created.map((c) => c.id);
      const assignedAtCreate = new Set(created.filter((c) => c.assignee !== null).map((c) => c.id));

      // Each one then gets its customer's message, newest conversation first, so that the queue's
      // order (waitingSince) is not the order of ids.
      const byIdDesc = [...ids].sort((a, b) => b - a);
      await pooled(byIdDesc, WIDTH, async (id, i) => {
        const res = await on(i)
          .post(`${BASE}/conversationmessages.json`)
          .set('Authorization', acme.auth)
          .send({ conversationmessage: { conversationId: id, contactId, message: 'Hello?' } });
        expect(res.status).toBe(201);
      });

      const rows = await rowsOf(ids);
      const assigned = rows.filter((r) => r.assignee_id !== null);
      expect(assigned).toHaveLength(500);
      // Each was assigned by its own creation, as its answer showed, and none changed since.
      expect(new Set(assigned.map((r) => Number(r.id)))).toEqual(assignedAtCreate);
      for (const c of created) {
        const row = rows[ids.indexOf(c.id)];
        expect(c.assignee === null ? null : c.assignee.id).toBe(row.assignee_id === null ? null : Number(row.assignee_id));
      }
      const load = new Map<number, number>();
      for (const r of assigned) load.set(Number(r.assignee_id), (load.get(Number(r.assignee_id)) ?? 0) + 1);
      expect([...load.keys()].sort((a, b) => a - b)).toEqual(members.map((m) => m.id));
      expect(Math.max(...load.values())).toBe(50);
      expect(Math.max(...load.values()) - Math.min(...load.values())).toBeLessThanOrEqual(1);

      // The newest were queued: a queued conversation older (lower id) than an assigned one was in
      // flight when the team filled up, so at most WIDTH - 1 of them.
      const queuedIds = rows.filter((r) => r.assignee_id === null).map((r) => Number(r.id));
      const newestAssigned = Math.max(...assigned.map((r) => Number(r.id)));
      expect(queuedIds.filter((id) => id < newestAssigned).length).toBeLessThan(WIDTH);

      // One assignee activity (actor system, the mode as reason) per assignment, to the row's
      // assignee; one queued activity per conversation left waiting, and no assignee activity.
      const activities = await activityRows(ids);
      const assigneeActs = activities.filter((a) => a.type === 'assignee');
      expect(assigneeActs).toHaveLength(500);
      expect(new Set(assigneeActs.map((a) => Number(a.conversationId)))).toEqual(assignedAtCreate);
      for (const a of assigneeActs) {
        const row = rows[ids.indexOf(Number(a.conversationId))];
        expect(a).toMatchObject({ from: null, to: { id: Number(row.assignee_id), type: 'users' }, actorType: 'system', actorId: null, reason: 'balanced' });
      }
      const queuedActs = activities.filter((a) => a.type === 'queued');
      expect(queuedActs.map((a) => Number(a.conversationId)).sort((a, b) => a - b)).toEqual([...queuedIds].sort((a, b) => a - b));
      expect(queuedActs.every((a) => a.actorType === 'system' && a.reason === 'no_eligible_member')).toBe(true);
      // Nothing of it on a customer's channel.
      const events = await eventsSince(since);
      expect(customerLeaks(events)).toEqual([]);
      expect(events.filter((e) => e.event === 'conversation.created' && e.channels.includes(`private-tenant-${acme.tenantId}`))).toHaveLength(1000);

      // The queue, oldest waiting first, as the team's queue filter lists it.
      const queueOrder: number[] = (
        await t.db.query(`SELECT id FROM conversations WHERE id = ANY($1) AND assignee_id IS NULL ORDER BY waiting_since NULLS LAST, id`, [ids])
      ).map((r: { id: string }) => Number(r.id));
      expect(queueOrder.slice(0, 10)).not.toEqual([...queueOrder].sort((a, b) => a - b).slice(0, 10));

      // Ten assigned conversations resolved at once, five on each process: the ten oldest waiting
      // are assigned, and nobody goes over capacity.
      const toResolve = assigned.filter((_, i) => i % 50 === 0).map((r) => Number(r.id));
      expect(toResolve).toHaveLength(10);
      const sinceResolve = await lastOutboxId();
      const resolved = await Promise.all(
        toResolve.map((id, i) =>
          on(i)
            .patch(`${BASE}/conversations/${id}.json`)
            .set('Authorization', acme.auth)
            .send({ conversation: { status: 'resolved' } }),
        ),
      );
      expect(resolved.map((r) => [r.status, r.body.conversation?.status])).toEqual(Array(10).fill([200, 'resolved']));

      const after = await rowsOf(queueOrder);
      expect(after.slice(0, 10).map((r) => r.assignee_id !== null)).toEqual(Array(10).fill(true));
      expect(after.slice(10).every((r) => r.assignee_id === null)).toBe(true);
      const [{ over }] = await t.db.query(
        `SELECT count(*)::int AS over FROM (SELECT assignee_id FROM conversations WHERE team_id = $1 AND status = 'open' AND state = 'active' AND assignee_id IS NOT NULL
           GROUP BY assignee_id HAVING count(*) > 50) o`,
        [team.id],
      );
      expect(over).toBe(0);
      const [{ open }] = await t.db.query(
        `SELECT count(*)::int AS open FROM conversations WHERE team_id = $1 AND status = 'open' AND assignee_id IS NOT NULL`,
        [team.id],
      );
      expect(open).toBe(500);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM conversation_activities WHERE conversation_id = ANY($1) AND type = 'assignee'`, [ids]);
      expect(n).toBe(510);
      // Each resolved and each newly assigned conversation announced to agents once.
      const announced = await eventsSince(sinceResolve);
      for (const id of [...toResolve, ...queueOrder.slice(0, 10)]) expect(updatedEvents(announced, id)).toHaveLength(1);
      expect(announced.filter((e) => e.event === 'conversation.updated')).toHaveLength(20);
      expect(customerLeaks(announced)).toEqual([]);
    }, 120_000);
  });

  const desk = {
    create: (body: Row, auth = acme.auth) => t.http.post(`${BASE}/conversations.json`).set('Authorization', auth).send({ conversation: body }),
    withToken: async (contactId: number): Promise<{ id: number; token: string }> => {
      const res = await t.http.post(`${BASE}/conversations/token.json`).set('Authorization', acme.auth).send({ contactId });
      expect(res.status).toBe(201);
      return { id: res.body.conversation.id, token: res.body.conversation.token };
    },
    get: (id: number, auth = acme.auth) => t.http.get(`${BASE}/conversations/${id}.json`).set('Authorization', auth),
    patch: (id: number, body: Row, auth = acme.auth) => t.http.patch(`${BASE}/conversations/${id}.json`).set('Authorization', auth).send({ conversation: body }),
    bulk: (ids: number[], body: Row, auth = acme.auth) => t.http.patch(`${BASE}/conversations.json`).set('Authorization', auth).send({ ids, conversation: body }),
    message: async (body: Row, auth = acme.auth): Promise<Row> => {
      const res = await t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', auth).send({ conversationmessage: body });
      if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
      return res.body.conversationmessage;
    },
  };
  const ref = (id: number, type: string) => ({ id, type });
  const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();
  async function until(what: string, check: () => Promise<boolean>, deadline: number): Promise<void> {
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen in time`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  describe('bulk changes of the workflow fields', () => {
    it('should apply status, priority, assignee and labels to each id on its own, with one activity per field changed and one conversation.updated per conversation', async () => {
      const [agent, tags] = [await createAgent(t, acme.tenantId), [await createTag(), await createTag()]];
      const { contactId } = await createContact(t.db, acme.tenantId);
      const [a, b] = [(await desk.create({ contactId })).body.conversation.id as number, (await desk.create({ contactId })).body.conversation.id as number];
      // b has the priority already: no priority activity for it.
      expect((await desk.patch(b, { priority: 'high' })).status).toBe(200);
      const globex = await createTenant(t);
      const foreign = (await desk.create({ contactId: (await createContact(t.db, globex.tenantId)).contactId }, globex.auth)).body.conversation.id as number;
      const missing = 9_000_000_000;
      const before = await activityRows([a, b]);
      const since = await lastOutboxId();

      const change = { status: 'pending', priority: 'high', assignee: ref(agent.id, 'users'), labels: tags.map((tag) => ref(tag.id, 'tags')) };
      const res = await desk.bulk([b, missing, a, foreign], change);
      expect(res.status).toBe(200);
      expect(res.body.results.map((r: Row) => [r.id, r.status])).toEqual([
        [b, 200],
        [missing, 404],
        [a, 200],
        [foreign, 404],
      ]);
      for (const i of [0, 2]) expect(res.body.results[i].conversation).toMatchObject({ ...change, labels: change.labels });
      expect((await rowsOf([a, b])).map((r) => [r.status, r.priority, Number(r.assignee_id), (r.label_ids as string[]).map(Number)])).toEqual(
        [a, b].map(() => ['pending', 'high', agent.id, tags.map((tag) => tag.id)]),
      );
      expect((await rowsOf([foreign]))[0]).toMatchObject({ status: 'open', priority: 'none', assignee_id: null });

      const written = (await activityRows([a, b])).slice(before.length);
      const byAdmin = { actorType: 'user', actorId: acme.adminId };
      expect(written.filter((w) => Number(w.conversationId) === a).map((w) => [w.type, w.from, w.to, w.actorType])).toEqual(
        expect.arrayContaining([
          ['status', 'open', 'pending', 'user'],
          ['priority', 'none', 'high', 'user'],
          ['assignee', null, ref(agent.id, 'users'), 'user'],
          ['labels', [], tags.map((tag) => ref(tag.id, 'tags')), 'user'],
        ]),
      );
      expect(written.filter((w) => Number(w.conversationId) === a)).toHaveLength(4);
      expect(written.filter((w) => Number(w.conversationId) === b).map((w) => w.type).sort()).toEqual(['assignee', 'labels', 'status']);
      expect(written.every((w) => w.actorType === byAdmin.actorType && Number(w.actorId) === byAdmin.actorId)).toBe(true);

      const events = await eventsSince(since);
      expect(updatedEvents(events, a)).toHaveLength(1);
      expect(updatedEvents(events, b)).toHaveLength(1);
      expect(events.filter((e) => e.event === 'conversation.updated').map((e) => e.data.id).sort()).toEqual([a, b].sort());
      // One event per conversation changed and nothing else: its activities ride inside it.
      expect(events.map((e) => e.event)).toEqual(['conversation.updated', 'conversation.updated']);
      expect((updatedEvents(events, a)[0].data.activities as Row[]).map((x) => x.type)).toEqual(written.filter((w) => Number(w.conversationId) === a).map((w) => w.type));
      expect((updatedEvents(events, b)[0].data.activities as Row[]).map((x) => x.type)).toEqual(written.filter((w) => Number(w.conversationId) === b).map((w) => w.type));
      // The workflow is the agents' only: nothing on the customer's channels, nothing of globex.
      expect(events.filter((e) => e.channels.some((ch) => ch.startsWith('private-conversation-')))).toEqual([]);
      expect(events.flatMap((e) => e.channels).every((ch) => ch === `private-tenant-${acme.tenantId}`)).toBe(true);
    });

    // Routing leaves the conversations a request changes to that request's own event.
    it('should announce a conversation once after routing, whichever door: create, PATCH, customer message', async () => {
      const [member] = await agents(1);
      const team = await createTeam(t.http, [member], { mode: 'round_robin', capacity: null });
      const { contactId } = await createContact(t.db, acme.tenantId);
      const agentsOnly = [`private-tenant-${acme.tenantId}`];

      let since = await lastOutboxId();
      const created = await desk.create({ contactId, team: ref(team.id, 'teams') });
      const id: number = created.body.conversation.id;
      expect(created.body.conversation.assignee).toEqual(ref(member.id, 'users'));
      let events = (await eventsSince(since)).filter((e) => e.event.startsWith('conversation.'));
      expect(events.filter((e) => e.channels.includes(agentsOnly[0])).map((e) => [e.event, (e.data.assignee as Row)?.id])).toEqual([['conversation.created', member.id]]);
      // Routing's assignment rides in the creation's one event.
      expect((events.find((e) => e.channels.includes(agentsOnly[0]))!.data.activities as Row[]).map((x) => [x.type, x.reason])).toEqual([
        ['team', null],
        ['assignee', 'round_robin'],
      ]);

      expect((await desk.patch(id, { team: null, assignee: null })).status).toBe(200);
      since = await lastOutboxId();
      expect((await desk.patch(id, { team: ref(team.id, 'teams') })).body.conversation.assignee).toEqual(ref(member.id, 'users'));
      events = await eventsSince(since);
      expect(updatedEvents(events, id).map((e) => (e.data.assignee as Row)?.id)).toEqual([member.id]);

      expect((await desk.patch(id, { status: 'resolved', assignee: null })).status).toBe(200);
      since = await lastOutboxId();
      await desk.message({ conversationId: id, contactId, message: 'Back again' });
      expect((await rowsOf([id]))[0]).toMatchObject({ status: 'open', assignee_id: member.id });
      events = await eventsSince(since);
      expect(updatedEvents(events, id).map((e) => (e.data.assignee as Row)?.id)).toEqual([member.id]);
      // The reopening and routing's assignment ride in that one event; the message is its own.
      expect((updatedEvents(events, id)[0].data.activities as Row[]).map((x) => [x.type, x.reason])).toEqual([
        ['status', 'customer_message'],
        ['assignee', 'round_robin'],
      ]);
      expect(events.filter((e) => e.channels.includes(agentsOnly[0])).map((e) => e.event)).toEqual(['message.created', 'conversation.updated']);
    });

    // Routing inside a bulk is deferred to the bulk's end (being implemented at the time of writing).
    it('should route conversations a bulk moves into a routing team, announcing each once', async () => {
      const members = await agents(2);
      const team = await createTeam(t.http, members, { mode: 'round_robin', capacity: null, onlyAvailable: false });
      const { contactId } = await createContact(t.db, acme.tenantId);
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) ids.push((await desk.create({ contactId })).body.conversation.id);
      const since = await lastOutboxId();

      const res = await desk.bulk(ids, { team: ref(team.id, 'teams') });
      expect(res.status).toBe(200);
      const memberIds = members.map((m) => m.id);
      for (const result of res.body.results) {
        expect(result).toMatchObject({ status: 200, conversation: { team: ref(team.id, 'teams') } });
        expect(memberIds).toContain(result.conversation.assignee?.id);
      }
      const rows = await rowsOf(ids);
      expect(rows.map((r) => Number(r.assignee_id))).toEqual(res.body.results.map((r: { conversation: { assignee: { id: number } } }) => r.conversation.assignee.id));
      // Round robin: the members in turn.
      expect(new Set(rows.map((r) => Number(r.assignee_id))).size).toBe(2);
      for (const id of ids) {
        const acts = (await activityRows([id])).map((a) => [a.type, a.actorType, a.reason]);
        expect(acts).toEqual([
          ['team', 'user', null],
          ['assignee', 'system', 'round_robin'],
        ]);
      }
      // Fails until routing in a bulk is deferred to its end (two conversation.updated each now).
      const events = await eventsSince(since);
      for (const id of ids) expect(updatedEvents(events, id).map((e) => (e.data.assignee as Row)?.id)).toEqual([Number((rows[ids.indexOf(id)]).assignee_id)]);
    });

    it('should run two bulks over the same conversations into two routing teams, in opposite orders, without a 409 or a deadlock', async () => {
      const [m1, m2] = [await agents(2), await agents(2)];
      const teams = [await createTeam(t.http, m1, { mode: 'balanced', capacity: null }), await createTeam(t.http, m2, { mode: 'round_robin', capacity: null })];
      const { contactId } = await createContact(t.db, acme.tenantId);
      const ids: number[] = [];
      for (let i = 0; i < 8; i++) ids.push((await desk.create({ contactId })).body.conversation.id);
      for (let round = 0; round < 4; round++) {
        const answers = await Promise.all([
          desk.bulk(ids, { team: ref(teams[0].id, 'teams'), assignee: null }),
          desk.bulk([...ids].reverse(), { team: ref(teams[1].id, 'teams'), assignee: null }),
        ]);
        expect(answers.map((r) => r.status)).toEqual([200, 200]);
        expect(answers.flatMap((r) => r.body.results.map((x: Row) => x.status))).toEqual(Array(16).fill(200));
        // One bulk ran after the other: every conversation in the last one's team, assigned to one of its members.
        const rows = await rowsOf(ids);
        const teamIds = new Set(rows.map((r) => Number(r.team_id)));
        expect(teamIds.size).toBe(1);
        const members = (Number(rows[0].team_id) === teams[0].id ? m1 : m2).map((m) => m.id);
        expect(rows.every((r) => members.includes(Number(r.assignee_id)))).toBe(true);
      }
    });
  });

  describe('HighLevel PUT /conversations/{id} with assignedTo', () => {
    const put = (id: number, body: Row, auth = acme.auth) =>
      t.http.put(`/conversations/${id}`).set('Authorization', auth).set('Version', HL_VERSION).send({ locationId: acme.locationId, ...body });

    it('should assign and unassign through the workflow, as the caller, announced to agents only; an unknown agent is a 422 writing nothing', async () => {
      const [caller, agent] = [await createAgent(t, acme.tenantId), await createAgent(t, acme.tenantId)];
      const { contactId } = await createContact(t.db, acme.tenantId);
      const id: number = (await desk.create({ contactId })).body.conversation.id;

      let since = await lastOutboxId();
      const assigned = await put(id, { assignedTo: String(agent.id) }, caller.auth);
      expect(assigned.status).toBe(200);
      expect(assigned.body).toMatchObject({ success: true, conversation: { id: String(id), assignedTo: String(agent.id) } });
      expect(Number((await rowsOf([id]))[0].assignee_id)).toBe(agent.id);
      expect(await activityRows([id])).toEqual([
        { conversationId: expect.anything(), type: 'assignee', from: null, to: ref(agent.id, 'users'), reason: null, actorType: 'user', actorId: caller.id },
      ]);
      let events = await eventsSince(since);
      expect(updatedEvents(events, id)).toHaveLength(1);
      expect(updatedEvents(events, id)[0].data.assignee).toEqual(ref(agent.id, 'users'));
      expect(events.filter((e) => e.event === 'conversation.activity')).toEqual([]);
      expect((updatedEvents(events, id)[0].data.activities as Row[]).map((x) => x.type)).toEqual(['assignee']);
      expect(customerLeaks(events)).toEqual([]);
      expect(events.filter((e) => e.channels.some((ch) => ch.startsWith('private-conversation-')))).toEqual([]);

      for (const empty of [null, '']) {
        since = await lastOutboxId();
        const res = await put(id, { assignedTo: empty }, caller.auth);
        expect(res.status).toBe(200);
        expect(res.body.conversation.assignedTo).toBeUndefined();
        expect((await rowsOf([id]))[0].assignee_id).toBeNull();
        const last = (await activityRows([id])).at(-1)!;
        expect(last).toMatchObject({ type: 'assignee', from: ref(agent.id, 'users'), to: null, actorType: 'user', actorId: caller.id });
        events = await eventsSince(since);
        expect(updatedEvents(events, id).map((e) => e.data.assignee)).toEqual([null]);
        // Assigned again for the next unassignment.
        if (empty === null) expect((await put(id, { assignedTo: String(agent.id) }, caller.auth)).status).toBe(200);
      }

      const globex = await createTenant(t);
      const theirs = await createAgent(t, globex.tenantId);
      const activities = (await activityRows([id])).length;
      for (const unknown of ['987654321', String(theirs.id)]) {
        since = await lastOutboxId();
        const res = await put(id, { assignedTo: unknown, starred: true }, caller.auth);
        expect({ status: res.status, body: res.body }).toEqual({
          status: 422,
          body: { statusCode: 422, message: [`assignedTo ${unknown} is not an agent of this location`], error: 'Unprocessable Entity' },
        });
        expect((await rowsOf([id]))[0]).toMatchObject({ assignee_id: null, starred: false });
        expect(await activityRows([id])).toHaveLength(activities);
        expect(await eventsSince(since)).toEqual([]);
      }

      // Starred and assigned in one PUT: one change, one conversation.updated (both channels: the
      // star is the customer's to see), the assignee activity in the agents' one.
      since = await lastOutboxId();
      const both = await put(id, { assignedTo: String(agent.id), starred: true }, caller.auth);
      expect(both.status).toBe(200);
      const [stored] = await rowsOf([id]);
      expect([Number(stored.assignee_id), stored.starred]).toEqual([agent.id, true]);
      events = await eventsSince(since);
      expect(events.map((e) => [e.event, e.channels])).toEqual([
        ['conversation.updated', [`private-conversation-${id}`]],
        ['conversation.updated', [`private-tenant-${acme.tenantId}`]],
      ]);
      expect(updatedEvents(events, id)).toHaveLength(1);
      expect(updatedEvents(events, id)[0].data).toMatchObject({ assignee: ref(agent.id, 'users') });
      expect((updatedEvents(events, id)[0].data.activities as Row[]).map((x) => [x.type, x.to])).toEqual([['assignee', ref(agent.id, 'users')]]);
      expect(customerLeaks(events)).toEqual([]);
    });
  });

  describe("the customer's wall", () => {
    it('should show the customer nothing of the workflow: no field, activity, note, team or label, by token, history or their channel', async () => {
      const [bea, writer] = [await createAgent(t, acme.tenantId), await createAgent(t, acme.tenantId)];
      const team = await createTeam(t.http, [bea], { mode: 'round_robin', capacity: null });
      const tag = await createTag();
      const { contactId } = await createContact(t.db, acme.tenantId);
      const c = await desk.withToken(contactId);
      const since = await lastOutboxId();
      const noteText = `Refund approved ${name('secret')}`;

      await desk.message({ conversationId: c.id, contactId, message: 'My order is late' });
      for (const change of [{ priority: 'urgent' }, { labels: [ref(tag.id, 'tags')] }, { team: ref(team.id, 'teams') }, { status: 'pending' }]) {
        expect((await desk.patch(c.id, change, writer.auth)).status).toBe(200);
      }
      const note = await desk.message({ conversationId: c.id, message: noteText, private: true, mentions: [ref(bea.id, 'users')] }, writer.auth);
      await desk.message({ conversationId: c.id, message: 'We are on it', conversationStatus: 'pending' }, writer.auth);
      await desk.message({ conversationId: c.id, contactId, message: 'Thanks, any news?' });
      expect((await desk.patch(c.id, { status: 'snoozed', snoozedUntil: inFuture(1_000) }, bea.auth)).status).toBe(200);
      await until('the wake-up', async () => (await rowsOf([c.id]))[0].status === 'open', Date.now() + 7_000);
      expect((await desk.patch(c.id, { status: 'resolved', assignee: null }, writer.auth)).status).toBe(200);

      // The agents saw all of it.
      const types = (await activityRows([c.id])).map((a) => a.type);
      expect(types).toEqual(expect.arrayContaining(['priority', 'labels', 'team', 'assignee', 'status']));
      expect((await activityRows([c.id])).map((a) => a.reason)).toEqual(expect.arrayContaining(['snooze_expired', 'customer_message', 'round_robin']));

      const agents = await desk.get(c.id);
      const byToken = await t.http.get(`${BASE}/conversations/token/${c.token}.json`);
      expect(byToken.status).toBe(200);
      expect(byToken.body.conversation).toEqual(customerConversation(agents.body.conversation, [note.id as number]));
      const full = await t.http.get(`${BASE}/conversations/token/${c.token}.json?includes=contacts,customers,users,conversationmessages`);
      const history = await t.http.get(`${BASE}/conversationmessages/history/${c.token}.json?includes=all`);
      expect([full.status, history.status]).toEqual([200, 200]);
      const events = await eventsSince(since);
      const theirs = events.filter((e) => e.channels.includes(`private-conversation-${c.id}`));
      expect(theirs.map((e) => e.event)).toEqual(['message.created', 'message.created', 'message.created']);
      expect(customerLeaks(events)).toEqual([]);

      for (const [what, body] of [
        ['the token', full.body],
        ['the history', history.body],
        ['the channel', theirs.map((e) => e.data)],
      ] as const) {
        const keys = [...keysDeep(body)].filter((k) => AGENTS_ONLY_KEYS.includes(k));
        expect({ what, keys }).toEqual({ what, keys: [] });
        const text = JSON.stringify(body);
        for (const secret of [team.name, tag.name, noteText, 'snooze_expired', 'customer_message', 'round_robin', 'urgent', 'conversation.activity', 'mention']) {
          expect({ what, secret, shown: text.includes(secret) }).toEqual({ what, secret, shown: false });
        }
      }
      // The history holds the public messages only.
      expect(history.body.conversationmessages.map((m: Row) => m.message).sort()).toEqual(['My order is late', 'Thanks, any news?', 'We are on it']);
    });
  });

  describe('a conversation, a full cycle', () => {
    let cycle: TestTenant;
    beforeAll(async () => {
      cycle = await createTenant(t, 'Cycle Co');
    });

    it('should wait, be answered, reopen, route, snooze and wake, each step in its counts, queues and activities', async () => {
      const bea = await createAgent(t, cycle.tenantId);
      const teamRes = await t.http
        .post(`${BASE}/teams.json`)
        .set('Authorization', cycle.auth)
        .send({ team: { name: 'Front line', users: [ref(bea.id, 'users')], assignment: { mode: 'round_robin', capacity: 5 } } });
      expect(teamRes.status).toBe(201);
      const team: number = teamRes.body.team.id;
      const { contactId } = await createContact(t.db, cycle.tenantId);
      const created = await t.http.post(`${BASE}/conversations.json`).set('Authorization', cycle.auth).send({ conversation: { contactId } });
      expect(created.status).toBe(201);
      const id: number = created.body.conversation.id;
      const get = async () => (await t.http.get(`${BASE}/conversations/${id}.json`).set('Authorization', cycle.auth)).body.conversation;
      const patch = async (body: Row, auth = cycle.auth) => {
        const res = await t.http.patch(`${BASE}/conversations/${id}.json`).set('Authorization', auth).send({ conversation: body });
        expect(res.status).toBe(200);
        return res.body.conversation;
      };
      const post = async (body: Row, auth = cycle.auth) => {
        const res = await t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', auth).send({ conversationmessage: { conversationId: id, ...body } });
        expect(res.status).toBe(201);
        return res.body.conversationmessage;
      };
      // Counts are exact at once: the ledger's sum is the same before and after a fold.
      const counts = async (status: Partial<Record<string, number>>, mine: number, unassigned: number, teamOpen: number, teamUnassigned: number) => {
        const res = await t.http.get(`${BASE}/conversations/counts.json`).set('Authorization', bea.auth);
        expect(res.status).toBe(200);
        expect(res.body.counts).toEqual({
          status: { open: 0, pending: 0, snoozed: 0, resolved: 0, ...status },
          mine,
          unassigned,
          teams: [{ team: ref(team, 'teams'), open: teamOpen, unassigned: teamUnassigned }],
        });
      };
      // Which of the queues (as `bea` asks for them) list the conversation.
      const QUEUES: Record<string, Row> = {
        mine: { assignee: 'me' },
        mineOpen: { assignee: 'me', status: 'open' },
        unassigned: { assignee: null },
        team: { team },
        pending: { status: 'pending' },
        snoozed: { status: 'snoozed', assignee: 'me' },
      };
      const listedIn = async (): Promise<string[]> => {
        const found: string[] = [];
        for (const [queue, filter] of Object.entries(QUEUES)) {
          const res = await t.http
            .get(`${BASE}/conversations.json`)
            .set('Authorization', bea.auth)
            .query({ filter: JSON.stringify(filter), orderBy: 'waitingSince', orderMode: 'asc' });
          expect(res.status).toBe(200);
          if (res.body.conversations.some((c: Row) => c.id === id)) found.push(queue);
        }
        return found;
      };
      const activities = async () =>
        (await t.http.get(`${BASE}/conversations/${id}/activities.json`).set('Authorization', cycle.auth)).body.activities.map((a: Row) => [
          a.type,
          a.from,
          a.to,
          a.actor,
          a.reason,
        ]);
      const user = (u: { id: number }) => ({ type: 'users', id: u.id });
      const SYSTEM = { type: 'system', id: null };

      await counts({ open: 1 }, 0, 1, 0, 0);
      expect(await listedIn()).toEqual(['unassigned']);

      // The customer writes: waiting since their message.
      const first = await post({ contactId, message: 'Hello, my invoice is wrong' });
      expect((await get()).waitingSince).toBe(first.createdAt);

      // Moved into the team: routing assigns bea, the only member; announced once, assigned.
      const outboxNow = async () => Number((await t.db.query(`SELECT coalesce(max(id), 0) AS id FROM outbox`))[0].id);
      const cycleEvents = async (since: number): Promise<Payload[]> =>
        (await t.db.query(`SELECT payload FROM outbox WHERE tenant_id = $1 AND topic = 'pusher' AND id > $2 ORDER BY id`, [cycle.tenantId, since])).map(
          (r: { payload: Payload }) => r.payload,
        );
      const sinceMove = await outboxNow();
      expect(await patch({ team: ref(team, 'teams') })).toMatchObject({ team: ref(team, 'teams'), assignee: ref(bea.id, 'users') });
      // (How many times it is announced: "announced once after routing" below.)
      expect((await cycleEvents(sinceMove)).filter((e) => e.event === 'conversation.updated').every((e) => (e.data.assignee as Row)?.id === bea.id)).toBe(true);
      await counts({ open: 1 }, 1, 0, 1, 0);
      expect(await listedIn()).toEqual(['mine', 'mineOpen', 'team']);

      // bea answers and sets it pending in the same request.
      const reply = await post({ message: 'Could you send the invoice number?', conversationStatus: 'pending' }, bea.auth);
      expect(await get()).toMatchObject({ status: 'pending', waitingSince: null, firstReplyAt: reply.createdAt, assignee: ref(bea.id, 'users') });
      await counts({ pending: 1 }, 0, 0, 0, 0);
      expect(await listedIn()).toEqual(['mine', 'team', 'pending']);

      // Unassigned while pending: it waits on nobody's queue until the customer writes.
      await patch({ assignee: null });
      expect(await listedIn()).toEqual(['unassigned', 'team', 'pending']);
      const again = await post({ contactId, message: 'It is INV-42' });
      expect(await get()).toMatchObject({ status: 'open', waitingSince: again.createdAt, assignee: ref(bea.id, 'users') });
      await counts({ open: 1 }, 1, 0, 1, 0);
      expect(await listedIn()).toEqual(['mine', 'mineOpen', 'team']);

      // bea snoozes it for 2 s; the wake-up job opens it within 5 s of that.
      const snoozedUntil = inFuture(2_000);
      expect(await patch({ status: 'snoozed', snoozedUntil }, bea.auth)).toMatchObject({ status: 'snoozed', snoozedUntil });
      await counts({ snoozed: 1 }, 0, 0, 0, 0);
      expect(await listedIn()).toEqual(['mine', 'team', 'snoozed']);
      const sinceSnooze = await outboxNow();
      await until('the wake-up', async () => (await get()).status === 'open', new Date(snoozedUntil).getTime() + 5_000);
      expect(await get()).toMatchObject({ status: 'open', snoozedUntil: null, assignee: ref(bea.id, 'users'), waitingSince: again.createdAt });
      await counts({ open: 1 }, 1, 0, 1, 0);
      expect(await listedIn()).toEqual(['mine', 'mineOpen', 'team']);
      const woke = await cycleEvents(sinceSnooze);
      expect(woke.map((e: Payload) => [e.event, e.channels])).toEqual([['conversation.updated', [`private-tenant-${cycle.tenantId}`]]]);
      expect((woke[0].data.activities as Row[]).map((x) => [x.type, x.reason])).toEqual([['status', 'snooze_expired']]);

      expect(await activities()).toEqual([
        ['team', null, ref(team, 'teams'), user({ id: cycle.adminId }), null],
        ['assignee', null, ref(bea.id, 'users'), SYSTEM, 'round_robin'],
        ['status', 'open', 'pending', user(bea), 'agent_reply'],
        ['assignee', ref(bea.id, 'users'), null, user({ id: cycle.adminId }), null],
        ['status', 'pending', 'open', { type: 'contacts', id: contactId }, 'customer_message'],
        ['assignee', null, ref(bea.id, 'users'), SYSTEM, 'round_robin'],
        ['status', 'open', 'snoozed', user(bea), null],
        ['status', 'snoozed', 'open', SYSTEM, 'snooze_expired'],
      ]);
    });
  });
});
