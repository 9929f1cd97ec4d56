import { Injectable } from '@nestjs/common';
import { ConflictError, FieldErrorsBuilder, ForbiddenError, isUniqueViolation, ListQuery, Messages, NotFoundError, PageMeta } from '@app/common';
import { Database } from '@app/database';
import { AuthErrorCode } from '../../auth/auth.errors';
import { Principal } from '../../auth/principal';
import { UsersService } from '../../auth/users.service';
import { RoutingErrorCode } from './routing.errors';
import { RoutingService } from './routing.service';
import { AssignmentMode, Team } from './team.entity';
import { TeamValues, TeamsRepository } from './teams.repository';
import type { TeamView } from './team.view';

// What team bodies carry, once their DTO has checked them; omitted means unchanged (PATCH) or the
// default (POST). `users` replaces the members.
export interface TeamInput {
  name?: string;
  users?: { id: number }[];
  assignment?: { mode?: AssignmentMode; capacity?: number | null; onlyAvailable?: boolean };
}

// The tenant's teams: everyone reads, admins write. Names are unique among active teams ignoring
// case. A change of how a team routes, or of its members, routes its queue at once.
@Injectable()
export class TeamsService {
  constructor(
    private readonly db: Database,
    private readonly teams: TeamsRepository,
    private readonly users: UsersService,
    private readonly routing: RoutingService,
  ) {}

  async list(tenantId: number, query: ListQuery): Promise<{ views: TeamView[]; meta: PageMeta }> {
    const page = await this.teams.list(tenantId, query);
    return { views: await this.viewsOf(tenantId, page.rows), meta: page.meta };
  }

  // Deleted teams too; another tenant's are not found.
  async getById(tenantId: number, id: number): Promise<TeamView> {
    const team = await this.teams.findById(tenantId, id);
    if (!team) throw teamNotFound(id);
    return (await this.viewsOf(tenantId, [team]))[0];
  }

  // For `?includes=teams`: deleted ones too, in one query for the rows and one for the members.
  async findByIds(tenantId: number, ids: readonly number[]): Promise<TeamView[]> {
    return this.viewsOf(tenantId, await this.teams.findByIds(tenantId, ids));
  }

  async create(principal: Principal, input: TeamInput): Promise<TeamView> {
    assertAdmin(principal);
    const { tenantId, userId } = principal;
    return this.db.transaction(async () => {
      const memberIds = await this.checkedMembers(tenantId, input.users);
      const values = valuesOf(input);
      await this.assertNameFree(tenantId, values.name!, null);
      const id = await this.guardNameRace(tenantId, values.name!, null, () => this.teams.insert(tenantId, values, userId));
      // A new team has no queue yet: nothing to route.
      if (memberIds) await this.teams.replaceMembers(tenantId, id, memberIds, userId);
      return this.getById(tenantId, id);
    });
  }

  // Only the given properties change; updatedAt/updatedBy move only when one really did.
  async update(principal: Principal, id: number, input: TeamInput): Promise<TeamView> {
    assertAdmin(principal);
    const { tenantId, userId } = principal;
    return this.db.transaction(async () => {
      const current = await this.teams.findForUpdate(tenantId, id);
      if (!current) throw teamNotFound(id);
      if (current.state === 'deleted') throw new ConflictError(RoutingErrorCode.TeamDeleted, `team ${id} is deleted`);
      const memberIds = await this.checkedMembers(tenantId, input.users);
      const changes = changedValues(current, valuesOf(input));
      const membersChanged = memberIds !== null && (await this.membersDiffer(tenantId, id, memberIds));
      if (Object.keys(changes).length === 0 && !membersChanged) return this.getById(tenantId, id);
      if (changes.name !== undefined) await this.assertNameFree(tenantId, changes.name, id);
      await this.guardNameRace(tenantId, changes.name, id, () => this.teams.update(tenantId, id, changes, userId));
      if (membersChanged) await this.teams.replaceMembers(tenantId, id, memberIds, userId);
      if (membersChanged || routingChanged(changes)) await this.routing.routeTeams(tenantId, [id]);
      return this.getById(tenantId, id);
    });
  }

