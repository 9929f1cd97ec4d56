import { ref, type Wire } from '@app/common';
import type { QUEUE_COUNTS_SCHEMA } from './queue-counts.openapi';
import type { QueueCounts } from './queue-counts.repository';

export function presentQueueCounts(counts: QueueCounts): Wire<typeof QUEUE_COUNTS_SCHEMA> {
  const { open = 0, pending = 0, snoozed = 0, resolved = 0 } = counts.status;
  return {
    counts: {
      status: { open, pending, snoozed, resolved },
      mine: counts.mine,
      unassigned: counts.unassigned,
      teams: counts.teams.map((team) => ({ team: ref(team.teamId, 'teams'), open: team.open, unassigned: team.unassigned })),
    },
  };
}
