import { Injectable } from '@nestjs/common';
import { LiveEvents } from '../../live/live-events';
import { ActivitiesRepository } from './activities.repository';
import type { NewActivity } from './activity.types';
import { presentActivity } from './activity.presenter';
import type { ConversationActivity } from './conversation-activity.entity';

// The one way an activity is written: in the transaction of the change it records, with its
// live event (`conversation.activity`, to the tenant's agents only, never the customer's channel).
@Injectable()
export class ActivityLog {
  constructor(
    private readonly activities: ActivitiesRepository,
    private readonly live: LiveEvents,
  ) {}

  async record(activities: readonly NewActivity[], socketId: string | null = null): Promise<ConversationActivity[]> {
    const rows = await this.activities.insert(activities);
    await this.live.publish(
      rows.map((row) => ({
        tenantId: row.tenantId,
        name: 'conversation.activity' as const,
        data: presentActivity(row),
        socketId,
        actorId: row.actorType === 'user' ? row.actorId : null,
      })),
    );
    return rows;
  }
}
