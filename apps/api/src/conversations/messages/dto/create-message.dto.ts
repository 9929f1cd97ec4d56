import { IsEntityId, Messages, OptionalEntityId, OptionalNotNull, ReadOnlyAuditFieldsDto } from '@app/common';
import { Transform, Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { REPLY_STATUSES, ReplyStatus } from '../../workflow/workflow-rules';
import { AgentRefDto } from '../../dto/user-ref.dto';

export const MAX_MESSAGE_LENGTH = 65536;
export const MAX_MESSAGE_FILES = 20;
export const MAX_NOTE_MENTIONS = 50;

// A conversation given as a ref, {"id": 12, "type": "conversations"}.
export class ConversationRefDto {
  @IsEntityId()
  id: number;

  @Allow() type?: unknown;
  @Allow() meta?: unknown;
}


// `files` entries may be ids or refs ({"id": 3, "type": "files"}); both become ids.
const toFileIds = ({ value }: { value: unknown }): unknown =>
  Array.isArray(value)
    ? value.map((item) => (item && typeof item === 'object' && !Array.isArray(item) ? (item as { id?: unknown }).id : item))
    : value;

// Fields of Teamwork Desk API v2's ConversationMessage a client may send but never sets.
export class MessageReadOnlyFieldsDto extends ReadOnlyAuditFieldsDto {
  @Allow() id?: unknown;
}

// What a message says: its text and its attachments. Posted, and edited later.
export class MessageContentDto extends MessageReadOnlyFieldsDto {
  // Required unless files are attached.
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
}

export class CreateMessageDto extends MessageContentDto {
  // The conversation, by id or by ref; one of the two is required.
  @OptionalEntityId()
  conversationId?: number;

  @IsOptional()
  @IsObject({ message: Messages.object })
  @ValidateNested()
  @Type(() => ConversationRefDto)
  conversation?: ConversationRefDto;

  // The author: an agent of the tenant (the caller when neither is given) or a customer contact.
  @OptionalEntityId()
  userId?: number;

  @OptionalEntityId()
  contactId?: number;

  @IsOptional()
  @IsString({ message: Messages.string })
  @Length(1, 128, { message: 'must be 1 to 128 characters' })
  clientMessageId?: string;

  // A private note: agents only ever see it.
  @OptionalNotNull()
  @IsBoolean({ message: Messages.boolean })
  private?: boolean;

  // The agents a note mentions (a note's only).
  @OptionalNotNull()
  @IsArray({ message: Messages.array })
  @ArrayMaxSize(MAX_NOTE_MENTIONS, { message: `must have at most ${MAX_NOTE_MENTIONS} items` })
  @ValidateNested({ each: true })
  @Type(() => AgentRefDto)
  mentions?: AgentRefDto[];
  // An agent's reply may set its conversation's status in the same request (a customer's may not).
  @OptionalNotNull()
  @IsIn(REPLY_STATUSES, { message: Messages.oneOf(REPLY_STATUSES) })
  conversationStatus?: ReplyStatus;
}
