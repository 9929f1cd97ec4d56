import { IsEntityId, Messages, ReadOnlyAuditFieldsDto } from '@app/common';
import { Type } from 'class-transformer';
import { Allow, ArrayMaxSize, IsArray, IsDefined, IsObject, IsOptional, IsString, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { ContactInputDto } from './contact-input.dto';
import { UserRefDto } from './user-ref.dto';

// Fields of Teamwork Desk API v2's Conversation that a client may send but never sets: accepted
// and ignored.
export class ConversationReadOnlyFieldsDto extends ReadOnlyAuditFieldsDto {
  @Allow() id?: unknown;
  @Allow() token?: unknown;
  @Allow() ticket_id?: unknown;
  @Allow() messages?: unknown;
}

export class CreateConversationDto extends ConversationReadOnlyFieldsDto {
  // The customer contact the conversation is with; this or `contact` is required.
  @ValidateIf((dto: CreateConversationDto) => dto.contactId !== undefined)
  @IsDefined({ message: Messages.required })
  @IsEntityId()
  contactId?: number;

  @IsOptional()
  @IsObject({ message: Messages.object })
  @ValidateNested()
  @Type(() => ContactInputDto)
  contact?: ContactInputDto;

  // The widget's Pusher connection id.
  @IsOptional()
  @IsString({ message: Messages.string })
  @MaxLength(200, { message: Messages.shorterThan(201) })
  socket_id?: string | null;

  // Agents taking part.
  @IsOptional()
  @IsArray({ message: Messages.array })
  @ArrayMaxSize(100, { message: 'must have at most 100 items' })
  @ValidateNested({ each: true })
  @Type(() => UserRefDto)
  users?: UserRefDto[];
}
