import { Messages } from '@app/common';
import { Allow, IsDefined, IsEmail, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { USER_ROLES, UserRole } from '../user.entity';
import { ReadOnlyUserFieldsDto } from './read-only-user-fields.dto';

export const NAME_MAX_LENGTH = 100;
export const EMAIL_MAX_LENGTH = 320;

export class CreateUserDto extends ReadOnlyUserFieldsDto {
  @IsDefined({ message: Messages.required })
  @IsString({ message: Messages.string })
  @MaxLength(EMAIL_MAX_LENGTH, { message: Messages.shorterThan(EMAIL_MAX_LENGTH + 1) })
  @IsEmail({}, { message: Messages.email })
  email: string;

  @IsOptional()
  @IsString({ message: Messages.string })
  @MaxLength(NAME_MAX_LENGTH, { message: Messages.shorterThan(NAME_MAX_LENGTH + 1) })
  firstName?: string;

  @IsOptional()
  @IsString({ message: Messages.string })
  @MaxLength(NAME_MAX_LENGTH, { message: Messages.shorterThan(NAME_MAX_LENGTH + 1) })
  lastName?: string;

  // "agent" when not given.
  @IsOptional()
  @IsIn(USER_ROLES, { message: Messages.oneOf(USER_ROLES) })
  role?: UserRole;

  // A new agent is always active; a client echoing an object back may send it.
  @Allow() state?: unknown;
}
