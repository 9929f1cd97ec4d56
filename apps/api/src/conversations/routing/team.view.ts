import type { Team } from './team.entity';

// A team as its wire form shows it: the row and its members' ids, in id order.
export interface TeamView {
  team: Team;
  userIds: number[];
}
