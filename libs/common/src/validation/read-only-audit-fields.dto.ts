import { Allow } from 'class-validator';

// The audit fields every resource shows; a client echoing an object back may send them. Ignored.
export class ReadOnlyAuditFieldsDto {
  @Allow() state?: unknown;
  @Allow() createdAt?: unknown;
  @Allow() createdBy?: unknown;
  @Allow() updatedAt?: unknown;
  @Allow() updatedBy?: unknown;
  @Allow() deletedAt?: unknown;
  @Allow() deletedBy?: unknown;
}
