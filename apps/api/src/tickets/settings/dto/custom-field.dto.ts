import { Messages, ReadOnlyAuditFieldsDto } from '@app/common';
import { Allow, ArrayMaxSize, IsArray, IsDefined, IsIn, IsNotEmpty, IsString, MaxLength, ValidateIf } from 'class-validator';
import { CUSTOM_FIELD_TYPES, CustomFieldType } from '../custom-field.entity';
import { DisplayOrderField, given, NameField } from './setting.dto';

export const MAX_OPTIONS = 500;
export const OPTION_MAX_LENGTH = 200;

export class CreateCustomFieldDto extends ReadOnlyAuditFieldsDto {
  @Allow() id?: unknown;

  @NameField({ required: true })
  name: string;

  @IsDefined({ message: Messages.required })
  @IsIn(CUSTOM_FIELD_TYPES, { message: Messages.oneOf(CUSTOM_FIELD_TYPES) })
  type: CustomFieldType;

  // Required, and unique, for dropdown and multiselect; empty for the other types.
  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsArray({ message: Messages.array })
  @ArrayMaxSize(MAX_OPTIONS, { message: `must have at most ${MAX_OPTIONS} items` })
  @IsString({ each: true, message: Messages.string })
  @IsNotEmpty({ each: true, message: 'must not hold an empty option' })
  @MaxLength(OPTION_MAX_LENGTH, { each: true, message: Messages.shorterThan(OPTION_MAX_LENGTH + 1) })
  options?: string[];

  @DisplayOrderField()
  displayOrder?: number;
}

// `type` may be sent back unchanged; the service refuses another one.
export class UpdateCustomFieldDto extends CreateCustomFieldDto {
  @NameField({ required: false })
  override name: string;

  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsIn(CUSTOM_FIELD_TYPES, { message: Messages.oneOf(CUSTOM_FIELD_TYPES) })
  override type: CustomFieldType;
}
