import { Injectable } from '@nestjs/common';
import { LiveEvent, LiveEvents } from '../../live/live-events';
import { UsersService } from '../../auth/users.service';
import { presentWebhook } from '../webhook.presenter';
import { WebhooksRepository } from '../webhooks.repository';
import { DisabledSubscription } from './webhook-deliveries.repository';

// 'webhook.disabled' on each active admin's own channel, in the transaction that disabled it: the
// subscription as the API shows it, its disabledReason saying why. One event however many admins:
// only the first admin's copy goes to the webhooks' fan-out.
@Injectable()
export class WebhookDisabledNotice {
  constructor(
    private readonly users: UsersService,
    private readonly webhooks: WebhooksRepository,
    private readonly live: LiveEvents,
  ) {}

  async publish(disabled: readonly DisabledSubscription[]): Promise<void> {
    const events: LiveEvent[] = [];
    for (const { tenantId, id } of disabled) {
      const subscription = await this.webhooks.findById(tenantId, id);
      if (!subscription) continue;
      const data = presentWebhook(subscription);
      const admins = await this.users.findActiveAdminIds(tenantId);
      admins.forEach((userId, i) => events.push({ tenantId, name: 'webhook.disabled', data, userId, actorId: null, fanOut: i === 0 }));
    }
    await this.live.publish(events);
  }
}
