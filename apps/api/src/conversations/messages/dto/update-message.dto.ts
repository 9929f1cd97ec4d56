import { Messages } from '@app/common';
import { Allow, IsIn, IsOptional } from 'class-validator';
import { MessageContentDto } from './create-message.dto';

// Only `message` and `files` are edited. Authors, conversation, client id, privacy and mentions are read-only: sent
// unchanged they are accepted, sent changed they are refused.
export class UpdateMessageDto extends MessageContentDto {
  // "deleted" soft-deletes; "active" restores.
  @IsOptional()
  @IsIn(['active', 'deleted'], { message: Messages.oneOf(['active', 'deleted']) })
  override state?: 'active' | 'deleted';

  @Allow() conversationId?: unknown;
  @Allow() conversation?: unknown;
  @Allow() userId?: unknown;
  @Allow() contactId?: unknown;
  @Allow() clientMessageId?: unknown;
  // A note stays a note and keeps its mentions; a public message stays public.
  @Allow() private?: unknown;
  @Allow() mentions?: unknown;
}
