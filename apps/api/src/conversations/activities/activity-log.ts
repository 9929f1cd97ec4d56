import { Injectable } from '@nestjs/common';
import { LiveEvent, LiveEvents } from '../../live/live-events';
import { ChangeBatch } from '../change-batch';
import { ActivitiesRepository } from './activities.repository';
import type { NewActivity } from './activity.types';
import { presentActivity } from './activity.presenter';
import type { ConversationActivity } from './conversation-activity.entity';

// The one way an activity is written: in the transaction of the change it records. In a change
// (ChangeBatch) its rows are held and go out inside their conversation's one event of the change
// (`activities` of conversation.updated, to the tenant's agents only); outside one, or for a
// conversation the change does not announce, each is its own `conversation.activity`.
@Injectable()
export class ActivityLog {
  constructor(
    private readonly activities: ActivitiesRepository,
    private readonly live: LiveEvents,
    private readonly batch: ChangeBatch,
  ) {}

  async record(activities: readonly NewActivity[], socketId: string | null = null): Promise<ConversationActivity[]> {
    if (activities.length === 0) return [];
    const rows = await this.activities.insert(activities);
    const held = this.batch.current();
    if (held) ChangeBatch.holdActivities(held, rows, socketId);
    else await this.live.publish(rows.map((row) => activityEvent(row, socketId)));
    return rows;
  }
}

// An activity as its own live event, never on the customer's channel.
export function activityEvent(row: ConversationActivity, socketId: string | null): LiveEvent {
  return {
    tenantId: row.tenantId,
    name: 'conversation.activity',
    data: presentActivity(row),
    socketId,
    actorId: row.actorType === 'user' ? row.actorId : null,
  };
}
