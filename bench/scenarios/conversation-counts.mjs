// GET /desk/api/v2/conversations/counts.json (the caller's queues: per status, theirs, unassigned,
// per team of theirs) over one tenant's 100,000 conversations. Target: p50 at most 20 ms.
// Assignees and teams are spread over every status alike (by g / 10, not g, which the status
// follows): of the 10,000 open, about 1,400 unassigned, 900 the caller's and 1,700 in each team.
import { measurePair, target } from './common.mjs';

const CONVERSATIONS = 100_000;
const SMOKE_CONVERSATIONS = 10_000;
const conversationsFor = (options) => (options.smoke ? SMOKE_CONVERSATIONS : CONVERSATIONS);
const CHUNK = 20_000;
const AGENTS = 9;
const TEAMS = 5;
// A latency target: a light load (2 per core), not a queue.
const CONNECTIONS = 4;

export default {
  name: 'conversation-counts',
  describe: `GET /desk/api/v2/conversations/counts.json, ${CONNECTIONS} connections, ${CONVERSATIONS.toLocaleString('en')} conversations of one tenant (smoke: ${SMOKE_CONVERSATIONS.toLocaleString('en')}): 70% resolved, 10% each open, pending, snoozed; 1% deleted; over the admin and ${AGENTS} agents and ${TEAMS} teams`,
  seedRows: (options) => conversationsFor(options),

  async seed(ctx, progress) {
    // Not the last tenant: hl-search fills that one.
    const tenant = ctx.tenants.at(-2);
    const count = conversationsFor(ctx.options);
    const { pool } = ctx;
    const { rows: agentRows } = await pool.query(
      `INSERT INTO users (tenant_id, email, first_name, last_name, role)
       SELECT $1, 'counts-agent-' || n || '@bench.test', 'Agent', 'N' || n, 'agent' FROM generate_series(1, $2::int) n RETURNING id`,
      [tenant.id, AGENTS],
    );
    const agents = [tenant.userId, ...agentRows.map((r) => r.id)];
    const { rows: teamRows } = await pool.query(
      `INSERT INTO teams (tenant_id, name) SELECT $1, 'Counts team ' || n FROM generate_series(1, $2::int) n RETURNING id`,
      [tenant.id, TEAMS],
    );
    const teams = teamRows.map((r) => r.id).sort((a, b) => a - b);
    // The caller (the admin) is in three of them, each with four other members.
    await pool.query(
      `INSERT INTO team_members (tenant_id, team_id, user_id)
       SELECT $1, t.id, a.id FROM unnest($2::bigint[]) WITH ORDINALITY t(id, n), unnest($3::bigint[]) WITH ORDINALITY a(id, k)
        WHERE (k = 1 AND t.n <= 3) OR (k > 1 AND (k + t.n) % 2 = 0)`,
      [tenant.id, teams, agents],
    );
    const { rows: [contact] } = await pool.query(
      `WITH cu AS (INSERT INTO customers (tenant_id, first_name, last_name, email, created_by, updated_by)
                   VALUES ($1, 'Counts', 'Customer', 'counts@bench.test', $2, $2) RETURNING tenant_id, id, email)
       INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main, created_by, updated_by)
       SELECT tenant_id, id, 'email', email, true, $2, $2 FROM cu RETURNING id`,
      [tenant.id, tenant.userId],
    );
    for (let from = 1; from <= count; from += CHUNK) {
      const to = Math.min(count, from + CHUNK - 1);
      await pool.query(
        `INSERT INTO conversations (tenant_id, contact_id, created_by, updated_by, created_at, updated_at, status, priority,
                                    assignee_id, team_id, waiting_since, snoozed_until, resolved_at, state, deleted_at, deleted_by)
         SELECT $1, $2, $3, $3, ts, ts, s.status, (ARRAY['none', 'low', 'medium', 'high', 'urgent'])[1 + g % 5],
                CASE WHEN g % 7 = 0 THEN NULL ELSE ($4::bigint[])[1 + (g / 10) % cardinality($4::bigint[])] END,
                CASE WHEN g % 6 = 0 THEN NULL ELSE ($5::bigint[])[1 + (g / 10) % cardinality($5::bigint[])] END,
                CASE WHEN s.status = 'open' THEN ts END,
                CASE WHEN s.status = 'snoozed' THEN now() + interval '1 day' END,
                CASE WHEN s.status = 'resolved' THEN ts + interval '1 hour' END,
                CASE WHEN g % 100 = 0 THEN 'deleted' ELSE 'active' END,
                CASE WHEN g % 100 = 0 THEN ts END,
                CASE WHEN g % 100 = 0 THEN $3::bigint END
           FROM generate_series($6::int, $7::int) g,
                LATERAL (SELECT now() - interval '120 days' + g * interval '1 minute' AS ts,
                                CASE g % 10 WHEN 0 THEN 'open' WHEN 1 THEN 'pending' WHEN 2 THEN 'snoozed' ELSE 'resolved' END AS status) s`,
        [tenant.id, contact.id, tenant.userId, agents, teams, from, to],
      );
      progress.add(to - from + 1, `counts: ${to.toLocaleString('en')} conversations`);
    }
    return { tenant };
  },

  async run(ctx, { tenant }) {
    const headers = { authorization: `Bearer ${tenant.key}` };
    const path = '/desk/api/v2/conversations/counts.json';
    const makeNext = () => () => ({ method: 'GET', path, headers });
    const row = await measurePair(ctx, { label: 'conversation-counts', connections: CONNECTIONS, makeNext });
    return {
      rows: [row],
      targets: [target('conversation-counts', 'p50 ≤ 20 ms', row.p50 <= 20, `p50 ${row.p50} ms`)],
    };
  },
};
