import { Injectable, OnModuleInit } from '@nestjs/common';
import { AgentDeactivation } from '../../auth/agent-deactivation';
import { ConversationViews } from '../conversation-views';
import { ConversationsRepository } from '../conversations.repository';
import { assigneeRemoved, ConversationWorkflow } from './conversation-workflow';

// An agent deactivated gives up their conversations that are not resolved (as Zendesk and Chatwoot
// do): each is taken off them by the system (`assignee_inactive`) and an open one re-enters its
// team's queue, routed to the team's other members. Resolved ones keep them as the record of who
// answered; a customer's message reopening one takes it off them then (ConversationWorkflow).
@Injectable()
export class AgentConversations implements OnModuleInit {
  constructor(
    private readonly deactivation: AgentDeactivation,
    private readonly conversations: ConversationsRepository,
    private readonly workflow: ConversationWorkflow,
    private readonly views: ConversationViews,
  ) {}

  onModuleInit(): void {
    this.deactivation.register((tenantId, userId, deactivate) => this.release(tenantId, userId, deactivate));
  }

  // In the deactivation's transaction: the agent's conversations locked (before the agent's row,
  // in the lock order), the agent deactivated, then the conversations released and, last, routed
  // (held to the batch's end, so routing no longer sees the agent as a member who may take them).
  private async release(tenantId: number, userId: number, deactivate: () => Promise<void>): Promise<void> {
    await this.workflow.batch(async () => {
      const assigned = await this.conversations.lockAssignedTo(tenantId, userId);
      await deactivate();
      const released = assigned.filter((c) => c.status !== 'resolved');
      if (released.length === 0) return;
      await this.conversations.unassign(released.map((c) => ({ tenantId, id: c.id, assigneeId: userId })));
      await this.workflow.applied(released.map((c) => assigneeRemoved(tenantId, c.id, c)));
      await this.views.announceUpdated(
        released.map((c) => ({ tenantId, conversationId: c.id })),
        { customer: false },
      );
    });
  }
}
