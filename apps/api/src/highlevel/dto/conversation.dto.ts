import { IsBoolean, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Max, Min } from 'class-validator';

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

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  unreadCount?: number;

  @IsOptional()
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
