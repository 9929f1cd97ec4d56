import { FieldErrorsBuilder, ValidationError } from '@app/common';
import { touchedBy } from '../messages/message-rules';
import type { ConversationMessage } from '../messages/conversation-message.entity';
import { checkSnooze, NEW_CONVERSATION, planWorkflow, reopens, RoutingFacts, routingTrigger, WorkflowFields } from './workflow-rules';

const NOW = new Date('2026-01-01T12:00:00Z');
const LATER = new Date('2026-01-01T13:00:00Z');

function errorsOf(input: Parameters<typeof checkSnooze>[0]): Record<string, string[]> {
  const errors = new FieldErrorsBuilder();
  checkSnooze(input, NOW, errors);
  try {
    errors.throwIfAny();
    return {};
  } catch (error) {
    return (error as ValidationError).fields ?? {};
  }
}

describe('workflow rules', () => {
  describe(checkSnooze.name, () => {
    it('should take a future time with snoozed, and refuse it missing, past, now or without snoozed', () => {
      expect(errorsOf({ status: 'snoozed', snoozedUntil: LATER })).toEqual({});
      expect(errorsOf({ status: 'open', snoozedUntil: null })).toEqual({});
      expect(errorsOf({ status: 'snoozed' })).toEqual({ snoozedUntil: ['must be set'] });
      expect(errorsOf({ status: 'snoozed', snoozedUntil: NOW })).toEqual({ snoozedUntil: ['must be in the future'] });
      expect(errorsOf({ snoozedUntil: LATER })).toEqual({ snoozedUntil: ['must be set only with status ‘snoozed’'] });
    });
  });

  describe(planWorkflow.name, () => {
    const snoozed: WorkflowFields = { ...NEW_CONVERSATION, status: 'snoozed', snoozedUntil: LATER };

    it('should write resolvedAt on resolving and clear snoozedUntil on leaving a snooze', () => {
      const plan = planWorkflow(snoozed, { status: 'resolved' });
      expect(plan.columns).toEqual({ status: 'resolved', snoozedUntil: null, resolvedAt: expect.any(Function) });
      expect(plan.changes).toEqual([{ type: 'status', from: 'snoozed', to: 'resolved' }]);
      expect(planWorkflow({ ...NEW_CONVERSATION, status: 'resolved' }, { status: 'open' }).columns).toEqual({ status: 'open', snoozedUntil: null, resolvedAt: null });
    });

    it('should move a snooze to another time without a status activity, and change nothing for the same values', () => {
      const later = new Date('2026-01-02T00:00:00Z');
      expect(planWorkflow(snoozed, { status: 'snoozed', snoozedUntil: later })).toMatchObject({ columns: { snoozedUntil: later }, changes: [] });
      expect(planWorkflow(snoozed, { status: 'snoozed', snoozedUntil: new Date(LATER) })).toMatchObject({ columns: {}, changes: [] });
      expect(planWorkflow({ ...NEW_CONVERSATION, labelIds: [3, 1] }, { labelIds: [3, 1], priority: 'none', assigneeId: null, teamId: null })).toMatchObject({ columns: {}, changes: [] });
    });

    it('should record refs as the wire shows them', () => {
      const plan = planWorkflow({ ...NEW_CONVERSATION, assigneeId: 4, labelIds: [1] }, { assigneeId: null, teamId: 9, labelIds: [2, 1] });
      expect(plan.changes).toEqual([
        { type: 'assignee', from: { id: 4, type: 'users' }, to: null },
        { type: 'team', from: null, to: { id: 9, type: 'teams' } },
        { type: 'labels', from: [{ id: 1, type: 'tags' }], to: [{ id: 2, type: 'tags' }, { id: 1, type: 'tags' }] },
      ]);
      expect(plan.after).toMatchObject({ assigneeId: null, teamId: 9, labelIds: [2, 1] });
    });
  });

  describe(routingTrigger.name, () => {
    const queued: RoutingFacts = { state: 'active', status: 'open', assigneeId: null, teamId: 1 };

    it.each<[string, RoutingFacts | null, RoutingFacts, { teamIds: number[]; entered: boolean }]>([
      ['created in a team', null, queued, { teamIds: [1], entered: true }],
      ['created in no team', null, { ...queued, teamId: null }, { teamIds: [], entered: false }],
      ['moved to another team', queued, { ...queued, teamId: 2 }, { teamIds: [1, 2], entered: true }],
      ['assigned', queued, { ...queued, assigneeId: 5 }, { teamIds: [1], entered: false }],
      ['unassigned', { ...queued, assigneeId: 5 }, queued, { teamIds: [1], entered: true }],
      ['pending from open', queued, { ...queued, status: 'pending' }, { teamIds: [1], entered: false }],
      ['reopened', { ...queued, status: 'resolved' }, queued, { teamIds: [1], entered: true }],
      ['resolved from pending', { ...queued, status: 'pending' }, { ...queued, status: 'resolved' }, { teamIds: [], entered: false }],
      ['deleted', queued, { ...queued, state: 'deleted' }, { teamIds: [1], entered: false }],
      ['restored', { ...queued, state: 'deleted' }, queued, { teamIds: [1], entered: true }],
      ['unchanged', queued, queued, { teamIds: [], entered: false }],
    ])('should answer the teams and the queue entry of a conversation %s', (_name, before, after, expected) => {
      expect(routingTrigger(before, after)).toEqual(expected);
    });
  });

  describe(reopens.name, () => {
    const open: RoutingFacts = { state: 'active', status: 'open', assigneeId: 5, teamId: 1 };

    it.each<[string, RoutingFacts | null, RoutingFacts, boolean]>([
      ['reopened from resolved', { ...open, status: 'resolved' }, open, true],
      ['woken from snoozed', { ...open, status: 'snoozed' }, open, true],
      ['restored while open', { ...open, state: 'deleted' }, open, true],
      ['created open', null, open, false],
      ['already open (a team or assignee change)', open, { ...open, teamId: 2 }, false],
      ['resolved', open, { ...open, status: 'resolved' }, false],
      ['reopened while deleted', { ...open, state: 'deleted', status: 'resolved' }, { ...open, state: 'deleted' }, false],
    ])('should answer whether a conversation %s has just become open', (_name, before, after, expected) => {
      expect(reopens(before, after)).toBe(expected);
    });
  });

  describe(touchedBy.name, () => {
    let id = 0;
    const message = (fields: Partial<ConversationMessage>): ConversationMessage =>
      ({ tenantId: 1, conversationId: 7, id: ++id, userId: null, contactId: null, message: 'x', isPrivate: false, ...fields }) as ConversationMessage;

    it("should see a customer's message wait and reopen, an agent's reply answer it, and a note do neither", () => {
      expect(touchedBy([message({ contactId: 3 }), message({ contactId: 4 })])[0]).toMatchObject({ waits: true, replied: false, reopenBy: 3, inbound: 2 });
      expect(touchedBy([message({ contactId: 3 }), message({ userId: 1 })])[0]).toMatchObject({ waits: false, replied: true, answers: true, reopenBy: 3 });
      expect(touchedBy([message({ userId: 1 }), message({ contactId: 3 })])[0]).toMatchObject({ waits: true, replied: true, answers: false });
      expect(touchedBy([message({ userId: 1 })])[0]).toMatchObject({ waits: false, replied: true, answers: false });
      expect(touchedBy([message({ contactId: 3 }), message({ userId: 1, isPrivate: true })])[0]).toMatchObject({ waits: true, replied: false, reopenBy: 3 });
      // A note alone touches nothing: its conversation is not in the list at all.
      expect(touchedBy([message({ userId: 1, isPrivate: true })])).toEqual([]);
    });
  });
});
