import { EntityState, Messages } from '@app/common';
import { IsDefined, IsEmail, IsIn, IsString, MaxLength, ValidateIf } from 'class-validator';
import { USER_ROLES, UserRole } from '../user.entity';
import { EMAIL_MAX_LENGTH, NAME_MAX_LENGTH } from './create-user.dto';
import { ReadOnlyUserFieldsDto } from './read-only-user-fields.dto';

const STATES: readonly EntityState[] = ['active', 'deleted'];
// Omitted properties are unchanged; null is not "unchanged" and is refused.
const given = (_dto: object, value: unknown) => value !== undefined;

export class UpdateUserDto extends ReadOnlyUserFieldsDto {
  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsString({ message: Messages.string })
  @MaxLength(EMAIL_MAX_LENGTH, { message: Messages.shorterThan(EMAIL_MAX_LENGTH + 1) })
  @IsEmail({}, { message: Messages.email })
  email?: string;

  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsString({ message: Messages.string })
  @MaxLength(NAME_MAX_LENGTH, { message: Messages.shorterThan(NAME_MAX_LENGTH + 1) })
  firstName?: string;

  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsString({ message: Messages.string })
  @MaxLength(NAME_MAX_LENGTH, { message: Messages.shorterThan(NAME_MAX_LENGTH + 1) })
  lastName?: string;

  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsIn(USER_ROLES, { message: Messages.oneOf(USER_ROLES) })
  role?: UserRole;

  // "deleted" deactivates the agent and revokes its API keys; "active" restores it (keys stay revoked).
  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsIn(STATES, { message: Messages.oneOf(STATES) })
  state?: EntityState;
}
