import { Messages, OptionalNotNull, ReadOnlyAuditTrailDto } from '@app/common';
import { Allow, IsBoolean, IsEmail, IsIn, IsString, MaxLength, ValidateIf } from 'class-validator';
import { EditMethod } from '../ticket.entity';
import { EntityRefDto } from './entity-ref.dto';
import {
  Addresses,
  CustomFieldList,
  CustomFieldValueDto,
  EditMethodField,
  FileIds,
  MAX_SUBJECT_LENGTH,
  OptionalObject,
  OptionalRef,
  OptionalText,
  TagList,
  TicketCustomerDto,
} from './ticket-body.dto';

// PATCH /tickets/{id}.json: only the given properties change. Null clears agent, priority, type,
// source, parent and sendFrom; inbox and status always have a value; any other field given as null
// is a 400 (an empty list clears tags, cc, bcc and files).
export class UpdateTicketDto extends ReadOnlyAuditTrailDto {
  // What a client echoing a ticket back may send but never sets.
  @Allow() id?: unknown;
  @Allow() previewText?: unknown;
  @Allow() messages?: unknown;
  @Allow() messageCount?: unknown;
  @Allow() conversation?: unknown;
  @Allow() contact?: unknown;

  @OptionalText(MAX_SUBJECT_LENGTH, 'refused')
  subject?: string;

  @OptionalObject(() => TicketCustomerDto, 'refused')
  customer?: TicketCustomerDto;

  @OptionalRef() agent?: EntityRefDto | null;
  @OptionalRef() inbox?: EntityRefDto | null;
  @OptionalRef() status?: EntityRefDto | null;
  @OptionalRef() priority?: EntityRefDto | null;
  @OptionalRef() type?: EntityRefDto | null;
  @OptionalRef() source?: EntityRefDto | null;
  @OptionalRef() parent?: EntityRefDto | null;

  // The ticket's tags become exactly these: refs or names, names not yet used create tags.
  @TagList('refused')
  tags?: unknown[];

  // Each given field's value is set; "value": null removes it. Others stay.
  @CustomFieldList('refused')
  customfields?: CustomFieldValueDto[];

  @Addresses('refused') cc?: string[];
  @Addresses('refused') bcc?: string[];

  @FileIds('refused')
  files?: number[];

  @EditMethodField('refused')
  editMethod?: EditMethod;

  @OptionalNotNull()
  @IsBoolean({ message: Messages.boolean })
  isRead?: boolean;

  @ValidateIf((_dto, value) => value !== undefined && value !== null)
  @IsString({ message: Messages.string })
  @MaxLength(320, { message: Messages.shorterThan(321) })
  @IsEmail({}, { message: Messages.email })
  sendFrom?: string | null;

  // "deleted" soft-deletes; "active" restores a deleted ticket.
  @OptionalNotNull()
  @IsIn(['active', 'deleted'], { message: Messages.oneOf(['active', 'deleted']) })
  state?: 'active' | 'deleted';
}