  // Soft; deleting a deleted team changes nothing. Its conversations keep it as their team, and it
  // no longer routes.
  async remove(principal: Principal, id: number): Promise<void> {
    assertAdmin(principal);
    const { tenantId, userId } = principal;
    await this.db.transaction(async () => {
      const current = await this.teams.findForUpdate(tenantId, id);
      if (!current) throw teamNotFound(id);
      if (current.state === 'active') await this.teams.softDelete(tenantId, id, userId);
    });
  }

  private async viewsOf(tenantId: number, teams: Team[]): Promise<TeamView[]> {
    const members = await this.teams.memberIds(tenantId, teams.map((t) => t.id));
    return teams.map((team) => ({ team, userIds: members.get(team.id) ?? [] }));
  }

  // The members a body names, each an active agent of the tenant (else a 400 on `users[i]`), once
  // each, in id order; null when the body names none.
  private async checkedMembers(tenantId: number, refs: { id: number }[] | undefined): Promise<number[] | null> {
    if (refs === undefined) return null;
    const active = new Set((await this.users.findActiveByIds(tenantId, refs.map((r) => r.id))).map((u) => u.id));
    const errors = new FieldErrorsBuilder();
    refs.forEach((ref, i) => active.has(ref.id) || errors.add(`users[${i}]`, Messages.notFound));
    errors.throwIfAny();
    return [...active].sort((a, b) => a - b);
  }

  private async membersDiffer(tenantId: number, id: number, memberIds: readonly number[]): Promise<boolean> {
    const current = (await this.teams.memberIds(tenantId, [id])).get(id) ?? [];
    return current.join() !== memberIds.join();
  }

  private async assertNameFree(tenantId: number, name: string, exceptId: number | null): Promise<void> {
    const holder = await this.teams.nameHolder(tenantId, name, exceptId);
    if (holder !== null) throw nameTaken(holder);
  }

  // A request that took the name between our check and our write makes uq_teams_name fire: the
  // savepoint keeps the transaction usable to name the winner, and the answer is the same 409.
  private async guardNameRace<T>(tenantId: number, name: string | undefined, exceptId: number | null, work: () => Promise<T>): Promise<T> {
    try {
      return await this.db.savepoint(work);
    } catch (error) {
      if (name === undefined || !isUniqueViolation(error, 'uq_teams_name')) throw error;
      const holder = await this.teams.nameHolder(tenantId, name, exceptId);
      throw holder === null ? new ConflictError(RoutingErrorCode.TeamNameTaken, 'another team took this name meanwhile; retry') : nameTaken(holder);
    }
  }
}

function valuesOf(input: TeamInput): TeamValues {
  const values: TeamValues = {};
  if (input.name !== undefined) values.name = input.name;
  const assignment = input.assignment ?? {};
  if (assignment.mode !== undefined) values.assignmentMode = assignment.mode;
  if (assignment.capacity !== undefined) values.assignmentCapacity = assignment.capacity;
  if (assignment.onlyAvailable !== undefined) values.onlyAvailable = assignment.onlyAvailable;
  return values;
}

function changedValues(current: Team, values: TeamValues): TeamValues {
  const row = current as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.entries(values).filter(([key, value]) => row[key] !== value)) as TeamValues;
}

// What decides who the queue goes to.
function routingChanged(changes: TeamValues): boolean {
  return changes.assignmentMode !== undefined || changes.assignmentCapacity !== undefined || changes.onlyAvailable !== undefined;
}

function assertAdmin(principal: Principal): void {
  if (principal.role !== 'admin') throw new ForbiddenError(AuthErrorCode.AdminRequired, 'only an admin may change teams');
}

export function teamNotFound(id: number): NotFoundError {
  return new NotFoundError(RoutingErrorCode.TeamNotFound, `team ${id} not found`);
}

function nameTaken(holderId: number): ConflictError {
  return new ConflictError(RoutingErrorCode.TeamNameTaken, `team ${holderId} already has this name`, { name: [`is already taken by team ${holderId}`] });
}
