import { IsBoolean, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Max, Min, ValidateIf } from 'class-validator';

// Given, null included: null is no count and no flag (the columns cannot be NULL).
const given = (_dto: object, value: unknown) => value !== undefined;

// HighLevel's CreateConversationDto.
export class CreateConversationDto {
  @IsString()
  @IsNotEmpty()
  locationId: string;

  @IsString()
  @IsNotEmpty()
  contactId: string;
}

// HighLevel's UpdateConversationDto.
export class UpdateConversationDto {
  @IsString()
  @IsNotEmpty()
  locationId: string;

  @ValidateIf(given)
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  unreadCount?: number;

  @ValidateIf(given)
  @IsBoolean()
  starred?: boolean;

  @IsOptional()
  @IsObject()
  feedback?: Record<string, unknown>;

  // The assignee: an agent's id, or null or "" for nobody.
  @IsOptional()
  @IsString()
  assignedTo?: string | null;
}
