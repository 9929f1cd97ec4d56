import { auditFields } from '@app/common';
import type { TeamWire } from './team.openapi';
import type { TeamView } from './team.view';

export function presentTeam({ team, userIds }: TeamView): TeamWire {
  return {
    id: team.id,
    name: team.name,
    users: userIds.map((id) => ({ id, type: 'users' })),
    assignment: { mode: team.assignmentMode, capacity: team.assignmentCapacity, onlyAvailable: team.onlyAvailable },
    ...auditFields(team),
  };
}
