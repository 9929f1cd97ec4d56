import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import { BASE } from '../../support/desk';
import { withClient } from '../../support/test-database';
import { Answer, send } from './load';

export const ROUTING_AGENTS = 10;
export const ROUTING_CAPACITY = 1_500;
export const ROUTING_QUEUE = 20_000;

export interface RoutingSetup {
  teamId: number;
  agentIds: number[];
  // The queue, oldest waiting first.
  queued: number[];
}

const count = async (db: Client, sql: string, params: unknown[]): Promise<number> => Number((await db.query(sql, params)).rows[0].n);

// A team of 10 agents of capacity 1,500 (manual: nothing routes yet) and 20,000 conversations
// waiting in its queue, their waiting_since spread so that the oldest are not the lowest ids.
export async function setUpRouting(url: string, target: string, tenant: { tenantId: number; auth: string; chatIds: number[] }, label: string): Promise<RoutingSetup> {
  const { agentIds, contactId } = await withClient(url, async (db) => {
    const agents = await db.query(
      `INSERT INTO users (tenant_id, email, first_name, last_name, role)
       SELECT $1, 'router-' || g || '-' || $2 || '@example.test', 'Router', g::text, 'agent' FROM generate_series(1, $3::int) AS g RETURNING id`,
      [tenant.tenantId, label, ROUTING_AGENTS],
    );
    const [{ contact_id }] = (await db.query(`SELECT contact_id FROM conversations WHERE id = $1`, [tenant.chatIds[0]])).rows;
    return { agentIds: agents.rows.map((r: { id: string }) => Number(r.id)).sort((a: number, b: number) => a - b), contactId: Number(contact_id) };
  });
  const body = JSON.stringify({ name: `Routing ${label}`, users: agentIds.map((id) => ({ id })), assignment: { mode: 'manual', capacity: ROUTING_CAPACITY } });
  const created = await send(target, 'POST', `${BASE}/teams.json`, { Authorization: tenant.auth }, body);
  if (created.status !== 201) throw new Error(`creating the team: ${created.status} ${JSON.stringify(created.body)}`);
  const teamId = (created.body as { team: { id: number } }).team.id;
  const queued = await withClient(url, async (db) => {
    await db.query(
      `INSERT INTO conversations (tenant_id, contact_id, team_id, waiting_since)
       SELECT $1, $2, $3, timestamptz '2026-01-01T00:00:00Z' + ((g * 7919) % $4) * interval '1 second' FROM generate_series(1, $4::int) AS g`,
      [tenant.tenantId, contactId, teamId, ROUTING_QUEUE],
    );
    return (await db.query(`SELECT id FROM conversations WHERE team_id = $1 ORDER BY waiting_since, id`, [teamId])).rows.map((r: { id: string }) => Number(r.id));
  });
  return { teamId, agentIds, queued };
}

export async function assignedCount(url: string, teamId: number): Promise<number> {
  return withClient(url, (db) => count(db, `SELECT count(*) AS n FROM conversations WHERE team_id = $1 AND assignee_id IS NOT NULL`, [teamId]));
}

// Team changes that each route a chunk, sent to one process until `stopped` (several at once: they
// queue on the team's lock there).
export function routeContinuously(target: string, auth: string, teamId: number, stopped: () => boolean, parallel = 4): Promise<Answer[]> {
  const answers: Answer[] = [];
  const loops = Array.from({ length: parallel }, async (_, i) => {
    let onlyAvailable = i % 2 === 0;
    while (!stopped()) {
      onlyAvailable = !onlyAvailable;
      const body = JSON.stringify({ assignment: { mode: 'balanced', onlyAvailable } });
      answers.push(await send(target, 'PATCH', `${BASE}/teams/${teamId}.json`, { Authorization: auth }, body));
      if (answers[answers.length - 1].status === 0) await delay(20);
    }
  });
  return Promise.all(loops).then(() => answers);
}

