import type { AuditFields } from '../http/desk-openapi';
import { AuditedEntity } from './audited.entity';

// A relation on the wire: {"id": 12, "type": "users"}.
export interface EntityRef {
  id: number;
  type: string;
}

export function ref(id: number, type: string): EntityRef;
export function ref(id: number | null | undefined, type: string): EntityRef | null;
export function ref(id: number | null | undefined, type: string): EntityRef | null {
  return id === null || id === undefined ? null : { id, type };
}

// The audit fields as Teamwork Desk API v2 shows them: deletedAt/deletedBy only once the row is
// deleted.
export function auditFields(entity: AuditedEntity): AuditFields {
  const fields: AuditFields = {
    createdAt: entity.createdAt.toISOString(),
    createdBy: ref(entity.createdBy, 'users'),
    updatedAt: entity.updatedAt.toISOString(),
    updatedBy: ref(entity.updatedBy, 'users'),
    state: entity.state,
  };
  if (entity.state === 'deleted' && entity.deletedAt) {
    fields.deletedAt = entity.deletedAt.toISOString();
    fields.deletedBy = ref(entity.deletedBy, 'users');
  }
  return fields;
}

// Sparse fieldsets (`fields=id,state`): the id always stays so a client can tell objects apart.
export function pickFields<T extends object>(object: T, fields: readonly string[] | null): Partial<T> {
  if (!fields) return object;
  const picked: Record<string, unknown> = {};
  for (const key of ['id', ...fields]) {
    if (key in object) picked[key] = (object as Record<string, unknown>)[key];
  }
  return picked as Partial<T>;
}
