import { Allow } from 'class-validator';

// Fields of a User a client may echo back but never sets: accepted and ignored.
export class ReadOnlyUserFieldsDto {
  @Allow() id?: unknown;
  @Allow() createdAt?: unknown;
  @Allow() createdBy?: unknown;
  @Allow() updatedAt?: unknown;
  @Allow() updatedBy?: unknown;
  @Allow() deletedAt?: unknown;
  @Allow() deletedBy?: unknown;
}
