import { ReadOnlyAuditFieldsDto } from '@app/common';
import { Allow } from 'class-validator';

// Fields of Teamwork Desk API v2's Conversation that a client may send but never sets: accepted
// and ignored.
export class ConversationReadOnlyFieldsDto extends ReadOnlyAuditFieldsDto {
  @Allow() id?: unknown;
  @Allow() token?: unknown;
  @Allow() ticket_id?: unknown;
  @Allow() messages?: unknown;
  // The workflow's (the core keeps them).
  @Allow() waitingSince?: unknown;
  @Allow() firstReplyAt?: unknown;
  @Allow() resolvedAt?: unknown;
}
