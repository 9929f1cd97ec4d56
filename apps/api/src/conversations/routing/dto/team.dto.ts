import { Messages, ReadOnlyAuditFieldsDto } from '@app/common';
import { Transform, Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { ASSIGNMENT_MODES, AssignmentMode } from '../team.entity';
import { TEAM_CAPACITY_MAX, TEAM_MEMBERS_MAX, TEAM_NAME_MAX_LENGTH } from '../team.openapi';
import { AgentRefDto } from '../../dto/user-ref.dto';

const given = (_dto: object, value: unknown) => value !== undefined;
const present = (_dto: object, value: unknown) => value !== undefined && value !== null;
const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const CAPACITY_RANGE = `must be between 1 and ${TEAM_CAPACITY_MAX}`;


// How the team's queue is assigned; omitted properties are unchanged (PATCH) or defaulted (POST).
export class TeamAssignmentDto {
  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsIn(ASSIGNMENT_MODES, { message: Messages.oneOf(ASSIGNMENT_MODES) })
  mode?: AssignmentMode;

  // null: no limit.
  @ValidateIf(present)
  @IsInt({ message: Messages.integer })
  @Min(1, { message: CAPACITY_RANGE })
  @Max(TEAM_CAPACITY_MAX, { message: CAPACITY_RANGE })
  capacity?: number | null;

  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsBoolean({ message: Messages.boolean })
  onlyAvailable?: boolean;
}

export class CreateTeamDto extends ReadOnlyAuditFieldsDto {
  @Allow() id?: unknown;

  @Transform(trimmed)
  @IsDefined({ message: Messages.required })
  @IsString({ message: Messages.string })
  @IsNotEmpty({ message: Messages.required })
  @MaxLength(TEAM_NAME_MAX_LENGTH, { message: Messages.shorterThan(TEAM_NAME_MAX_LENGTH + 1) })
  name: string;

  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsArray({ message: Messages.array })
  @ArrayMaxSize(TEAM_MEMBERS_MAX, { message: `must have at most ${TEAM_MEMBERS_MAX} items` })
  @ValidateNested({ each: true })
  @Type(() => AgentRefDto)
  users?: AgentRefDto[];

  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsObject({ message: Messages.object })
  @ValidateNested()
  @Type(() => TeamAssignmentDto)
  assignment?: TeamAssignmentDto;
}

// Only the given properties change; `users` replaces the members.
export class UpdateTeamDto extends CreateTeamDto {
  @ValidateIf(given)
  @Transform(trimmed)
  @IsDefined({ message: Messages.required })
  @IsString({ message: Messages.string })
  @IsNotEmpty({ message: Messages.required })
  @MaxLength(TEAM_NAME_MAX_LENGTH, { message: Messages.shorterThan(TEAM_NAME_MAX_LENGTH + 1) })
  override name: string;
}
