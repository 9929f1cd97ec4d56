import { applyDecorators } from '@nestjs/common';
import { Messages, ReadOnlyAuditFieldsDto } from '@app/common';
import { Transform } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsEmail,
  IsInt,
  IsNotEmpty,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';

export const SETTING_NAME_MAX_LENGTH = 200;
export const EMAIL_MAX_LENGTH = 320;
export const MAX_ADDRESSES = 50;
const MAX_DISPLAY_ORDER = 2_147_483_647;

// Omitted properties are unchanged (PATCH) or defaulted (POST); null is refused where the column
// has no "none". `present`: null is accepted and clears.
export const given = (_dto: object, value: unknown) => value !== undefined;
const present = (_dto: object, value: unknown) => value !== undefined && value !== null;
const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

// Trimmed, and unique per tenant among active rows of its kind (the service checks that).
export const NameField = (options: { required: boolean; maxLength?: number }): PropertyDecorator => {
  const maxLength = options.maxLength ?? SETTING_NAME_MAX_LENGTH;
  return applyDecorators(
    ...(options.required ? [] : [ValidateIf(given)]),
    Transform(trimmed),
    IsDefined({ message: Messages.required }),
    IsString({ message: Messages.string }),
    IsNotEmpty({ message: Messages.required }),
    MaxLength(maxLength, { message: Messages.shorterThan(maxLength + 1) }),
  );
};

export const ColorField = (): PropertyDecorator =>
  applyDecorators(
    ValidateIf(present),
    IsString({ message: Messages.string }),
    Matches(/^#[0-9a-fA-F]{6}$/, { message: 'must be a color as ‘#rrggbb’' }),
  );

export const DisplayOrderField = (): PropertyDecorator =>
  applyDecorators(
    ValidateIf(given),
    IsDefined({ message: Messages.required }),
    IsInt({ message: Messages.integer }),
    Min(0, { message: `must be between 0 and ${MAX_DISPLAY_ORDER}` }),
    Max(MAX_DISPLAY_ORDER, { message: `must be between 0 and ${MAX_DISPLAY_ORDER}` }),
  );

export const BooleanField = (): PropertyDecorator =>
  applyDecorators(ValidateIf(given), IsDefined({ message: Messages.required }), IsBoolean({ message: Messages.boolean }));

export const OptionalEmailField = (): PropertyDecorator =>
  applyDecorators(
    ValidateIf(present),
    IsString({ message: Messages.string }),
    MaxLength(EMAIL_MAX_LENGTH, { message: Messages.shorterThan(EMAIL_MAX_LENGTH + 1) }),
    IsEmail({}, { message: Messages.email }),
  );

// A list of addresses; repeats (in any case) are kept once by the service.
export const EmailListField = (): PropertyDecorator =>
  applyDecorators(
    ValidateIf(given),
    IsDefined({ message: Messages.required }),
    IsArray({ message: Messages.array }),
    ArrayMaxSize(MAX_ADDRESSES, { message: `must have at most ${MAX_ADDRESSES} items` }),
    IsString({ each: true, message: Messages.string }),
    MaxLength(EMAIL_MAX_LENGTH, { each: true, message: Messages.shorterThan(EMAIL_MAX_LENGTH + 1) }),
    IsEmail({}, { each: true, message: Messages.email }),
  );

// What a client echoing a setting back may send but never sets: accepted and ignored. `code` is
// the system's (seeded rows have one; new rows none), `state` changes only by DELETE.
export class SettingReadOnlyFieldsDto extends ReadOnlyAuditFieldsDto {
  @Allow() id?: unknown;
  @Allow() code?: unknown;
}

// A status, priority, type or source.
export class CreateSettingDto extends SettingReadOnlyFieldsDto {
  @NameField({ required: true })
  name: string;

  @ColorField()
  color?: string | null;

  @DisplayOrderField()
  displayOrder?: number;

  // true makes this the tenant's default, in place of the previous one.
  @BooleanField()
  isDefault?: boolean;
}

export class UpdateSettingDto extends CreateSettingDto {
  @NameField({ required: false })
  override name: string;
}
