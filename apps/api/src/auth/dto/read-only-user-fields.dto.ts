import { ReadOnlyAuditTrailDto } from '@app/common';
import { Allow } from 'class-validator';

// Fields of a User a client may echo back but never sets: accepted and ignored. (`state` is
// writable: it deactivates and restores.)
export class ReadOnlyUserFieldsDto extends ReadOnlyAuditTrailDto {
  @Allow() id?: unknown;
}
