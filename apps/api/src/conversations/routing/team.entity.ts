import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

export const ASSIGNMENT_MODES = ['manual', 'round_robin', 'balanced'] as const;
export type AssignmentMode = (typeof ASSIGNMENT_MODES)[number];

// A team of agents and how its queue is assigned (docs/architecture.md, "The conversation
// workflow"). A team's row is the last lock any transaction takes: routing serialises on it.
@Entity({ name: 'teams' })
export class Team extends TenantOwnedEntity {
  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'assignment_mode', type: 'text', default: 'manual' })
  assignmentMode: AssignmentMode;

  // The most open conversations of the team a member is routed; null: no limit.
  @Column({ name: 'assignment_capacity', type: 'integer', nullable: true })
  assignmentCapacity: number | null;

  @Column({ name: 'only_available', type: 'boolean', default: false })
  onlyAvailable: boolean;

  // Round robin's turn: the member assigned last.
  @Column({ name: 'last_assigned_user_id', type: 'bigint', nullable: true })
  lastAssignedUserId: number | null;
}
