import { deskErrorDialect, toProblem, type Wire } from '@app/common';
import { presentConversation } from '../conversation.presenter';
import type { ConversationWire } from '../conversation.openapi';
import type { BULK_UPDATE_RESPONSE } from './bulk-update.openapi';
import type { BulkOutcome } from './bulk-update.service';

type BulkResult = Wire<typeof BULK_UPDATE_RESPONSE>['results'][number];

// Each id's outcome as a PATCH of it alone would have answered: 200 and the conversation, or the
// error's status, code and Desk body.
export function presentBulkOutcomes(outcomes: readonly BulkOutcome[]): Wire<typeof BULK_UPDATE_RESPONSE> {
  return { results: outcomes.map(presentOutcome) };
}

function presentOutcome(outcome: BulkOutcome): BulkResult {
  if ('view' in outcome) return { id: outcome.id, status: 200, conversation: presentConversation(outcome.view) as ConversationWire };
  // Only the service's own errors (AppError) become an outcome, and every one of them is a problem.
  const problem = toProblem(outcome.error)!;
  const { status, body } = deskErrorDialect.render(problem);
  return { id: outcome.id, status, code: problem.code, errors: (body as { errors: Record<string, string[]> }).errors };
}
