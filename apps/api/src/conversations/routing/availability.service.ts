import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { Principal } from '../../auth/principal';
import { Tenant } from '../../auth/tenant.entity';
import { TenantsService } from '../../auth/tenants.service';
import { User, UserAvailability } from '../../auth/user.entity';
import { PresenceChange, UserRef, UsersService } from '../../auth/users.service';
import { RoutingService } from './routing.service';
import { TeamsRepository } from './teams.repository';

// Agents' availability, as the agent sets it and as their presence moves it; an agent who becomes
// available routes their teams at once. The auth module stores it; routing is this module's.
@Injectable()
export class AvailabilityService {
  constructor(
    private readonly db: Database,
    private readonly users: UsersService,
    private readonly tenants: TenantsService,
    private readonly teams: TeamsRepository,
    private readonly routing: RoutingService,
  ) {}

  // PATCH /me.json: the caller's own availability; the caller and its tenant, as GET /me.json.
  async setOwn(principal: Principal, availability: UserAvailability): Promise<{ user: User; tenant: Tenant }> {
    const { tenantId, userId } = principal;
    const user = await this.db.transaction(async () => {
      const result = await this.users.setAvailability(tenantId, userId, availability);
      if (result.changed && availability === 'available') await this.routeTeamsOf(tenantId, [userId]);
      return result.user;
    });
    return { user, tenant: await this.tenants.getById(tenantId) };
  }

  // Presence on presence-tenant-{id} (a webhook batch's), in the caller's transaction: joining turns
  // offline into available, leaving available into offline (away stays away through both); those
  // who became available route their teams.
  async followPresence(changes: readonly PresenceChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.db.transaction(async () => {
      const available = await this.users.applyPresence(changes);
      // Tenant by tenant in id order: every transaction locks teams in one order.
      for (const [tenantId, userIds] of byTenant(available)) await this.routeTeamsOf(tenantId, userIds);
    });
  }

  // Becoming unavailable takes nothing from anyone, so only a change to available routes.
  private async routeTeamsOf(tenantId: number, userIds: readonly number[]): Promise<void> {
    const teamIds = await this.teams.routingTeamIdsOf(tenantId, userIds);
    await this.routing.routeTeams(tenantId, teamIds);
  }
}

function byTenant(refs: readonly UserRef[]): Map<number, number[]> {
  const sorted = [...refs].sort((a, b) => a.tenantId - b.tenantId);
  const groups = new Map<number, number[]>();
  for (const ref of sorted) groups.set(ref.tenantId, [...(groups.get(ref.tenantId) ?? []), ref.id]);
  return groups;
}
