import { ListSpec } from '@app/common';
import { ASSIGNMENT_MODES } from './team.entity';

// What GET /teams.json lets a caller filter, order and pick. Names are unique without regard to
// case, so they are compared as lower(name), which uq_teams_name holds.
export const TEAM_LIST: ListSpec = {
  filterable: {
    id: { column: 't.id', type: 'integer' },
    name: { column: 'lower(t.name)', type: 'string', caseInsensitive: true },
    mode: { column: 't.assignment_mode', type: 'string', values: ASSIGNMENT_MODES },
    state: { column: 't.state', type: 'string', values: ['active', 'deleted'] },
    createdAt: { column: 't.created_at', type: 'date' },
    updatedAt: { column: 't.updated_at', type: 'date' },
  },
  // Served by pk_teams and ix_teams_created, both (tenant_id, key[, id]).
  sortable: ['id', 'createdAt'],
  defaultOrderBy: 'id',
  defaultOrderMode: 'asc',
  includes: [],
  fields: ['assignment', 'createdAt', 'createdBy', 'deletedAt', 'deletedBy', 'id', 'name', 'state', 'updatedAt', 'updatedBy', 'users'],
  stateField: 'state',
  tieBreaker: 't.id',
};
