import { Messages } from '@app/common';
import { IsIn, IsOptional } from 'class-validator';
import { CreateConversationDto } from './create-conversation.dto';

// Only the given properties change. `users` entries are added, or removed with `"delete": true`.
export class UpdateConversationDto extends CreateConversationDto {
  // "deleted" soft-deletes; "active" restores a deleted conversation.
  @IsOptional()
  @IsIn(['active', 'deleted'], { message: Messages.oneOf(['active', 'deleted']) })
  override state?: 'active' | 'deleted';
}
