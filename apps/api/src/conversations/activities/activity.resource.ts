import { pickFields } from '@app/common';
import { ResourceDefinition } from '../../http/resource';
import { ACTIVITY_LIST } from './activity-list.definition';
import { presentActivity } from './activity.presenter';
import type { ConversationActivity } from './conversation-activity.entity';

export const ACTIVITY: ResourceDefinition<ConversationActivity> = {
  name: 'activity',
  plural: 'activities',
  present: (activity, fields) => pickFields(presentActivity(activity), fields),
  list: ACTIVITY_LIST,
};
