import { Injectable } from '@nestjs/common';
import { FieldErrorsBuilder, Messages, ref } from '@app/common';
import { Principal } from '../../auth/principal';
import { UsersService } from '../../auth/users.service';
import { TicketSettingsService } from '../../tickets/settings/ticket-settings.service';
import { ActivityLog } from '../activities/activity-log';
import { ActivityActor, byContact, byUser, NewActivity, SYSTEM } from '../activities/activity.types';
import { ChangeBatch } from '../change-batch';
import { ConversationViews } from '../conversation-views';
import { ConversationsRepository } from '../conversations.repository';
import { RoutingService } from '../routing/routing.service';
import {
  checkSnooze,
  distinctIds,
  FieldChange,
  planWorkflow,
  Reopened,
  ReplyStatus,
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
    private readonly conversations: ConversationsRepository,
    private readonly users: UsersService,
    private readonly settings: TicketSettingsService,
    private readonly activities: ActivityLog,
    private readonly routing: RoutingService,
    private readonly views: ConversationViews,
    private readonly changes: ChangeBatch,
  ) {}

  // A body's workflow fields as a change by ids; what the tenant lacks is a field error.
  async check(tenantId: number, input: WorkflowInput, errors: FieldErrorsBuilder): Promise<WorkflowChange> {
    checkSnooze(input, new Date(), errors);
    const change: WorkflowChange = { status: input.status, priority: input.priority };
    if (input.status === 'snoozed') change.snoozedUntil = input.snoozedUntil ?? null;
    if (input.assignee !== undefined) change.assigneeId = await this.activeRef(input.assignee, 'assignee.id', errors, (ids) => this.users.findActiveByIds(tenantId, ids));
    if (input.team !== undefined) change.teamId = await this.activeRef(input.team, 'team.id', errors, (ids) => this.conversations.findActiveTeams(tenantId, ids));
    if (input.labels !== undefined) change.labelIds = await this.activeLabels(tenantId, input.labels, errors);
    return change;
  }

  // The activities of applied changes, then routing over the teams they touched, in the caller's
  // transaction.
  async applied(changes: readonly AppliedChange[], socketId: string | null = null): Promise<void> {
    await this.activities.record(
      changes.flatMap((c) => c.changes.map((f): NewActivity => ({ tenantId: c.tenantId, conversationId: c.conversationId, ...f, actor: c.actor, reason: c.reason ?? null }))),
      socketId,
    );
    await this.route(changes);
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

  // Changes of many conversations in one transaction (a bulk PATCH): their routing once at the end,
  // every team in id order, then one conversation.updated each, showing routing's assignees.
  async batch<T>(work: () => Promise<T>): Promise<T> {
    const { result, held } = await this.changes.hold(work);
    const announced = [...held.announcements.keys()];
    for (const [tenantId, { teamIds, entered }] of held.routing) {
      await this.routing.routeTeams(tenantId, distinctIds(teamIds), entered, { announcedByCaller: announced });
    }
    for (const a of held.announcements.values()) await this.views.announce(a.principal, a.name, a.id, { customer: a.customer });
    return result;
  }

  // One call per tenant, with the teams its changes touched and the conversations that joined a
  // queue; the callers announce their conversations after it, so routing leaves those events to
  // them. In a batch, held for its end.
  private async route(changes: readonly AppliedChange[]): Promise<void> {
    const batch = this.changes.current();
    const byTenant = batch?.routing ?? new Map<number, { teamIds: number[]; entered: number[] }>();
    for (const c of changes) {
      const { teamIds, entered } = routingTrigger(c.before, c.after);
      if (teamIds.length === 0) continue;
      const tenant = byTenant.get(c.tenantId) ?? { teamIds: [], entered: [] };
      tenant.teamIds.push(...teamIds);
      if (entered) tenant.entered.push(c.conversationId);
      byTenant.set(c.tenantId, tenant);
    }
    if (batch) return;
    const announcedByCaller = changes.map((c) => c.conversationId);
    for (const [tenantId, { teamIds, entered }] of byTenant) await this.routing.routeTeams(tenantId, distinctIds(teamIds), entered, { announcedByCaller });
  }

  // null clears; an id must be among the tenant's active rows of its kind.
  private async activeRef(
    value: { id: number } | null,
    field: string,
    errors: FieldErrorsBuilder,
    findActive: (ids: number[]) => Promise<{ id: number }[]>,
  ): Promise<number | null> {
    if (value === null) return null;
    const [found] = await findActive([value.id]);
    if (!found) errors.add(field, Messages.notFound);
    return value.id;
  }

  private async activeLabels(tenantId: number, labels: readonly { id: number }[], errors: FieldErrorsBuilder): Promise<number[]> {
    const ids = distinctIds(labels.map((label) => label.id));
    const found = new Set((await this.settings.findActiveByIds(tenantId, 'tags', ids)).map((tag) => Number(tag.id)));
    labels.forEach((label, index) => {
      if (!found.has(label.id)) errors.add(`labels[${index}].id`, Messages.notFound);
    });
    return ids;
  }
}

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
