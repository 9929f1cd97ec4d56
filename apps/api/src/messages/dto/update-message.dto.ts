import { IsEntityId, Messages } from '@app/common';
import { Transform } from 'class-transformer';
import { Allow, ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { MAX_MESSAGE_FILES, MAX_MESSAGE_LENGTH, MessageReadOnlyFieldsDto, toFileIds } from './create-message.dto';

// Only `message` and `files` are edited. Authors, conversation and client id are read-only: sent
// unchanged they are accepted, sent changed they are refused.
export class UpdateMessageDto extends MessageReadOnlyFieldsDto {
  @IsOptional()
  @IsString({ message: Messages.string })
  @MaxLength(MAX_MESSAGE_LENGTH, { message: Messages.shorterThan(MAX_MESSAGE_LENGTH + 1) })
  message?: string;

  @IsOptional()
  @Transform(toFileIds)
  @IsArray({ message: Messages.array })
  @ArrayMaxSize(MAX_MESSAGE_FILES, { message: `must have at most ${MAX_MESSAGE_FILES} items` })
  @IsEntityId({ each: true })
  files?: number[];

  // "deleted" soft-deletes; "active" restores.
  @IsOptional()
  @IsIn(['active', 'deleted'], { message: Messages.oneOf(['active', 'deleted']) })
  override state?: 'active' | 'deleted';

  @Allow() conversationId?: unknown;
  @Allow() conversation?: unknown;
  @Allow() userId?: unknown;
  @Allow() contactId?: unknown;
  @Allow() clientMessageId?: unknown;
}
