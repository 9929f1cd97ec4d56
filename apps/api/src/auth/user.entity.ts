import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

export const USER_ROLES = ['admin', 'agent'] as const;
export type UserRole = (typeof USER_ROLES)[number];

// An agent of one tenant.
@Entity({ name: 'users' })
export class User extends TenantOwnedEntity {
  @Column({ type: 'text' })
  email: string;

  @Column({ name: 'first_name', type: 'text', default: '' })
  firstName: string;

  @Column({ name: 'last_name', type: 'text', default: '' })
  lastName: string;

  @Column({ type: 'text', default: 'agent' })
  role: UserRole;
}
