import { IsEntityId, Messages } from '@app/common';
import { Allow, IsDefined } from 'class-validator';

// A relation given as Teamwork Desk API v2's EntityRef: {"id": 3}, `type` and `meta` allowed
// and ignored.
export class EntityRefDto {
  @IsDefined({ message: Messages.required })
  @IsEntityId()
  id: number;

  @Allow() type?: unknown;
  @Allow() meta?: unknown;
  @Allow() delete?: unknown;
}
