import { Messages } from '@app/common';
import { IsInt, IsOptional, Min } from 'class-validator';
import { CreateConversationDto } from './create-conversation.dto';

// With `id`: a fresh token for that conversation. Without: a new conversation, with its token.
export class IssueTokenDto extends CreateConversationDto {
  @IsOptional()
  @IsInt({ message: Messages.integer })
  @Min(1, { message: Messages.positive })
  override id?: number;
}
