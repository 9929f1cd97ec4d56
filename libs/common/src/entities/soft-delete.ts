// Deletes are soft (docs/architecture.md, "Conventions"): one shape for every table's delete and
// restore, as ORM changes or as a SQL SET list, so the audit columns' rule lives here only.

// ORM changes that delete a row now, by `actorId`. `updated_at` is left as it was.
export function softDeleted(actorId: number | null) {
  return { state: 'deleted' as const, deletedAt: () => 'now()', deletedBy: actorId };
}

// ORM changes that restore a deleted row (`"state": "active"` in a PATCH).
export function restored() {
  return { state: 'active' as const, deletedAt: null, deletedBy: null };
}

// The SET list of a hand-written soft delete; `actorParam` is the statement's parameter holding the actor.
export function softDeleteSql(actorParam: string): string {
  return `state = 'deleted', deleted_at = now(), deleted_by = ${actorParam}`;
}
