import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import type { LiveEventActor, LiveEventName } from '../live/live-events';

// A conversation's announcement held back until the batch ends.
export interface HeldAnnouncement {
  principal: LiveEventActor;
  name: LiveEventName;
  id: number;
  customer: boolean;
}

// What changes of many conversations in one transaction (a bulk PATCH) leave to their end: the
// teams to route, once, in id order (so two batches never lock teams in opposite orders), and each
// conversation's one live event, written after routing so that it shows the assignee.
export interface HeldChanges {
  routing: Map<number, { teamIds: number[]; entered: number[] }>;
  announcements: Map<number, HeldAnnouncement>;
}

@Injectable()
export class ChangeBatch {
  private readonly store = new AsyncLocalStorage<HeldChanges>();

  // The batch the caller runs in, if any.
  current(): HeldChanges | undefined {
    return this.store.getStore();
  }

  // Runs `work` with its routing and announcements held; answers them with its result.
  async hold<T>(work: () => Promise<T>): Promise<{ result: T; held: HeldChanges }> {
    const held: HeldChanges = { routing: new Map(), announcements: new Map() };
    const result = await this.store.run(held, work);
    return { result, held };
  }
}
