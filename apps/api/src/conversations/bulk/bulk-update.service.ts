import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { Database } from '@app/database';
import { Principal } from '../../auth/principal';
import { ConversationsRepository } from '../conversations.repository';
import { ConversationsService, ConversationUpdate } from '../conversations.service';
import { ConversationView } from '../conversation.view';

// One id's outcome: the conversation as it now is, or why it was left as it was.
export type BulkOutcome = { id: number; view: ConversationView } | { id: number; error: AppError };

// PATCH /conversations.json: one change applied to many conversations, each on its own.
@Injectable()
export class BulkUpdateService {
  constructor(
    private readonly db: Database,
    private readonly conversations: ConversationsRepository,
    private readonly single: ConversationsService,
  ) {}

  // One transaction: the conversations locked in id order first, then each id, in the order given,
  // through the same update a PATCH of one runs (its rules, its activities, its live event), in a
  // savepoint of its own: an id that fails leaves nothing of itself and the others go on. Only the
  // service's own refusals are an id's outcome; anything else (a deadlock) fails the whole, retried.
  async update(principal: Principal, ids: readonly number[], input: ConversationUpdate): Promise<BulkOutcome[]> {
    return this.db.transaction(async () => {
      await this.conversations.lockByIds(principal.tenantId, ids);
      const outcomes: BulkOutcome[] = [];
      for (const id of ids) {
        try {
          outcomes.push({ id, view: await this.db.savepoint(() => this.single.update(principal, id, input)) });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          outcomes.push({ id, error });
        }
      }
      return outcomes;
    });
  }
}
