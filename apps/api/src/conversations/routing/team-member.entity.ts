import { Column, Entity, PrimaryColumn } from 'typeorm';

// An agent's membership of a team; a PATCH of the team's `users` replaces them.
@Entity({ name: 'team_members' })
export class TeamMember {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint' })
  tenantId: number;

  @PrimaryColumn({ name: 'team_id', type: 'bigint' })
  teamId: number;

  @PrimaryColumn({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'created_by', type: 'bigint', nullable: true })
  createdBy: number | null;
}
