import { Injectable } from '@nestjs/common';
import { LiveEvent, LiveEvents } from '../../live/live-events';
import { UsersService } from '../../auth/users.service';
import { DisabledSubscription } from './webhook-deliveries.repository';

// What an admin is told of a subscription the dispatcher disabled: which one, and why.
// TODO(merge): the subscriptions API's presentWebhook(row) is the same shape and replaces this.
export function presentDisabledWebhook(s: DisabledSubscription): Record<string, unknown> {
  return {
    id: s.id,
    url: s.url,
    events: s.events,
    state: s.state,
    disabledReason: s.disabledReason,
    disabledAt: s.disabledAt.toISOString(),
  };
}

// 'webhook.disabled' on each active admin's own channel, in the transaction that disabled it.
@Injectable()
export class WebhookDisabledNotice {
  constructor(
    private readonly users: UsersService,
    private readonly live: LiveEvents,
  ) {}

  async publish(disabled: readonly DisabledSubscription[]): Promise<void> {
    const events: LiveEvent[] = [];
    for (const subscription of disabled) {
      const data = presentDisabledWebhook(subscription);
      for (const userId of await this.users.findActiveAdminIds(subscription.tenantId)) {
        events.push({ tenantId: subscription.tenantId, name: 'webhook.disabled', data, userId, actorId: null });
      }
    }
    await this.live.publish(events);
  }
}
