import { IsEntityId, Messages } from '@app/common';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsObject, IsOptional, IsString, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { ContactInputDto } from './contact-input.dto';
import { UserRefDto } from './user-ref.dto';
import { WorkflowFieldsDto } from './workflow-fields.dto';

// A conversation's writable fields, the workflow's among them (read-only ones accepted and ignored).
export class CreateConversationDto extends WorkflowFieldsDto {
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
