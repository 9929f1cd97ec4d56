import { IsEntityId, Messages } from '@app/common';
import { Allow, IsBoolean, IsDefined, IsIn, IsOptional } from 'class-validator';

// A reference to an agent, as Teamwork Desk API v2's EntityRef: {"id": 7, "type": "users"}.
export class UserRefDto {
  @IsDefined({ message: Messages.required })
  @IsEntityId()
  id: number;

  @IsOptional()
  @IsIn(['users'], { message: Messages.oneOf(['users']) })
  type?: string;

  // In a PATCH, `"delete": true` removes this participant.
  @IsOptional()
  @IsBoolean({ message: Messages.boolean })
  delete?: boolean;

  @Allow()
  meta?: unknown;
}
