import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { UsersService } from '../../auth/users.service';
import { ActivityLog } from '../activities/activity-log';
import { SYSTEM } from '../activities/activity.types';
import { ChangeBatch, RoutingRequest } from '../change-batch';
import { ConversationViews } from '../conversation-views';
import { Candidate, freeCapacity, planAssignments } from './routing-plan';
import { RoutingRepository } from './routing.repository';
import type { Team } from './team.entity';
import { TeamsRepository } from './teams.repository';

// The most conversations one call assigns in a team: a request that triggers routing stays short
// whatever the queue's length, and the sweep goes on chunk by chunk, a transaction each.
export const ROUTING_CHUNK = 500;

// Assigns the queued conversations of teams that route (round robin, balanced) to eligible
// members, in the caller's transaction. Every change that may start or end an assignment in a team
// calls it with that team: a conversation entering the team or reopening in it (`entered`: those
// that just joined its queue), one leaving `open`, unassigned, moved out or deleted; a team's or
// an agent's availability change; the routing sweep.
@Injectable()
export class RoutingService {
  constructor(
    private readonly db: Database,
    private readonly routing: RoutingRepository,
    private readonly teams: TeamsRepository,
    private readonly users: UsersService,
    private readonly activities: ActivityLog,
    private readonly views: ConversationViews,
    private readonly batch: ChangeBatch,
  ) {}

  // The teams are locked (id order, the last lock of the transaction: call it once per transaction,
  // with every team) and each routing team's queue assigned, oldest waiting first, while an eligible
  // member has room, up to ROUTING_CHUNK a team. Each of `entered` still queued afterwards gets a
  // `queued` activity. Answers how many conversations it assigned.
  async routeTeams(tenantId: number, teamIds: readonly number[], entered: readonly number[] = []): Promise<number> {
    return this.routeAll([{ tenantId, teamIds, entered }]);
  }

  // The same over any number of tenants: every team named locked in one statement, in id order
  // (team ids are global), so two transactions never take teams in opposite orders. In a batch
  // (ChangeBatch) the request is held for the batch's end, when it runs once with all the others.
  async routeAll(requests: readonly RoutingRequest[]): Promise<number> {
    const wanted = requests.filter((r) => r.teamIds.length > 0);
    if (wanted.length === 0) return 0;
    const batch = this.batch.current();
    if (batch?.holdsRouting) {
      batch.routing.push(...wanted);
      return 0;
    }
    return this.db.transaction(async () => {
      // A routing pass of its own (the sweep, an agent's availability, a team's change) is a change
      // too: one conversation.updated per conversation assigned, its activity inside.
      const { result, held } = await this.batch.hold(() => this.run(wanted), { holdsRouting: false });
      if (held !== null) await this.views.publish(held);
      return result;
    });
  }

  private async run(wanted: readonly RoutingRequest[]): Promise<number> {
    const teams = await this.routing.lockTeams(wanted.flatMap((r) => r.teamIds.map((id) => ({ tenantId: r.tenantId, id }))));
    let assigned = 0;
    for (const team of teams) if (routes(team)) assigned += await this.routeTeam(team);
    for (const [tenantId, entered] of enteredByTenant(wanted)) await this.recordQueued(tenantId, entered, teams.filter((t) => t.tenantId === tenantId));
    return assigned;
  }

  private async routeTeam(team: Team): Promise<number> {
    const candidates = await this.candidates(team);
    const limit = Math.min(ROUTING_CHUNK, freeCapacity(candidates, team.assignmentCapacity));
    if (limit === 0) return 0;
    const queue = await this.routing.lockQueueHead(team.tenantId, team.id, limit);
    const plan = planAssignments(team.assignmentMode as 'round_robin' | 'balanced', candidates, team.assignmentCapacity, team.lastAssignedUserId, queue);
    await this.apply(team, plan.assignments);
    if (plan.lastUserId !== null) await this.routing.setLastAssigned(team.tenantId, team.id, plan.lastUserId);
    return plan.assignments.length;
  }

  // The team's active members (available ones when the team asks for it), with their open
  // conversations in the team.
  private async candidates(team: Team): Promise<Candidate[]> {
    const memberIds = (await this.teams.memberIds(team.tenantId, [team.id])).get(team.id) ?? [];
    const active = await this.users.findActiveByIds(team.tenantId, memberIds);
    const eligible = active.filter((u) => !team.onlyAvailable || u.availability === 'available').map((u) => u.id);
    const open = await this.routing.openCounts(team.tenantId, team.id, eligible);
    return eligible.map((userId) => ({ userId, open: open.get(userId) ?? 0 }));
  }

  // The assignments, their activities, and conversation.updated to agents (the customer's view does
  // not show an assignee).
  private async apply(team: Team, assignments: readonly { conversationId: number; userId: number }[]): Promise<void> {
    if (assignments.length === 0) return;
    await this.routing.assign(team.tenantId, assignments);
    await this.activities.record(
      assignments.map((a) => ({
        tenantId: team.tenantId,
        conversationId: a.conversationId,
        type: 'assignee' as const,
        from: null,
        to: { id: a.userId, type: 'users' },
        actor: SYSTEM,
        reason: team.assignmentMode,
      })),
    );
    // Held with the change's own announcement of the same conversation, if it makes one: one event.
    await this.views.announceUpdated(
      assignments.map((a) => ({ tenantId: team.tenantId, conversationId: a.conversationId })),
      { customer: false },
    );
  }

  // Why each waits: its team assigns by hand, or nobody eligible has room.
  private async recordQueued(tenantId: number, entered: readonly number[], teams: readonly Team[]): Promise<void> {
    const queued = await this.routing.queued(tenantId, entered, teams.map((t) => t.id));
    const manual = new Set(teams.filter((t) => !routes(t)).map((t) => t.id));
    await this.activities.record(
      queued.map((q) => ({
        tenantId,
        conversationId: q.id,
        type: 'queued' as const,
        from: null,
        to: { id: q.teamId, type: 'teams' },
        actor: SYSTEM,
        reason: manual.has(q.teamId) ? 'manual' : 'no_eligible_member',
      })),
    );
  }
}

function enteredByTenant(requests: readonly RoutingRequest[]): Map<number, number[]> {
  const byTenant = new Map<number, number[]>();
  for (const r of requests) byTenant.set(r.tenantId, [...(byTenant.get(r.tenantId) ?? []), ...r.entered]);
  return byTenant;
}

function routes(team: Team): boolean {
  return team.state === 'active' && team.assignmentMode !== 'manual';
}
