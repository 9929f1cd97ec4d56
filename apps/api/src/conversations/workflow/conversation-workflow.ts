import { Injectable } from '@nestjs/common';
import { FieldErrorsBuilder, Messages, ref } from '@app/common';
import { Database } from '@app/database';
import { Principal } from '../../auth/principal';
import { UsersService } from '../../auth/users.service';
import { TicketSettingsService } from '../../tickets/settings/ticket-settings.service';
import { ActivityLog } from '../activities/activity-log';
import { ActivityActor, byContact, byUser, NewActivity, SYSTEM } from '../activities/activity.types';
import { ChangeBatch } from '../change-batch';
import { ConversationViews } from '../conversation-views';
import type { Conversation } from '../conversation.entity';
import { ConversationsRepository } from '../conversations.repository';
import { RoutingService } from '../routing/routing.service';
import {
  checkSnooze,
  distinctIds,
  FieldChange,
  planWorkflow,
  Reopened,
  ReplyStatus,
  reopens,
  RoutingFacts,
  routingTrigger,
  WorkflowChange,
  WorkflowInput,
} from './workflow-rules';

// A change the workflow applied to one conversation: what routing must know before and after
// (`before` null: created now), and the fields' changes its activities record.
export interface AppliedChange {
  tenantId: number;
  conversationId: number;
  before: RoutingFacts | null;
  after: RoutingFacts;
  changes: readonly FieldChange[];
  actor: ActivityActor;
  reason?: string | null;
}

// The workflow's side of the conversation core: it checks a body's workflow fields against the
// tenant's agents, teams and tags, and after each change records its activities and asks routing
// to look at the teams it touched (last: routing locks teams after everything else).
@Injectable()
export class ConversationWorkflow {
  constructor(
    private readonly db: Database,
    private readonly conversations: ConversationsRepository,
    private readonly users: UsersService,
    private readonly settings: TicketSettingsService,
    private readonly activities: ActivityLog,
    private readonly routing: RoutingService,
    private readonly views: ConversationViews,
    private readonly changes: ChangeBatch,
  ) {}

  // A body's workflow fields as a change by ids; what the tenant lacks is a field error. A ref the
  // conversation (`current`) holds already is taken as it is, even if no longer active (a client
  // sending back what it read).
  async check(tenantId: number, input: WorkflowInput, errors: FieldErrorsBuilder, current: Conversation | null = null): Promise<WorkflowChange> {
    checkSnooze(input, new Date(), errors);
    const change: WorkflowChange = { status: input.status, priority: input.priority };
    if (input.status === 'snoozed') change.snoozedUntil = input.snoozedUntil ?? null;
    const find = this.finders(tenantId, 'active');
    if (input.assignee !== undefined) change.assigneeId = await this.ref(input.assignee, 'assignee.id', errors, current?.assigneeId, find.users);
    if (input.team !== undefined) change.teamId = await this.ref(input.team, 'team.id', errors, current?.teamId, find.teams);
    if (input.labels !== undefined) change.labelIds = await this.labels(input.labels, errors, current?.labelIds ?? [], find.tags);
    return change;
  }

  // What one change asks of every conversation alike (a bulk PATCH's), checked once before any is
  // touched: its snooze, and refs the tenant has at all. A deleted or inactive ref is each
  // conversation's own decision (one that holds it may keep it), left to check().
  async checkForAll(tenantId: number, input: WorkflowInput, errors: FieldErrorsBuilder): Promise<void> {
    checkSnooze(input, new Date(), errors);
    const find = this.finders(tenantId, 'any');
    if (input.assignee) await this.ref(input.assignee, 'assignee.id', errors, undefined, find.users);
    if (input.team) await this.ref(input.team, 'team.id', errors, undefined, find.teams);
    if (input.labels !== undefined) await this.labels(input.labels, errors, [], find.tags);
  }

