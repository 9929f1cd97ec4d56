import { Injectable } from '@nestjs/common';
import { LiveEvent, LiveEvents } from '../../live/live-events';
import { UsersService } from '../../auth/users.service';
import { presentWebhook } from '../webhook.presenter';
import { WebhooksRepository } from '../webhooks.repository';
import { DisabledSubscription } from './webhook-deliveries.repository';

// 'webhook.disabled' on each active admin's own channel, in the transaction that disabled it: the
// subscription as the API shows it, its disabledReason saying why.
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
      for (const userId of await this.users.findActiveAdminIds(tenantId)) {
        events.push({ tenantId, name: 'webhook.disabled', data, userId, actorId: null });
      }
    }
    await this.live.publish(events);
  }
}
