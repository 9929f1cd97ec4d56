import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

export const USER_ROLES = ['admin', 'agent'] as const;
export type UserRole = (typeof USER_ROLES)[number];
// Whether routing may give the agent conversations (teams with onlyAvailable): set by the agent
// (PATCH /me.json) and by their presence on the tenant's presence channel.
export const USER_AVAILABILITIES = ['available', 'away', 'offline'] as const;
export type UserAvailability = (typeof USER_AVAILABILITIES)[number];

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

  @Column({ type: 'text', default: 'available' })
  availability: UserAvailability;

  // The time of the latest availability event applied (a change, or a presence event even when it
  // changed nothing): a presence event older than this changes nothing.
  @Column({ name: 'availability_changed_at', type: 'timestamptz', nullable: true })
  availabilityChangedAt: Date | null;
}