  // The activities of applied changes, then routing over the teams they touched, in the caller's
  // transaction.
  async applied(changes: readonly AppliedChange[], socketId: string | null = null): Promise<void> {
    const all = [...changes, ...(await this.dropInactiveAssignees(changes))];
    await this.activities.record(
      all.flatMap((c) => c.changes.map((f): NewActivity => ({ tenantId: c.tenantId, conversationId: c.conversationId, ...f, actor: c.actor, reason: c.reason ?? null }))),
      socketId,
    );
    await this.route(all);
  }

  // A conversation that has just become open (a customer's message, a wake-up, an agent's reopen
  // or restore) and keeps an assignee who is no longer an active agent is taken off them by the
  // system, so that it re-enters its team's queue instead of waiting on nobody. Its row is locked
  // by the caller; answers the changes to record and route.
  private async dropInactiveAssignees(changes: readonly AppliedChange[]): Promise<AppliedChange[]> {
    const kept = changes.filter((c) => c.after.assigneeId !== null && reopens(c.before, c.after));
    if (kept.length === 0) return [];
    const active = await this.users.findActiveRefs(kept.map((c) => ({ tenantId: c.tenantId, id: c.after.assigneeId! })));
    const isActive = new Set(active.map((u) => `${u.tenantId}:${u.id}`));
    const gone = kept.filter((c) => !isActive.has(`${c.tenantId}:${c.after.assigneeId}`));
    if (gone.length === 0) return [];
    await this.conversations.unassign(gone.map((c) => ({ tenantId: c.tenantId, id: c.conversationId, assigneeId: c.after.assigneeId! })));
    return gone.map((c) => assigneeRemoved(c.tenantId, c.conversationId, c.after));
  }

  // An agent's reply that sets its conversation's status (pending, resolved, open), on the
  // conversation the post locked: written, recorded, routed, and announced to the agents.
  async replied(principal: Principal, conversationId: number, status: ReplyStatus): Promise<void> {
    const { tenantId, userId } = principal;
    const current = (await this.conversations.findById(tenantId, conversationId))!;
    const plan = planWorkflow(current, { status });
    if (plan.changes.length === 0) return;
    await this.conversations.update(tenantId, conversationId, { ...plan.columns, updatedAt: () => 'now()', updatedBy: userId });
    const after = { ...plan.after, state: current.state };
    await this.applied([{ tenantId, conversationId, before: current, after, changes: plan.changes, actor: byUser(userId), reason: 'agent_reply' }], principal.socketId ?? null);
    await this.views.announce(principal, 'conversation.updated', conversationId, { customer: false });
  }

  // The ticket a conversation became, as its activity.
  async recordConversion(tenantId: number, conversationId: number, ticketId: number, actor: ActivityActor): Promise<void> {
    await this.activities.record([{ tenantId, conversationId, type: 'converted', from: null, to: ref(ticketId, 'tickets'), actor }]);
  }

  // Conversations a customer's message reopened: each an activity by that contact, routing, and
  // conversation.updated for the agents.
  async reopened(rows: readonly Reopened[]): Promise<void> {
    if (rows.length === 0) return;
    await this.applied(rows.map((r) => reopenedChange(r, byContact(r.contactId!), 'customer_message')));
    await this.views.announceUpdated(rows, { customer: false });
  }

  // Snoozes that ran out: the same, by the system.
  async woken(rows: readonly Reopened[]): Promise<void> {
    if (rows.length === 0) return;
    await this.applied(rows.map((r) => reopenedChange(r, SYSTEM, 'snooze_expired')));
    await this.views.announceUpdated(rows, { customer: false });
  }

  // Changes of many conversations in one transaction (a bulk PATCH, a webhook batch, a chunk of
  // snoozes waking up): their routing once at the end, every team of every tenant in id order, after
  // everything else; then one event per conversation changed, showing routing's assignees and
  // carrying every activity of the change, routing's too. Inside a change already, `work` joins it.
  async batch<T>(work: () => Promise<T>): Promise<T> {
    const { result, held } = await this.changes.hold(work, { holdsRouting: true });
    if (held === null) return result;
    // Routing's assignments join the batch: their activities, and their conversations read again.
    if (held.routing.length > 0) await this.changes.finish(held, () => this.routing.routeAll(held.routing));
    await this.views.publish(held);
    return result;
  }

