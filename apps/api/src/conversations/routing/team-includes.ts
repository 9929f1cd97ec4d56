import { Injectable, OnModuleInit } from '@nestjs/common';
import { Sideloads } from '../../includes/sideloads';
import { presentTeam } from './team.presenter';
import type { TeamView } from './team.view';
import { TeamsService } from './teams.service';

// Teams, as `?includes=teams` side-loads them: for agents only (a customer never sees a team).
@Injectable()
export class TeamIncludes implements OnModuleInit {
  constructor(
    private readonly sideloads: Sideloads,
    private readonly teams: TeamsService,
  ) {}

  onModuleInit(): void {
    this.sideloads.register<TeamView>('teams', {
      fetch: (tenantId, ids) => this.teams.findByIds(tenantId, ids),
      present: { agent: presentTeam },
    });
  }
}
