import { Injectable } from '@nestjs/common';
import { ListPage, ListQuery, runList, softDeleteSql } from '@app/common';
import { Database } from '@app/database';
import { In } from 'typeorm';
import { TEAM_LIST } from './team-list.definition';
import { AssignmentMode, Team } from './team.entity';

export interface TeamValues {
  name?: string;
  assignmentMode?: AssignmentMode;
  assignmentCapacity?: number | null;
  onlyAvailable?: boolean;
}

// `teams` and `team_members`; every query takes the tenant first and runs in the ambient
// transaction, if any (Database).
@Injectable()
export class TeamsRepository {
  constructor(private readonly db: Database) {}

  async findById(tenantId: number, id: number): Promise<Team | null> {
    return this.db.manager.findOneBy(Team, { tenantId, id });
  }

  async findByIds(tenantId: number, ids: readonly number[]): Promise<Team[]> {
    if (ids.length === 0) return [];
    return this.db.manager.find(Team, { where: { tenantId, id: In([...new Set(ids)]) }, order: { id: 'ASC' } });
  }

  // Locks the team for the rest of the transaction. Teams are the last lock any transaction takes.
  async findForUpdate(tenantId: number, id: number): Promise<Team | null> {
    return this.db.manager
      .createQueryBuilder(Team, 't')
      .where('t.tenant_id = :tenantId AND t.id = :id', { tenantId, id })
      .setLock('for_no_key_update')
      .getOne();
  }

  async list(tenantId: number, query: ListQuery): Promise<ListPage<Team>> {
    const qb = this.db.manager.createQueryBuilder(Team, 't').where('t.tenant_id = :tenantId', { tenantId });
    return runList(qb, TEAM_LIST, query);
  }

  // The members of these teams, by team, each list in id order.
  async memberIds(tenantId: number, teamIds: readonly number[]): Promise<Map<number, number[]>> {
    const members = new Map<number, number[]>(teamIds.map((id) => [id, []]));
    if (teamIds.length === 0) return members;
    const rows: { teamId: number; userId: number }[] = await this.db.query(
      `SELECT team_id AS "teamId", user_id AS "userId" FROM team_members
        WHERE tenant_id = $1 AND team_id = ANY($2::bigint[]) ORDER BY team_id, user_id`,
      [tenantId, [...teamIds]],
    );
    for (const row of rows) members.get(row.teamId)?.push(row.userId);
    return members;
  }

  // The active teams these agents belong to that route (not manual), in id order.
  async routingTeamIdsOf(tenantId: number, userIds: readonly number[]): Promise<number[]> {
    if (userIds.length === 0) return [];
    const rows: { id: number }[] = await this.db.query(
      `SELECT DISTINCT t.id FROM team_members m
         JOIN teams t ON t.tenant_id = m.tenant_id AND t.id = m.team_id
        WHERE m.tenant_id = $1 AND m.user_id = ANY($2::bigint[]) AND t.state = 'active' AND t.assignment_mode <> 'manual'
        ORDER BY t.id`,
      [tenantId, [...userIds]],
    );
    return rows.map((row) => row.id);
  }

  // The active team holding this name (ignoring case, as uq_teams_name compares), other than `exceptId`.
  async nameHolder(tenantId: number, name: string, exceptId: number | null): Promise<number | null> {
    const rows: { id: number }[] = await this.db.query(
      `SELECT id FROM teams WHERE tenant_id = $1 AND lower(name) = lower($2) AND state = 'active' AND id IS DISTINCT FROM $3 LIMIT 1`,
      [tenantId, name, exceptId],
    );
    return rows[0]?.id ?? null;
  }

  async insert(tenantId: number, values: TeamValues, actorId: number): Promise<number> {
    const team = this.db.manager.create(Team, { ...values, tenantId, createdBy: actorId, updatedBy: actorId });
    await this.db.manager.insert(Team, team);
    return team.id;
  }

  async update(tenantId: number, id: number, values: TeamValues, actorId: number): Promise<void> {
    await this.db.manager.update(Team, { tenantId, id }, { ...values, updatedAt: () => 'now()', updatedBy: actorId });
  }

  // Soft; updatedAt stays.
  async softDelete(tenantId: number, id: number, actorId: number): Promise<void> {
    await this.db.query(`UPDATE teams SET ${softDeleteSql('$3')} WHERE tenant_id = $1 AND id = $2 AND state = 'active'`, [tenantId, id, actorId]);
  }

  // The members become exactly `userIds`: those not listed leave, new ones join (two statements).
  async replaceMembers(tenantId: number, teamId: number, userIds: readonly number[], actorId: number): Promise<void> {
    await this.db.query(`DELETE FROM team_members WHERE tenant_id = $1 AND team_id = $2 AND NOT (user_id = ANY($3::bigint[]))`, [
      tenantId,
      teamId,
      [...userIds],
    ]);
    if (userIds.length === 0) return;
    await this.db.query(
      `INSERT INTO team_members (tenant_id, team_id, user_id, created_by)
       SELECT $1, $2, u.id, $4 FROM unnest($3::bigint[]) AS u(id) ORDER BY u.id
       ON CONFLICT DO NOTHING`,
      [tenantId, teamId, [...userIds], actorId],
    );
  }
}
