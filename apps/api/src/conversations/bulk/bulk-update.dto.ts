import { IsEntityId, Messages } from '@app/common';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsDefined, IsObject, ValidateNested } from 'class-validator';
import { UpdateConversationDto } from '../dto/update-conversation.dto';

export const MAX_BULK_IDS = 100;

// PATCH /conversations.json: `{"ids": [...], "conversation": {...}}`, the conversation's fields as a
// PATCH of one takes them.
export class BulkUpdateConversationsDto {
  @IsDefined({ message: Messages.required })
  @IsArray({ message: Messages.array })
  @ArrayMinSize(1, { message: 'must have at least 1 item' })
  @ArrayMaxSize(MAX_BULK_IDS, { message: `must have at most ${MAX_BULK_IDS} items` })
  @ArrayUnique({ message: 'must not repeat an id' })
  @IsEntityId({ each: true })
  ids: number[];

  @IsDefined({ message: Messages.required })
  @IsObject({ message: Messages.object })
  @ValidateNested()
  @Type(() => UpdateConversationDto)
  conversation: UpdateConversationDto;
}
