import { AUDIT_OPTIONAL, AUDIT_SCHEMA_PROPERTIES, PAGE_META_SCHEMA, wire, type Wire } from '@app/common';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { USER_AVAILABILITIES, USER_ROLES } from './user.entity';

// An agent, as presentUser() writes it.
export const USER_SCHEMA = wire.object(
  {
    id: wire.integer(),
    email: wire.string({ format: 'email' }),
    firstName: wire.string(),
    lastName: wire.string(),
    role: wire.enum(USER_ROLES),
    availability: wire.enum(USER_AVAILABILITIES, {
      description: 'Set by the agent (PATCH /me.json) and by their presence on presence-tenant-{tenantId}; teams that route only to available agents skip the others',
    }),
    ...AUDIT_SCHEMA_PROPERTIES,
  },
  { optional: AUDIT_OPTIONAL },
);
export type UserWire = Wire<typeof USER_SCHEMA>;

export const USER_ENVELOPE_SCHEMA = wire.object({ user: USER_SCHEMA });

export const ME_SCHEMA = wire.object({
  user: USER_SCHEMA,
  tenant: wire.object({
    id: wire.integer(),
    name: wire.string(),
    locationId: wire.string({ example: 'tDtDnQdgm2LXpyiqYvZ6', description: "The tenant's id in the HighLevel dialect" }),
  }),
});

export const USERS_LIST_SCHEMA = wire.object({ users: wire.array(USER_SCHEMA), meta: PAGE_META_SCHEMA });

const NAME: SchemaObject = { type: 'string', maxLength: 100 };
const EMAIL: SchemaObject = { type: 'string', format: 'email', maxLength: 320, description: 'Unique among the active agents of the tenant, without regard to case' };
const ROLE: SchemaObject = { type: 'string', enum: [...USER_ROLES] };

const CREATE_FIELDS: SchemaObject = {
  type: 'object',
  required: ['email'],
  properties: { email: EMAIL, firstName: NAME, lastName: NAME, role: { ...ROLE, default: 'agent' } },
};

const UPDATE_FIELDS: SchemaObject = {
  type: 'object',
  properties: {
    email: EMAIL,
    firstName: NAME,
    lastName: NAME,
    role: ROLE,
    state: {
      type: 'string',
      enum: ['active', 'deleted'],
      description: '"deleted" deactivates the agent, revokes its API keys and takes its open, pending and snoozed conversations off it (back to their teams\' queues); "active" restores it (its keys stay revoked)',
    },
  },
};

// Desk bodies come wrapped ({"user": {...}}) or bare.
export const CREATE_USER_BODY_SCHEMA: SchemaObject = {
  oneOf: [{ type: 'object', required: ['user'], properties: { user: CREATE_FIELDS } }, CREATE_FIELDS],
};

export const UPDATE_USER_BODY_SCHEMA: SchemaObject = {
  oneOf: [{ type: 'object', required: ['user'], properties: { user: UPDATE_FIELDS } }, UPDATE_FIELDS],
};
