import { FieldErrorsBuilder, Messages, ref } from '@app/common';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { ActivityType, ActivityValue } from '../activities/activity.types';
import type { Conversation, ConversationPriority, ConversationStatus } from '../conversation.entity';

// The conversation workflow's rules that need no database (docs/api.md, "Conversation workflow"):
// what a change of status, priority, assignee, team or labels writes, the activities it records,
// and when routing must look at a team.

export type WorkflowFields = Pick<Conversation, 'status' | 'snoozedUntil' | 'priority' | 'assigneeId' | 'teamId' | 'labelIds'>;

// The workflow's fields, as create and PATCH take them (docs/api.md, "Conversation workflow");
// refs by id, null to clear.
export interface WorkflowInput {
  status?: ConversationStatus;
  snoozedUntil?: Date | null;
  priority?: ConversationPriority;
  assignee?: { id: number } | null;
  team?: { id: number } | null;
  labels?: { id: number }[];
}

// What an agent's reply may set its conversation to, in the same request.
export const REPLY_STATUSES = ['open', 'pending', 'resolved'] as const;
export type ReplyStatus = (typeof REPLY_STATUSES)[number];

// What a new conversation starts with.
export const NEW_CONVERSATION: WorkflowFields = { status: 'open', snoozedUntil: null, priority: 'none', assigneeId: null, teamId: null, labelIds: [] };

// A checked change, refs as ids; an absent key changes nothing, null clears.
export interface WorkflowChange {
  status?: ConversationStatus;
  snoozedUntil?: Date | null;
  priority?: ConversationPriority;
  assigneeId?: number | null;
  teamId?: number | null;
  labelIds?: number[];
}

// One field's change, as its activity records it.
export interface FieldChange {
  type: ActivityType;
  from: ActivityValue;
  to: ActivityValue;
}

export interface WorkflowPlan {
  // The columns to write (`resolvedAt` as the transaction's time).
  columns: QueryDeepPartialEntity<Conversation>;
  changes: FieldChange[];
  after: WorkflowFields;
}

// What routing needs to know of a conversation, before and after a change.
export type RoutingFacts = Pick<Conversation, 'state' | 'status' | 'assigneeId' | 'teamId'>;

// A conversation the core reopened or woke up (status now open), with what it was.
export interface Reopened {
  tenantId: number;
  conversationId: number;
  fromStatus: ConversationStatus;
  assigneeId: number | null;
  teamId: number | null;
  // The customer contact whose message reopened it; null when a snooze ran out.
  contactId: number | null;
}

// A body's snooze: a time strictly in the future, with status "snoozed" and only with it.
export function checkSnooze(input: { status?: ConversationStatus; snoozedUntil?: Date | null }, now: Date, errors: FieldErrorsBuilder): void {
  const until = input.snoozedUntil ?? null;
  if (input.status !== 'snoozed') {
    if (until !== null) errors.add('snoozedUntil', 'must be set only with status ‘snoozed’');
    return;
  }
  if (until === null) errors.add('snoozedUntil', Messages.required);
  else if (until.getTime() <= now.getTime()) errors.add('snoozedUntil', 'must be in the future');
}

// Tag ids in the order given, each once.
export const distinctIds = (ids: readonly number[]): number[] => [...new Set(ids)];

// The columns a status writes: snoozedUntil set exactly while snoozed, resolvedAt exactly while
// resolved (now, when it becomes so).
export function statusColumns(to: ConversationStatus, snoozedUntil: Date | null): QueryDeepPartialEntity<Conversation> {
  return { status: to, snoozedUntil: to === 'snoozed' ? snoozedUntil : null, resolvedAt: to === 'resolved' ? () => 'now()' : null };
}

// The plan of a change on a conversation as it is: only what differs is written and recorded.
export function planWorkflow(current: WorkflowFields, change: WorkflowChange): WorkflowPlan {
  const plan: WorkflowPlan = { columns: {}, changes: [], after: { ...current } };
  planStatus(plan, current, change);
  const fields = [
    { type: 'priority', key: 'priority', value: change.priority, show: (v: unknown) => v as ActivityValue },
    { type: 'assignee', key: 'assigneeId', value: change.assigneeId, show: (v: unknown) => ref(v as number | null, 'users') },
    { type: 'team', key: 'teamId', value: change.teamId, show: (v: unknown) => ref(v as number | null, 'teams') },
  ] as const;
  for (const { type, key, value, show } of fields) {
    if (value === undefined || value === current[key]) continue;
    Object.assign(plan.columns, { [key]: value });
    Object.assign(plan.after, { [key]: value });
    plan.changes.push({ type, from: show(current[key]), to: show(value) });
  }
  if (change.labelIds !== undefined && !sameIds(change.labelIds, current.labelIds)) {
    plan.columns.labelIds = change.labelIds;
    plan.after.labelIds = change.labelIds;
    plan.changes.push({ type: 'labels', from: labelRefs(current.labelIds), to: labelRefs(change.labelIds) });
  }
  return plan;
}

// A new status writes its columns and is recorded; a snooze moved to another time only writes it.
function planStatus(plan: WorkflowPlan, current: WorkflowFields, change: WorkflowChange): void {
  const to = change.status;
  if (to === undefined) return;
  const until = to === 'snoozed' ? (change.snoozedUntil ?? null) : null;
  if (to === current.status && until?.getTime() === current.snoozedUntil?.getTime()) return;
  Object.assign(plan.columns, to === current.status ? { snoozedUntil: until } : statusColumns(to, until));
  Object.assign(plan.after, { status: to, snoozedUntil: until });
  if (to !== current.status) plan.changes.push({ type: 'status', from: current.status, to });
}

// Whether routing must look at the conversation's teams after a change (`before` null: created):
// its team, assignee or state changed, or its status to or from open. `entered`: it has just
// joined a team's queue (open, unassigned, in that team, active).
export function routingTrigger(before: RoutingFacts | null, after: RoutingFacts): { teamIds: number[]; entered: boolean } {
  const moved =
    before === null ||
    before.teamId !== after.teamId ||
    before.assigneeId !== after.assigneeId ||
    before.state !== after.state ||
    (before.status !== after.status && (before.status === 'open' || after.status === 'open'));
  if (!moved) return { teamIds: [], entered: false };
  const teamIds = distinctIds([before?.teamId ?? null, after.teamId].filter((id): id is number => id !== null));
  const wasQueuedThere = before !== null && isQueued(before) && before.teamId === after.teamId;
  return { teamIds, entered: isQueued(after) && !wasQueuedThere };
}

// Whether a change has just made the conversation open and active (a reopen, a wake-up, a
// restore): an assignee it keeps must still be an active agent, or it would wait on nobody.
export function reopens(before: RoutingFacts | null, after: RoutingFacts): boolean {
  return before !== null && isOpen(after) && !isOpen(before);
}

const isOpen = (c: RoutingFacts): boolean => c.state === 'active' && c.status === 'open';

function isQueued(c: RoutingFacts): boolean {
  return c.state === 'active' && c.status === 'open' && c.assigneeId === null && c.teamId !== null;
}

const labelRefs = (ids: readonly number[]) => ids.map((id) => ref(id, 'tags'));

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, index) => Number(id) === Number(b[index]));
}
