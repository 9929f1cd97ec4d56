import { Injectable } from '@nestjs/common';
import { AppError, FieldErrorsBuilder } from '@app/common';
import { Database } from '@app/database';
import { Principal } from '../../auth/principal';
import { ChangeBatch } from '../change-batch';
import { ConversationsRepository } from '../conversations.repository';
import { ConversationsService, ConversationUpdate } from '../conversations.service';
import { ConversationView } from '../conversation.view';
import { ConversationViews } from '../conversation-views';
import { ConversationWorkflow } from '../workflow/conversation-workflow';

// One id's outcome: the conversation as it now is, or why it was left as it was.
export type BulkOutcome = { id: number; view: ConversationView } | { id: number; error: AppError };

// PATCH /conversations.json: one change applied to many conversations, each on its own.
@Injectable()
export class BulkUpdateService {
  constructor(
    private readonly db: Database,
    private readonly conversations: ConversationsRepository,
    private readonly single: ConversationsService,
    private readonly workflow: ConversationWorkflow,
    private readonly views: ConversationViews,
    private readonly changes: ChangeBatch,
  ) {}

  // One transaction: the conversations locked in id order first, then each id, in the order given,
  // through the same update a PATCH of one runs (its rules, its activities, its live event), in a
  // savepoint of its own: an id that fails leaves nothing of itself and the others go on. Only the
  // service's own refusals are an id's outcome; anything else (a deadlock) fails the whole, retried.
  // Routing and the live events are held to the end (ConversationWorkflow.batch): the teams routed
  // once, in id order, then one conversation.updated per conversation changed, and the answer read
  // after routing, so it shows the assignees routing gave. Before all that, a change no id could
  // take (a snooze in the past, a ref the tenant has in no state) is refused as a whole, its fields
  // named under `conversation.`.
  async update(principal: Principal, ids: readonly number[], input: ConversationUpdate): Promise<BulkOutcome[]> {
    const errors = new FieldErrorsBuilder('conversation.');
    await this.workflow.checkForAll(principal.tenantId, input, errors);
    errors.throwIfAny();
    return this.db.transaction(async () => {
      await this.conversations.lockByIds(principal.tenantId, ids);
      const outcomes = await this.workflow.batch(() => this.each(principal, ids, input));
      const changed = outcomes.flatMap((o) => ('view' in o ? [o.id] : []));
      const after = new Map((await this.views.findByIds(principal.tenantId, changed)).map((view) => [view.conversation.id, view]));
      return outcomes.map((o) => ('view' in o ? { id: o.id, view: after.get(o.id) ?? o.view } : o));
    });
  }

  private async each(principal: Principal, ids: readonly number[], input: ConversationUpdate): Promise<BulkOutcome[]> {
    const outcomes: BulkOutcome[] = [];
    for (const id of ids) {
      try {
        // A failed id's rows roll back, and what it held for the batch's events goes with them.
        outcomes.push({ id, view: await this.changes.undoingOnFailure(() => this.db.savepoint(() => this.single.update(principal, id, input))) });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        outcomes.push({ id, error });
      }
    }
    return outcomes;
  }
}
