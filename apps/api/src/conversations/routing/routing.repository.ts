import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { Team } from './team.entity';

export interface Assignment {
  conversationId: number;
  userId: number;
}

export interface TeamRef {
  tenantId: number;
  id: number;
}

// Routing's SQL over `teams`, `team_members` and `conversations`, in the caller's transaction.
@Injectable()
export class RoutingRepository {
  constructor(private readonly db: Database) {}

  // Locks the teams in id order (FOR NO KEY UPDATE): routing a team runs one transaction at a time,
  // and teams are the last lock any transaction takes, so nothing waits in a circle.
  async lockTeams(refs: readonly { tenantId: number; id: number }[]): Promise<Team[]> {
    if (refs.length === 0) return [];
    return this.db.query(
      `SELECT ${this.db.columnsOf(Team)} FROM teams
        WHERE (tenant_id, id) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))
        ORDER BY id FOR NO KEY UPDATE`,
      [refs.map((r) => r.tenantId), refs.map((r) => r.id)],
    );
  }

  // Each of these members' open conversations assigned in the team (ix_conversations_assigned_open).
  async openCounts(tenantId: number, teamId: number, userIds: readonly number[]): Promise<Map<number, number>> {
    const counts = new Map<number, number>(userIds.map((id) => [id, 0]));
    if (userIds.length === 0) return counts;
    const rows: { userId: number; open: number }[] = await this.db.query(
      `SELECT assignee_id AS "userId", count(*)::int AS open FROM conversations
        WHERE tenant_id = $1 AND team_id = $2 AND assignee_id = ANY($3::bigint[]) AND state = 'active' AND status = 'open'
        GROUP BY assignee_id`,
      [tenantId, teamId, [...userIds]],
    );
    for (const row of rows) counts.set(row.userId, row.open);
    return counts;
  }

  // The head of the team's queue, oldest waiting first (ix_conversations_queue), locked. Rows
  // another transaction holds are skipped, never waited for: whoever holds the team must not wait
  // for a conversation (its holder may be waiting for the team); the sweep picks them up later.
  async lockQueueHead(tenantId: number, teamId: number, limit: number): Promise<number[]> {
    const rows: { id: number }[] = await this.db.query(
      `SELECT id FROM conversations
        WHERE tenant_id = $1 AND team_id = $2 AND state = 'active' AND status = 'open' AND assignee_id IS NULL
        ORDER BY waiting_since NULLS LAST, id
        LIMIT $3
          FOR NO KEY UPDATE SKIP LOCKED`,
      [tenantId, teamId, limit],
    );
    return rows.map((row) => row.id);
  }

  // One statement for a batch of assignments of conversations this transaction has locked.
  async assign(tenantId: number, assignments: readonly Assignment[]): Promise<void> {
    if (assignments.length === 0) return;
    await this.db.query(
      `UPDATE conversations c SET assignee_id = a.user_id, updated_at = now()
         FROM unnest($2::bigint[], $3::bigint[]) AS a(id, user_id)
        WHERE c.tenant_id = $1 AND c.id = a.id`,
      [tenantId, assignments.map((a) => a.conversationId), assignments.map((a) => a.userId)],
    );
  }

  async setLastAssigned(tenantId: number, teamId: number, userId: number): Promise<void> {
    await this.db.query(`UPDATE teams SET last_assigned_user_id = $3 WHERE tenant_id = $1 AND id = $2`, [tenantId, teamId, userId]);
  }

  // Which of these conversations wait in one of these teams' queues, with the team.
  async queued(tenantId: number, ids: readonly number[], teamIds: readonly number[]): Promise<{ id: number; teamId: number }[]> {
    if (ids.length === 0 || teamIds.length === 0) return [];
    return this.db.query(
      `SELECT id, team_id AS "teamId" FROM conversations
        WHERE tenant_id = $1 AND id = ANY($2::bigint[]) AND team_id = ANY($3::bigint[])
          AND state = 'active' AND status = 'open' AND assignee_id IS NULL
        ORDER BY id`,
      [tenantId, [...ids], [...teamIds]],
    );
  }

  // Every tenant's active routing teams with a queue and a member below capacity (availability
  // aside: routing checks it), for the sweep.
  async teamsToSweep(): Promise<TeamRef[]> {
    return this.db.query(
      `SELECT t.tenant_id AS "tenantId", t.id FROM teams t
        WHERE t.state = 'active' AND t.assignment_mode <> 'manual'
          AND EXISTS (SELECT 1 FROM conversations c
                       WHERE c.tenant_id = t.tenant_id AND c.team_id = t.id AND c.state = 'active' AND c.status = 'open' AND c.assignee_id IS NULL)
          AND EXISTS (SELECT 1 FROM team_members m
                       WHERE m.tenant_id = t.tenant_id AND m.team_id = t.id
                         AND (t.assignment_capacity IS NULL OR t.assignment_capacity > (
                               SELECT count(*) FROM conversations c
                                WHERE c.tenant_id = t.tenant_id AND c.team_id = t.id AND c.assignee_id = m.user_id
                                  AND c.state = 'active' AND c.status = 'open')))
        ORDER BY t.tenant_id, t.id`,
    );
  }
}
