import { ReadOnlyAuditFieldsDto, Messages } from '@app/common';
import { Allow, IsIn, IsOptional } from 'class-validator';
import { THREAD_TYPES, ThreadType } from '../ticket-message.entity';
import { EditMethod } from '../ticket.entity';
import { EntityRefDto } from './entity-ref.dto';
import { Addresses, EditMethodField, FileIds, MAX_TICKET_MESSAGE_LENGTH, OptionalObject, OptionalText } from './ticket-body.dto';

// POST /tickets/{id}/messages.json: a reply (`threadType` "message") or an internal note.
export class CreateTicketMessageDto extends ReadOnlyAuditFieldsDto {
  @Allow() id?: unknown;
  @Allow() ticket?: unknown;

  // Required unless files are attached.
  @OptionalText(MAX_TICKET_MESSAGE_LENGTH)
  message?: string;

  @IsOptional()
  @IsIn(THREAD_TYPES, { message: Messages.oneOf(THREAD_TYPES) })
  threadType?: ThreadType;

  // Defaults to the ticket's.
  @EditMethodField()
  editMethod?: EditMethod;

  @Addresses() cc?: string[];
  @Addresses() bcc?: string[];

  @FileIds()
  files?: number[];

  // The customer's side wrote it: a contact of the ticket's customer. Otherwise the caller.
  @OptionalObject(() => EntityRefDto)
  contact?: EntityRefDto;

  // The ticket's new status, set with the reply.
  @OptionalObject(() => EntityRefDto)
  status?: EntityRefDto;
}
