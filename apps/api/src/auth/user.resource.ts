import { pickFields } from '@app/common';
import { ResourceDefinition } from '../http/resource';
import { presentTenant } from './tenant.presenter';
import { Tenant } from './tenant.entity';
import { USER_LIST } from './user-list.definition';
import { User } from './user.entity';
import { presentUser } from './user.presenter';

// An agent; a read of one takes only `fields` of the list parameters.
export const USER: ResourceDefinition<User> = {
  name: 'user',
  plural: 'users',
  present: (user, fields) => pickFields(presentUser(user), fields),
  list: USER_LIST,
};

// The caller, with its tenant beside it.
export const ME: ResourceDefinition<{ user: User; tenant: Tenant }> = {
  name: 'user',
  present: ({ user }, fields) => USER.present(user, fields),
  list: USER_LIST,
  beside: ({ tenant }) => ({ tenant: presentTenant(tenant) }),
};