  // A change through one door (a request, a conversion), in one transaction (the caller's, if
  // any): routed as it goes, so that the answer shows routing's assignee; each conversation it
  // changed announced once at its end, with its activities. Inside a change already, `work` joins it.
  async change<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(async () => {
      const { result, held } = await this.changes.hold(work, { holdsRouting: false });
      if (held !== null) await this.views.publish(held);
      return result;
    });
  }

  // The teams the changes touched and the conversations that joined a queue, all at once (held in
  // a batch); routing's announcements merge with the callers' own, one event a conversation.
  private async route(changes: readonly AppliedChange[]): Promise<void> {
    const requests = changes.flatMap((c) => {
      const { teamIds, entered } = routingTrigger(c.before, c.after);
      return teamIds.length === 0 ? [] : [{ tenantId: c.tenantId, teamIds, entered: entered ? [c.conversationId] : [] }];
    });
    if (requests.length > 0) await this.routing.routeAll(requests);
  }

  // The tenant's agents, teams and tags among ids: active ones, or in any state.
  private finders(tenantId: number, state: 'active' | 'any'): Record<'users' | 'teams' | 'tags', Finder> {
    const active = state === 'active';
    return {
      users: (ids) => (active ? this.users.findActiveByIds(tenantId, ids) : this.users.findByIds(tenantId, ids)),
      teams: (ids) => (active ? this.conversations.findActiveTeams(tenantId, ids) : this.conversations.findTeams(tenantId, ids)),
      tags: (ids) => (active ? this.settings.findActiveByIds(tenantId, 'tags', ids) : this.settings.findByIds(tenantId, 'tags', ids)),
    };
  }

  // null clears; an id must be among what `find` finds, or be the one held.
  private async ref(value: { id: number } | null, field: string, errors: FieldErrorsBuilder, held: number | null | undefined, find: Finder): Promise<number | null> {
    if (value === null || value.id === held) return value?.id ?? null;
    const [found] = await find([value.id]);
    if (!found) errors.add(field, Messages.notFound);
    return value.id;
  }

  private async labels(labels: readonly { id: number }[], errors: FieldErrorsBuilder, held: readonly number[], find: Finder): Promise<number[]> {
    const ids = distinctIds(labels.map((label) => label.id));
    const fresh = ids.filter((id) => !held.includes(id));
    const found = new Set([...held, ...(await find(fresh)).map((tag) => Number(tag.id))]);
    labels.forEach((label, index) => {
      if (!found.has(label.id)) errors.add(`labels[${index}].id`, Messages.notFound);
    });
    return ids;
  }
}

type Finder = (ids: number[]) => Promise<{ id: number }[]>;

function reopenedChange(r: Reopened, actor: ActivityActor, reason: string): AppliedChange {
  const facts = { state: 'active', assigneeId: r.assigneeId, teamId: r.teamId } as const;
  return {
    tenantId: r.tenantId,
    conversationId: r.conversationId,
    before: { ...facts, status: r.fromStatus },
    after: { ...facts, status: 'open' },
    changes: [{ type: 'status', from: r.fromStatus, to: 'open' }],
    actor,
    reason,
  };
}

// The system taking a conversation off an agent who is no longer active (`facts`: as it is before).
export function assigneeRemoved(tenantId: number, conversationId: number, facts: RoutingFacts): AppliedChange {
  return {
    tenantId,
    conversationId,
    before: facts,
    after: { ...facts, assigneeId: null },
    changes: [{ type: 'assignee', from: ref(facts.assigneeId, 'users'), to: null }],
    actor: SYSTEM,
    reason: 'assignee_inactive',
  };
}