export interface RoutingCheck {
  assigned: number;
  queued: number;
  lost: number;
  // Conversations with more than one assignment recorded, or an activity naming another agent.
  doubled: number;
  overCapacity: number;
  perAgent: number[];
  // Whether the newest waiting are the ones still queued.
  inOrder: boolean;
  updatedEvents: number;
  problems: string[];
}

// What the database says of the team once routing has settled.
export async function checkRouting(url: string, setup: RoutingSetup): Promise<RoutingCheck> {
  return withClient(url, async (db) => {
    const problems: string[] = [];
    const ids = setup.queued;
    type Row = { id: string; assignee_id: string | null; team_id: string; status: string; state: string };
    const rows: Row[] = (await db.query(`SELECT id, assignee_id, team_id, status, state FROM conversations WHERE id = ANY($1)`, [ids])).rows;
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    const assigneeOf = (id: number) => byId.get(id)?.assignee_id ?? null;
    let assigned = 0;
    let queued = 0;
    const perAgent = new Map(setup.agentIds.map((id) => [id, 0]));
    for (const id of ids) {
      const row = byId.get(id);
      if (!row || Number(row.team_id) !== setup.teamId || row.status !== 'open' || row.state !== 'active') continue;
      const assignee = row.assignee_id === null ? null : Number(row.assignee_id);
      if (assignee === null) queued++;
      else if (perAgent.has(assignee)) {
        assigned++;
        perAgent.set(assignee, perAgent.get(assignee)! + 1);
      } else problems.push(`conversation ${id} assigned to ${assignee}, not a member`);
    }
    const assignedIds = ids.filter((id) => assigneeOf(id) !== null);
    // The queue is oldest first: once one waits, every newer one waits too.
    const firstQueued = ids.findIndex((id) => assigneeOf(id) === null);
    const inOrder = firstQueued === -1 || ids.slice(firstQueued).every((id) => assigneeOf(id) === null);
    const doubled = await count(
      db,
      `SELECT count(*) AS n FROM (
         SELECT a.conversation_id FROM conversation_activities a JOIN conversations c ON c.tenant_id = a.tenant_id AND c.id = a.conversation_id
          WHERE a.conversation_id = ANY($1) AND a.type = 'assignee'
          GROUP BY a.conversation_id, c.assignee_id
         HAVING count(*) > 1 OR bool_or((a.to_value ->> 'id')::bigint IS DISTINCT FROM c.assignee_id)) d`,
      [ids],
    );
    const withActivity = await count(db, `SELECT count(DISTINCT conversation_id) AS n FROM conversation_activities WHERE conversation_id = ANY($1) AND type = 'assignee'`, [ids]);
    if (withActivity !== assignedIds.length) problems.push(`${assignedIds.length} assigned but ${withActivity} with an assignee activity`);
    const updatedEvents = await count(
      db,
      `SELECT count(*) AS n FROM outbox WHERE payload ->> 'event' = 'conversation.updated' AND (payload -> 'data' ->> 'id')::bigint = ANY($1)`,
      [ids],
    );
    // One event per conversation per change, its activity inside: no assignment announced alone,
    // and none announced without it.
    const alone = await count(
      db,
      `SELECT count(*) AS n FROM outbox WHERE payload ->> 'event' = 'conversation.activity' AND (payload -> 'data' ->> 'conversationId')::bigint = ANY($1)`,
      [ids],
    );
    if (alone > 0) problems.push(`${alone} conversation.activity events for conversations that routing announced`);
    const bare = await count(
      db,
      `SELECT count(*) AS n FROM outbox WHERE payload ->> 'event' = 'conversation.updated' AND (payload -> 'data' ->> 'id')::bigint = ANY($1)
          AND NOT jsonb_path_exists(payload -> 'data', '$.activities[*] ? (@.type == "assignee")')`,
      [ids],
    );
    if (bare > 0) problems.push(`${bare} conversation.updated without their assignee activity`);
    const counts = [...perAgent.values()];
    return {
      assigned,
      queued,
      lost: ids.length - assigned - queued,
      doubled,
      overCapacity: counts.filter((n) => n > ROUTING_CAPACITY).length,
      perAgent: counts,
      inOrder,
      updatedEvents,
      problems,
    };
  });
}
