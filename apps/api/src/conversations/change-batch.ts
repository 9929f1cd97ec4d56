import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import type { LiveEventName } from '../live/live-events';
import type { ConversationActivity } from './activities/conversation-activity.entity';
import type { ConversationView } from './conversation.view';

// A conversation's announcement held back until the change ends: one per conversation (its
// change's own name, created or converted over updated; the customer's channel too when any held
// change was the customer's to see). `view`: the conversation as the latest announcement read it,
// reused when nothing announced it after (routing's assignments carry none, so it is read again).
export interface HeldAnnouncement {
  tenantId: number;
  id: number;
  name: LiveEventName;
  customer: boolean;
  actorId: number | null;
  socketId: string | null;
  view?: ConversationView;
}

// An activity row written in the change, with the connection that caused it.
export interface HeldActivity {
  row: ConversationActivity;
  socketId: string | null;
}

// Teams that a change asks routing to look at, and the conversations that joined their queues.
export interface RoutingRequest {
  tenantId: number;
  teamIds: readonly number[];
  entered: readonly number[];
}

// What a change of one or many conversations in one transaction (a request, a bulk PATCH, a webhook
// batch, a chunk of snoozes waking up, a routing pass) leaves to its end: each conversation's one
// live event, carrying the activities the change wrote for it, written after routing so that it
// shows the assignee. With `holdsRouting` (many conversations), also the teams to route, all at
// once in id order (so no two transactions lock teams in opposite orders, and teams stay the last
// lock taken, after agents' availability).
export interface HeldChanges {
  holdsRouting: boolean;
  routing: RoutingRequest[];
  announcements: Map<number, HeldAnnouncement>;
  activities: Map<number, HeldActivity[]>;
}

@Injectable()
export class ChangeBatch {
  private readonly store = new AsyncLocalStorage<HeldChanges>();

  // The batch the caller runs in, if any.
  current(): HeldChanges | undefined {
    return this.store.getStore();
  }

  // Runs `work` with its announcements and activities held (its routing too with `holdsRouting`);
  // answers them with its result. A batch inside a batch joins it (held: null).
  async hold<T>(work: () => Promise<T>, options: { holdsRouting: boolean }): Promise<{ result: T; held: HeldChanges | null }> {
    if (this.current()) return { result: await work(), held: null };
    const held: HeldChanges = { holdsRouting: options.holdsRouting, routing: [], announcements: new Map(), activities: new Map() };
    const result = await this.store.run(held, work);
    return { result, held };
  }

  // Runs `work` in a batch already held, its routing no longer held: the batch's end, where routing
  // runs and what it writes joins the batch's events.
  async finish<T>(held: HeldChanges, work: () => Promise<T>): Promise<T> {
    held.holdsRouting = false;
    return this.store.run(held, work);
  }

  // Runs `work` (a savepoint) so that what it held is dropped again when it fails: its rows are
  // rolled back, and their events must go with them.
  async undoingOnFailure<T>(work: () => Promise<T>): Promise<T> {
    const held = this.current();
    if (!held) return work();
    const saved = snapshot(held);
    try {
      return await work();
    } catch (error) {
      restore(held, saved);
      throw error;
    }
  }

  // Holds one announcement, merged with any held for the same conversation.
  static holdAnnouncement(held: HeldChanges, announcement: HeldAnnouncement): void {
    const earlier = held.announcements.get(announcement.id);
    if (!earlier) {
      held.announcements.set(announcement.id, { ...announcement });
      return;
    }
    earlier.customer ||= announcement.customer;
    if (earlier.name === 'conversation.updated') earlier.name = announcement.name;
    earlier.actorId ??= announcement.actorId;
    earlier.socketId ??= announcement.socketId;
    earlier.view = announcement.view;
  }

  // Holds activity rows, oldest first, by conversation.
  static holdActivities(held: HeldChanges, rows: readonly ConversationActivity[], socketId: string | null): void {
    for (const row of rows) {
      const list = held.activities.get(row.conversationId);
      if (list) list.push({ row, socketId });
      else held.activities.set(row.conversationId, [{ row, socketId }]);
    }
  }
}

type Snapshot = Pick<HeldChanges, 'routing' | 'announcements' | 'activities'>;

function snapshot(held: HeldChanges): Snapshot {
  return {
    routing: [...held.routing],
    announcements: new Map([...held.announcements].map(([id, a]) => [id, { ...a }])),
    activities: new Map([...held.activities].map(([id, list]) => [id, [...list]])),
  };
}

function restore(held: HeldChanges, saved: Snapshot): void {
  held.routing = saved.routing;
  held.announcements = saved.announcements;
  held.activities = saved.activities;
}
