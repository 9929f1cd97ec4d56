import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import type { LiveEventName } from '../live/live-events';

// A conversation's announcement held back until the batch ends: one per conversation (its first
// name; the customer's channel too when any held change was the customer's to see).
export interface HeldAnnouncement {
  tenantId: number;
  id: number;
  name: LiveEventName;
  customer: boolean;
  actorId: number | null;
  socketId: string | null;
}

// Teams that a change asks routing to look at, and the conversations that joined their queues.
export interface RoutingRequest {
  tenantId: number;
  teamIds: readonly number[];
  entered: readonly number[];
}

// What changes of many conversations in one transaction (a bulk PATCH, a webhook batch, a chunk of
// snoozes waking up) leave to their end: the teams to route, all at once in id order (so no two
// transactions lock teams in opposite orders, and teams stay the last lock taken, after agents'
// availability), and each conversation's one live event, written after routing so that it shows the
// assignee.
export interface HeldChanges {
  routing: RoutingRequest[];
  announcements: Map<number, HeldAnnouncement>;
}

@Injectable()
export class ChangeBatch {
  private readonly store = new AsyncLocalStorage<HeldChanges>();

  // The batch the caller runs in, if any.
  current(): HeldChanges | undefined {
    return this.store.getStore();
  }

  // Runs `work` with its routing and announcements held; answers them with its result. A batch
  // inside a batch joins it.
  async hold<T>(work: () => Promise<T>): Promise<{ result: T; held: HeldChanges | null }> {
    if (this.current()) return { result: await work(), held: null };
    const held: HeldChanges = { routing: [], announcements: new Map() };
    const result = await this.store.run(held, work);
    return { result, held };
  }

  // Holds one announcement, merged with any held for the same conversation.
  static holdAnnouncement(held: HeldChanges, announcement: HeldAnnouncement): void {
    const earlier = held.announcements.get(announcement.id);
    if (earlier) earlier.customer ||= announcement.customer;
    else held.announcements.set(announcement.id, { ...announcement });
  }
}
