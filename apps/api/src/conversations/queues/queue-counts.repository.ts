import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { ConversationStatus } from '../conversation.entity';

export interface QueueCounts {
  // Statuses no conversation has are left out.
  status: Partial<Record<ConversationStatus, number>>;
  mine: number;
  unassigned: number;
  teams: { teamId: number; open: number; unassigned: number }[];
}

// The sidebar's numbers for one agent, in one statement (migration 1764940000000): the tenant's
// active conversations per status, the sums of its ledger (a status no row names is 0); then,
// among open conversations only, each count from an index alone: those assigned to the agent and
// to nobody, and per active team the agent belongs to, those assigned and those waiting unassigned
// in its queue (the workflow's two partial indexes).
const COUNTS = `
  SELECT (SELECT coalesce(jsonb_object_agg(s.status, s.n), '{}')
            FROM (SELECT status, sum(delta) AS n FROM conversation_status_counts WHERE tenant_id = $1 GROUP BY status) s) AS status,
         (SELECT count(*) FROM conversations
           WHERE tenant_id = $1 AND state = 'active' AND assignee_id = $2 AND status = 'open')::int AS mine,
         (SELECT count(*) FROM conversations
           WHERE tenant_id = $1 AND state = 'active' AND assignee_id IS NULL AND status = 'open')::int AS unassigned,
         (SELECT coalesce(jsonb_agg(jsonb_build_object('teamId', t.id, 'open', q.unassigned + q.assigned, 'unassigned', q.unassigned) ORDER BY t.id), '[]')
            FROM team_members tm
            JOIN teams t ON t.tenant_id = tm.tenant_id AND t.id = tm.team_id AND t.state = 'active'
            CROSS JOIN LATERAL (
              SELECT (SELECT count(*) FROM conversations c
                       WHERE c.tenant_id = $1 AND c.team_id = t.id AND c.state = 'active' AND c.status = 'open' AND c.assignee_id IS NULL)::int AS unassigned,
                     (SELECT count(*) FROM conversations c
                       WHERE c.tenant_id = $1 AND c.team_id = t.id AND c.state = 'active' AND c.status = 'open' AND c.assignee_id IS NOT NULL)::int AS assigned) q
           WHERE tm.tenant_id = $1 AND tm.user_id = $2) AS teams`;

// A ledger's rows of one tenant and status beyond the first, folded into one: the groups of many
// rows, a chunk of them at a time, each deleted and written back as its sum in one statement. A
// delta appended meanwhile is not in the fold's snapshot, so it stays as it is, and a reader sees
// the ledger before the fold or after it, never half of it.
const FOLD = `
  WITH groups AS (
         SELECT tenant_id, status FROM conversation_status_counts
          GROUP BY tenant_id, status HAVING count(*) > 1 ORDER BY tenant_id, status LIMIT $1),
       folded AS (
         DELETE FROM conversation_status_counts d USING groups g
          WHERE d.tenant_id = g.tenant_id AND d.status = g.status
         RETURNING d.tenant_id, d.status, d.delta)
  INSERT INTO conversation_status_counts (tenant_id, status, delta)
  SELECT tenant_id, status, sum(delta) FROM folded GROUP BY tenant_id, status
  RETURNING tenant_id`;

// The queues' counts: reads of `conversations`, `teams` and `team_members`, and the status ledger,
// all this module's.
@Injectable()
export class QueueCountsRepository {
  constructor(private readonly db: Database) {}

  async countsFor(tenantId: number, userId: number): Promise<QueueCounts> {
    const [row]: QueueCounts[] = await this.db.query(COUNTS, [tenantId, userId]);
    return row;
  }

  // Folds up to `groups` tenant-status groups; how many it folded.
  async foldStatusCounts(groups: number): Promise<number> {
    const folded: unknown[] = await this.db.query(FOLD, [groups]);
    return folded.length;
  }
}
