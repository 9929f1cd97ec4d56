import { applyDecorators } from '@nestjs/common';
import { IsEntityId, OptionalEntityId, OptionalNotNull, Messages, ReadOnlyAuditFieldsDto } from '@app/common';
import { Transform, Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsEmail,
  IsIn,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { cleaned } from '../../contacts/dto/customer-contact-input.dto';
import { EDIT_METHODS, EditMethod } from '../ticket.entity';
import { EntityRefDto } from './entity-ref.dto';

export const MAX_SUBJECT_LENGTH = 500;
export const MAX_TICKET_MESSAGE_LENGTH = 65536;
export const MAX_ADDRESSES = 50;
export const MAX_TICKET_FILES = 20;
export const MAX_TAGS = 50;
const EMAIL_MAX_LENGTH = 320;

// `files` entries may be ids or refs ({"id": 3, "type": "files"}); both become ids.
export const toIds = ({ value }: { value: unknown }): unknown =>
  Array.isArray(value)
    ? value.map((item) => (item && typeof item === 'object' && !Array.isArray(item) ? (item as { id?: unknown }).id : item))
    : value;

// What null means in an optional field: none (a new ticket, a message: as if left out), or, in a
// PATCH of a field that cannot be unset, a 400 "must be set" (never a NULL the column refuses).
export type NullMeans = 'none' | 'refused';
const noneIfNull = ({ value }: { value: unknown }): unknown => (value === null ? undefined : value);
export const Optional = (nulls: NullMeans = 'none'): PropertyDecorator =>
  nulls === 'none' ? applyDecorators(Transform(noneIfNull), IsOptional()) : OptionalNotNull();

// An optional EntityRef; in a PATCH, null clears it where the ticket may be without one.
export const OptionalRef = (): PropertyDecorator =>
  applyDecorators(
    ValidateIf((_dto, value) => value !== undefined && value !== null),
    IsObject({ message: Messages.object }),
    ValidateNested(),
    Type(() => EntityRefDto),
  );

export const Addresses = (nulls: NullMeans = 'none'): PropertyDecorator =>
  applyDecorators(
    Optional(nulls),
    IsArray({ message: Messages.array }),
    ArrayMaxSize(MAX_ADDRESSES, { message: `must have at most ${MAX_ADDRESSES} items` }),
    IsString({ each: true, message: Messages.string }),
    MaxLength(EMAIL_MAX_LENGTH, { each: true, message: Messages.shorterThan(EMAIL_MAX_LENGTH + 1) }),
    IsEmail({}, { each: true, message: Messages.email }),
  );

// The decorator stacks the ticket bodies share.
export const OptionalText = (max: number, nulls: NullMeans = 'none'): PropertyDecorator =>
  applyDecorators(Optional(nulls), IsString({ message: Messages.string }), MaxLength(max, { message: Messages.shorterThan(max + 1) }));

export const OptionalEmail = (): PropertyDecorator => applyDecorators(OptionalText(EMAIL_MAX_LENGTH), IsEmail({}, { message: Messages.email }));

export const OptionalObject = (type: () => new () => object, nulls: NullMeans = 'none'): PropertyDecorator =>
  applyDecorators(Optional(nulls), IsObject({ message: Messages.object }), ValidateNested(), Type(type));

export const FileIds = (nulls: NullMeans = 'none'): PropertyDecorator =>
  applyDecorators(
    Optional(nulls),
    Transform(toIds),
    IsArray({ message: Messages.array }),
    ArrayMaxSize(MAX_TICKET_FILES, { message: `must have at most ${MAX_TICKET_FILES} items` }),
    IsEntityId({ each: true }),
  );

export const EditMethodField = (nulls: NullMeans = 'none'): PropertyDecorator => applyDecorators(Optional(nulls), IsIn(EDIT_METHODS, { message: Messages.oneOf(EDIT_METHODS) }));

// Refs {"id": 3} or names ({"name": "vip"} or "vip"), checked item by item by the service.
export const TagList = (nulls: NullMeans = 'none'): PropertyDecorator =>
  applyDecorators(Optional(nulls), IsArray({ message: Messages.array }), ArrayMaxSize(MAX_TAGS, { message: `must have at most ${MAX_TAGS} items` }));

export const CustomFieldList = (nulls: NullMeans = 'none'): PropertyDecorator =>
  applyDecorators(
    Optional(nulls),
    IsArray({ message: Messages.array }),
    ArrayMaxSize(200, { message: 'must have at most 200 items' }),
    ValidateNested({ each: true }),
    Type(() => CustomFieldValueDto),
  );

// "Customer ID or Email is required, but not both."
export class TicketCustomerDto {
  @OptionalEntityId()
  id?: number;

  @Transform(cleaned)
  @OptionalEmail()
  email?: string;

  @Allow() type?: unknown;
  @Allow() meta?: unknown;
}

export class CustomFieldValueDto {
  @IsDefined({ message: Messages.required })
  @IsEntityId()
  id: number;

  // Checked against the field's type and options by the service; null clears it in a PATCH.
  @Allow()
  value: unknown;
}

// Teamwork's ScheduledEmail: an email to the customer at `sendAt`, recorded in the outbox.
export class ScheduledEmailDto {
  @IsDefined({ message: Messages.required })
  @IsString({ message: Messages.string })
  @IsISO8601({ strict: true, strictSeparator: true }, { message: Messages.date })
  sendAt: string;

  @OptionalText(MAX_SUBJECT_LENGTH)
  subject?: string;

  @OptionalText(MAX_TICKET_MESSAGE_LENGTH)
  message?: string;
}

// The body of POST /tickets.json and of POST /conversations/{id}/convert.json: every field
// Teamwork Desk API v2 documents for it, none dropped. Refs are checked against the tenant by
// the service.
export class TicketBodyDto extends ReadOnlyAuditFieldsDto {
  @Allow() id?: unknown;

  @OptionalRef() agent?: EntityRefDto;
  @OptionalRef() inbox?: EntityRefDto;
  @OptionalRef() parent?: EntityRefDto;
  @OptionalRef() priority?: EntityRefDto;
  @OptionalRef() source?: EntityRefDto;
  @OptionalRef() status?: EntityRefDto;
  @OptionalRef() type?: EntityRefDto;
  @OptionalRef() tickettemplate?: EntityRefDto;

  @Addresses() cc?: string[];
  @Addresses() bcc?: string[];

  @OptionalObject(() => TicketCustomerDto)
  customer?: TicketCustomerDto;

  // Deprecated: read as customer.email.
  @Transform(cleaned)
  @OptionalEmail()
  email?: string;

  @CustomFieldList()
  customfields?: CustomFieldValueDto[];

  @EditMethodField()
  editMethod?: EditMethod;

  @FileIds()
  files?: number[];

  @OptionalEntityId()
  fromThreadId?: number;

  @OptionalEntityId()
  fromTicketId?: number;

  @OptionalText(MAX_TICKET_MESSAGE_LENGTH)
  message?: string;

  @Optional()
  @IsBoolean({ message: Messages.boolean })
  notifyCustomer?: boolean;

  @OptionalObject(() => ScheduledEmailDto)
  scheduledEmail?: ScheduledEmailDto;

  @OptionalEmail()
  sendFrom?: string;

  @OptionalText(MAX_SUBJECT_LENGTH)
  subject?: string;

  // Names not yet used create tags.
  @TagList()
  tags?: unknown[];
}
