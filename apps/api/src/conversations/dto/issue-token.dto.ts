import { IsEntityId, Messages } from '@app/common';
import { IsDefined, ValidateIf } from 'class-validator';
import { CreateConversationDto } from './create-conversation.dto';

// With `id`: a fresh token for that conversation (other given properties change as in a PATCH).
// Without: a new conversation, with its token.
export class IssueTokenDto extends CreateConversationDto {
  @ValidateIf((dto: IssueTokenDto) => dto.id !== undefined)
  @IsDefined({ message: Messages.required })
  @IsEntityId()
  override id?: number;
}
