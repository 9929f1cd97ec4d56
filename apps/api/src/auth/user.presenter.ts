import { auditFields } from '@app/common';
import { User } from './user.entity';
import type { UserWire } from './user.openapi';

export function presentUser(user: User): UserWire {
  return {
    id: user.id,
    email: user.email,
    firstName: user.firstName,
    lastName: user.lastName,
    role: user.role,
    availability: user.availability,
    ...auditFields(user),
  };
}
