import { IsEntityId, Messages } from '@app/common';
import { Allow, IsBoolean, IsDefined, IsIn, IsOptional } from 'class-validator';

// A reference to an agent, as Teamwork Desk API v2's EntityRef: {"id": 7, "type": "users"} (a
// team's member, a note's mention).
export class AgentRefDto {
  @IsDefined({ message: Messages.required })
  @IsEntityId()
  id: number;

  @IsOptional()
  @IsIn(['users'], { message: Messages.oneOf(['users']) })
  type?: string;

  @Allow()
  meta?: unknown;
}

// A conversation's participant: in a PATCH, `"delete": true` removes them.
export class UserRefDto extends AgentRefDto {
  @IsOptional()
  @IsBoolean({ message: Messages.boolean })
  delete?: boolean;
}
