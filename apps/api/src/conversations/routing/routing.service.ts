import { Injectable } from '@nestjs/common';

// Assigns the queued conversations of teams that route (round robin, balanced) to eligible
// members, in the caller's transaction. Every change that may start or end an assignment in a team
// calls it with that team: a conversation entering the team or reopening in it (`entered`: those
// that just joined its queue), one leaving `open`, unassigned, moved out or deleted.
@Injectable()
export class RoutingService {
  async routeTeams(_tenantId: number, _teamIds: readonly number[], _entered: readonly number[] = []): Promise<void> {
    // The routing part of the workflow fills this in; until then every team is manual.
  }
}
