import { applyDecorators } from '@nestjs/common';
import { IsEntityId, Messages, ReadOnlyAuditFieldsDto } from '@app/common';
import { Type } from 'class-transformer';
import { Allow, ArrayMaxSize, IsArray, IsDefined, IsIn, IsObject, IsString, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { EmailListField, given, NameField } from './setting.dto';

export const TEMPLATE_SUBJECT_MAX_LENGTH = 500;
export const TEMPLATE_MESSAGE_MAX_LENGTH = 65536;
export const TEMPLATE_MAX_TAGS = 50;
export const TEMPLATE_MAX_CUSTOM_FIELDS = 100;
const EDIT_METHODS = ['html', 'markdown'] as const;

const present = (_dto: object, value: unknown) => value !== undefined && value !== null;

// A relation as Teamwork Desk API v2's EntityRef: {"id": 3}; `type` and `meta` are accepted
// and ignored.
export class SettingRefDto {
  @IsDefined({ message: Messages.required })
  @IsEntityId()
  id: number;

  @Allow() type?: unknown;
  @Allow() meta?: unknown;
}

// A custom field's value; the service checks it against the field's type and options.
export class CustomFieldValueInputDto {
  @IsDefined({ message: Messages.required })
  @IsEntityId()
  id: number;

  @Allow()
  value?: unknown;
}

// An optional ref; null clears it.
const OptionalRef = (): PropertyDecorator =>
  applyDecorators(ValidateIf(present), IsObject({ message: Messages.object }), ValidateNested(), Type(() => SettingRefDto));

const OptionalText = (maxLength: number): PropertyDecorator =>
  applyDecorators(ValidateIf(present), IsString({ message: Messages.string }), MaxLength(maxLength, { message: Messages.shorterThan(maxLength + 1) }));

// What a ticket created from the template starts with; every ref must be an active row of the tenant.
export class CreateTicketTemplateDto extends ReadOnlyAuditFieldsDto {
  @Allow() id?: unknown;

  @NameField({ required: true })
  name: string;

  @OptionalText(TEMPLATE_SUBJECT_MAX_LENGTH)
  subject?: string | null;

  @OptionalText(TEMPLATE_MESSAGE_MAX_LENGTH)
  message?: string | null;

  @ValidateIf(present)
  @IsIn(EDIT_METHODS, { message: Messages.oneOf(EDIT_METHODS) })
  editMethod?: 'html' | 'markdown' | null;

  @OptionalRef() inbox?: SettingRefDto | null;
  @OptionalRef() status?: SettingRefDto | null;
  @OptionalRef() priority?: SettingRefDto | null;
  @OptionalRef() type?: SettingRefDto | null;
  @OptionalRef() source?: SettingRefDto | null;
  // An active agent of the tenant.
  @OptionalRef() agent?: SettingRefDto | null;

  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsArray({ message: Messages.array })
  @ArrayMaxSize(TEMPLATE_MAX_TAGS, { message: `must have at most ${TEMPLATE_MAX_TAGS} items` })
  @ValidateNested({ each: true })
  @Type(() => SettingRefDto)
  tags?: SettingRefDto[];

  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsArray({ message: Messages.array })
  @ArrayMaxSize(TEMPLATE_MAX_CUSTOM_FIELDS, { message: `must have at most ${TEMPLATE_MAX_CUSTOM_FIELDS} items` })
  @ValidateNested({ each: true })
  @Type(() => CustomFieldValueInputDto)
  customfields?: CustomFieldValueInputDto[];

  @EmailListField() cc?: string[];
  @EmailListField() bcc?: string[];
}

export class UpdateTicketTemplateDto extends CreateTicketTemplateDto {
  @NameField({ required: false })
  override name: string;
}
