import { ListSpec } from '@app/common';
import { USER_AVAILABILITIES, USER_ROLES } from './user.entity';

// What GET /users.json lets a caller filter, order and pick.
export const USER_LIST: ListSpec = {
  filterable: {
    availability: { column: 'u.availability', type: 'string', values: USER_AVAILABILITIES },
    createdAt: { column: 'u.created_at', type: 'date' },
    // Emails are unique per tenant without regard to case, so they are matched the same way.
    email: { column: 'lower(u.email)', type: 'string', caseInsensitive: true },
    firstName: { column: 'u.first_name', type: 'string' },
    id: { column: 'u.id', type: 'integer' },
    lastName: { column: 'u.last_name', type: 'string' },
    role: { column: 'u.role', type: 'string', values: USER_ROLES },
    state: { column: 'u.state', type: 'string', values: ['active', 'deleted'] },
    updatedAt: { column: 'u.updated_at', type: 'date' },
  },
  // Served by pk_users and ix_users_created, both (tenant_id, key[, id]).
  sortable: ['createdAt', 'id'],
  defaultOrderBy: 'id',
  defaultOrderMode: 'asc',
  includes: [],
  fields: ['availability', 'createdAt', 'createdBy', 'deletedAt', 'deletedBy', 'email', 'firstName', 'id', 'lastName', 'role', 'state', 'updatedAt', 'updatedBy'],
  stateField: 'state',
  tieBreaker: 'u.id',
};
