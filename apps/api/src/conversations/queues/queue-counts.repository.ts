import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { CONVERSATION_STATUSES, ConversationStatus } from '../conversation.entity';

export interface QueueCounts {
  status: Record<ConversationStatus, number>;
  mine: number;
  unassigned: number;
  teams: { teamId: number; open: number; unassigned: number }[];
}

// Each status counted apart: four index-only range scans of ix_conversations_status_count cost
// less than one scan grouped by status (the group compares every row's text).
const STATUS_COUNTS = CONVERSATION_STATUSES.map(
  (status) => `'${status}', (SELECT count(*) FROM conversations WHERE tenant_id = $1 AND state = 'active' AND status = '${status}')`,
).join(',\n              ');

// The sidebar's numbers for one agent, in one statement, every count from an index alone
// (migration 1764940000000): the tenant's active conversations per status; the open ones assigned
// to the agent and to nobody; and, per active team the agent belongs to, its open ones and those
// waiting unassigned in its queue.
const COUNTS = `
  SELECT jsonb_build_object(
              ${STATUS_COUNTS}) AS status,
         (SELECT count(*) FROM conversations
           WHERE tenant_id = $1 AND state = 'active' AND assignee_id = $2 AND status = 'open')::int AS mine,
         (SELECT count(*) FROM conversations
           WHERE tenant_id = $1 AND state = 'active' AND assignee_id IS NULL AND status = 'open')::int AS unassigned,
         (SELECT coalesce(jsonb_agg(jsonb_build_object('teamId', t.id, 'open', q.open, 'unassigned', q.unassigned) ORDER BY t.id), '[]')
            FROM team_members tm
            JOIN teams t ON t.tenant_id = tm.tenant_id AND t.id = tm.team_id AND t.state = 'active'
            CROSS JOIN LATERAL (
              SELECT count(*)::int AS open, (count(*) FILTER (WHERE c.assignee_id IS NULL))::int AS unassigned
                FROM conversations c
               WHERE c.tenant_id = $1 AND c.team_id = t.id AND c.state = 'active' AND c.status = 'open') q
           WHERE tm.tenant_id = $1 AND tm.user_id = $2) AS teams`;

// The queues' counts: reads of `conversations`, `teams` and `team_members`, all this module's.
@Injectable()
export class QueueCountsRepository {
  constructor(private readonly db: Database) {}

  async countsFor(tenantId: number, userId: number): Promise<QueueCounts> {
    const [row]: QueueCounts[] = await this.db.query(COUNTS, [tenantId, userId]);
    return row;
  }
}
