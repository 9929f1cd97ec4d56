import { AUDIT_OPTIONAL, AUDIT_SCHEMA_PROPERTIES, ENTITY_REF_SCHEMA, PAGE_META_SCHEMA, wire, type Wire } from '@app/common';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ASSIGNMENT_MODES } from './team.entity';

export const TEAM_NAME_MAX_LENGTH = 100;
export const TEAM_CAPACITY_MAX = 100_000;
export const TEAM_MEMBERS_MAX = 500;

const ASSIGNMENT_SCHEMA = wire.object({
  mode: wire.enum(ASSIGNMENT_MODES, {
    description: 'manual: the queue waits for an agent; round_robin: members in turn; balanced: the member with the fewest open conversations in the team',
  }),
  capacity: wire.nullable(wire.integer({ minimum: 1 }), { description: "The most open conversations of the team routing gives a member; null: no limit" }),
  onlyAvailable: wire.boolean({ description: 'Route only to members whose availability is "available"' }),
});

// A team, as presentTeam() writes it.
export const TEAM_SCHEMA = wire.object(
  {
    id: wire.integer(),
    name: wire.string({ maxLength: TEAM_NAME_MAX_LENGTH, description: "Unique among the tenant's active teams, without regard to case; trimmed" }),
    users: wire.array(ENTITY_REF_SCHEMA, { description: 'The members ({"id", "type": "users"}), in id order' }),
    assignment: ASSIGNMENT_SCHEMA,
    ...AUDIT_SCHEMA_PROPERTIES,
  },
  { optional: AUDIT_OPTIONAL },
);
export type TeamWire = Wire<typeof TEAM_SCHEMA>;

export const TEAM_ENVELOPE_SCHEMA = wire.object({ team: TEAM_SCHEMA });
export const TEAMS_LIST_SCHEMA = wire.object({ teams: wire.array(TEAM_SCHEMA), meta: PAGE_META_SCHEMA });

const USER_REF: SchemaObject = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1 }, type: { type: 'string', enum: ['users'] } },
};

const ASSIGNMENT_FIELDS: SchemaObject = {
  type: 'object',
  description: 'Omitted properties are unchanged (PATCH) or their defaults (POST: manual, no limit, false)',
  properties: {
    mode: { type: 'string', enum: [...ASSIGNMENT_MODES] },
    capacity: { type: 'integer', minimum: 1, maximum: TEAM_CAPACITY_MAX, nullable: true },
    onlyAvailable: { type: 'boolean' },
  },
};

const fields = (required: string[]): SchemaObject => ({
  type: 'object',
  required,
  properties: {
    name: { type: 'string', maxLength: TEAM_NAME_MAX_LENGTH },
    users: {
      type: 'array',
      maxItems: TEAM_MEMBERS_MAX,
      items: USER_REF,
      description: "Active agents of the tenant; in a PATCH the list replaces the members",
    },
    assignment: ASSIGNMENT_FIELDS,
  },
});

// Desk bodies come wrapped ({"team": {...}}) or bare.
const body = (inner: SchemaObject): SchemaObject => ({ oneOf: [{ type: 'object', required: ['team'], properties: { team: inner } }, inner] });
export const CREATE_TEAM_BODY_SCHEMA = body(fields(['name']));
export const UPDATE_TEAM_BODY_SCHEMA = body(fields([]));
