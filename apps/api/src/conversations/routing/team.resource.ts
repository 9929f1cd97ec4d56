import { pickFields } from '@app/common';
import { ResourceDefinition } from '../../http/resource';
import { TEAM_LIST } from './team-list.definition';
import { presentTeam } from './team.presenter';
import type { TeamView } from './team.view';

// A team; a read of one takes only `fields` of the list parameters.
export const TEAM: ResourceDefinition<TeamView> = {
  name: 'team',
  plural: 'teams',
  present: (view, fields) => pickFields(presentTeam(view), fields),
  list: TEAM_LIST,
};
