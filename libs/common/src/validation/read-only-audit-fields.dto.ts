import { Allow } from 'class-validator';

// Who changed a resource and when; a client echoing an object back may send them. Ignored.
export class ReadOnlyAuditTrailDto {
  @Allow() createdAt?: unknown;
  @Allow() createdBy?: unknown;
  @Allow() updatedAt?: unknown;
  @Allow() updatedBy?: unknown;
  @Allow() deletedAt?: unknown;
  @Allow() deletedBy?: unknown;
}

// The audit fields every resource shows, `state` included, for resources whose state a body
// does not set. Ignored.
export class ReadOnlyAuditFieldsDto extends ReadOnlyAuditTrailDto {
  @Allow() state?: unknown;
}
