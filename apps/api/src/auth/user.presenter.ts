import { auditFields } from '@app/common';
import { User } from './user.entity';

export function presentUser(user: User) {
  return {
    id: user.id,
    email: user.email,
    firstName: user.firstName,
    lastName: user.lastName,
    role: user.role,
    ...auditFields(user),
  };
}

// What a widget visitor may see of an agent: a name, never an email.
export function presentPublicUser(user: User) {
  return { id: user.id, firstName: user.firstName, lastName: user.lastName };
}
