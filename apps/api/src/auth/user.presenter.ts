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
