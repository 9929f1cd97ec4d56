import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { BASE } from './support/desk';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { OpenApiResponses, validatingAgent } from './support/openapi-responses';
import { ServiceProcess, startServiceProcess } from './support/service-processes';
import { createTestApp, TestApp, UNLIMITED_DESK } from './support/test-app';

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
const AGENTS_ONLY_KEYS = ['private', 'mentions', 'mentionedBy', 'status', 'priority', 'assignee', 'team', 'labels', 'waitingSince', 'firstReplyAt', 'resolvedAt', 'snoozedUntil', 'token'];
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

    it('should assign 500 of 1,000 created conversations to 10 agents of capacity 50, queue the rest in order, and assign the next 10 when 10 are resolved', async () => {
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
    }, 120_000);
  });
});
