import { AUDIT_OPTIONAL, AUDIT_SCHEMA_PROPERTIES, ENTITY_REF_SCHEMA, PAGE_META_SCHEMA, wire, type Wire } from '@app/common';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { CUSTOM_FIELD_TYPES } from './custom-field.entity';

const COLOR = wire.nullable(wire.string({ pattern: '^#[0-9a-fA-F]{6}$', example: '#2f80ed' }));
const DISPLAY_ORDER = wire.integer({ minimum: 0 });
const NAME = (maxLength: number, kind: string) =>
  wire.string({ maxLength, description: `Unique among the tenant's active ${kind}, without regard to case; trimmed` });
const EMAILS = wire.array(wire.string({ format: 'email' }), { maxItems: 50 });

const settingProperties = (kind: string) => ({
  id: wire.integer(),
  name: NAME(200, kind),
  code: wire.nullable(wire.string(), {
    readOnly: true,
    description: 'The system’s name of a seeded row (e.g. "active", "chat"); null for rows an admin added',
  }),
  color: COLOR,
  displayOrder: DISPLAY_ORDER,
  isDefault: wire.boolean({ description: 'At most one per tenant; setting it moves the default here' }),
});

// A ticket status, priority, type or source, as presentSetting() writes it.
export const SETTING_SCHEMA = wire.object({ ...settingProperties('settings of its kind'), ...AUDIT_SCHEMA_PROPERTIES }, { optional: AUDIT_OPTIONAL });
export type SettingWire = Wire<typeof SETTING_SCHEMA>;

// An inbox, as presentInbox() writes it.
export const INBOX_SCHEMA = wire.object(
  {
    ...settingProperties('inboxes'),
    email: wire.nullable(wire.string({ format: 'email' })),
    aliases: wire.with(EMAILS, { description: 'Other addresses notifications may be sent from; each once, ignoring case' }),
    ...AUDIT_SCHEMA_PROPERTIES,
  },
  { optional: AUDIT_OPTIONAL },
);
export type InboxWire = Wire<typeof INBOX_SCHEMA>;

export const TAG_SCHEMA = wire.object({ id: wire.integer(), name: NAME(100, 'tags'), color: COLOR, ...AUDIT_SCHEMA_PROPERTIES }, { optional: AUDIT_OPTIONAL });
export type TagWire = Wire<typeof TAG_SCHEMA>;

export const CUSTOM_FIELD_SCHEMA = wire.object(
  {
    id: wire.integer(),
    name: NAME(200, 'custom fields'),
    type: wire.enum(CUSTOM_FIELD_TYPES, { description: 'Cannot be changed once created' }),
    options: wire.array(wire.string({ maxLength: 200 }), {
      maxItems: 500,
      description: 'The allowed values: required and unique for dropdown and multiselect, empty for the other types',
    }),
    displayOrder: DISPLAY_ORDER,
    ...AUDIT_SCHEMA_PROPERTIES,
  },
  { optional: AUDIT_OPTIONAL },
);
export type CustomFieldWire = Wire<typeof CUSTOM_FIELD_SCHEMA>;

export const CUSTOM_FIELD_VALUE_SCHEMA = wire.object(
  {
    id: wire.integer({ description: 'An active custom field' }),
    value: wire.any({ description: 'Fits the field’s type: a string, a number, a date as 2006-01-02, a boolean, an option, or an array of options' }),
  },
  { required: ['id', 'value'] },
);

const TEMPLATE_REF = (type: string, what: string) =>
  wire.nullable(ENTITY_REF_SCHEMA, { description: `{id, type: "${type}"}: an active ${what} of the tenant, or null` });

export const TICKET_TEMPLATE_SCHEMA = wire.object(
  {
    id: wire.integer(),
    name: NAME(200, 'ticket templates'),
    subject: wire.nullable(wire.string({ maxLength: 500 })),
    message: wire.nullable(wire.string({ maxLength: 65536 })),
    editMethod: wire.nullable(wire.enum(['html', 'markdown'])),
    inbox: TEMPLATE_REF('inboxes', 'inbox'),
    status: TEMPLATE_REF('ticketstatuses', 'ticket status'),
    priority: TEMPLATE_REF('ticketpriorities', 'ticket priority'),
    type: TEMPLATE_REF('tickettypes', 'ticket type'),
    source: TEMPLATE_REF('ticketsources', 'ticket source'),
    agent: TEMPLATE_REF('users', 'agent'),
    tags: wire.array(ENTITY_REF_SCHEMA, { maxItems: 50, description: 'Refs {id, type: "tags"} of active tags' }),
    customfields: wire.array(CUSTOM_FIELD_VALUE_SCHEMA, { maxItems: 100 }),
    cc: EMAILS,
    bcc: EMAILS,
    ...AUDIT_SCHEMA_PROPERTIES,
  },
  { optional: AUDIT_OPTIONAL },
);
export type TicketTemplateWire = Wire<typeof TICKET_TEMPLATE_SCHEMA>;

export const envelopeSchema = (singular: string, schema: SchemaObject): SchemaObject => ({
  type: 'object',
  properties: { [singular]: schema },
});

export const listSchema = (plural: string, schema: SchemaObject): SchemaObject => ({
  type: 'object',
  properties: { [plural]: { type: 'array', items: schema }, meta: PAGE_META_SCHEMA },
});

// A body's writable fields, from the object's schema; `required` on POST.
const bodyFields = (schema: SchemaObject, writable: readonly string[], required: readonly string[]): SchemaObject => ({
  type: 'object',
  ...(required.length > 0 ? { required: [...required] } : {}),
  properties: Object.fromEntries(writable.map((field) => [field, schema.properties![field] as SchemaObject])),
});

// Desk bodies come wrapped ({"inbox": {...}}) or bare. Read-only fields may be sent back and are ignored.
export const bodySchema = (singular: string, fields: SchemaObject): SchemaObject => ({
  oneOf: [{ type: 'object', required: [singular], properties: { [singular]: fields } }, fields],
});

const SETTING_WRITABLE = ['name', 'color', 'displayOrder', 'isDefault'];
const TEMPLATE_WRITABLE = Object.keys(TICKET_TEMPLATE_SCHEMA.properties!).filter(
  (field) => field !== 'id' && !(field in AUDIT_SCHEMA_PROPERTIES),
);

export const SETTING_BODIES = {
  create: bodyFields(SETTING_SCHEMA, SETTING_WRITABLE, ['name']),
  update: bodyFields(SETTING_SCHEMA, SETTING_WRITABLE, []),
};
export const INBOX_BODIES = {
  create: bodyFields(INBOX_SCHEMA, [...SETTING_WRITABLE, 'email', 'aliases'], ['name']),
  update: bodyFields(INBOX_SCHEMA, [...SETTING_WRITABLE, 'email', 'aliases'], []),
};
export const TAG_BODIES = {
  create: bodyFields(TAG_SCHEMA, ['name', 'color'], ['name']),
  update: bodyFields(TAG_SCHEMA, ['name', 'color'], []),
};
export const CUSTOM_FIELD_BODIES = {
  create: bodyFields(CUSTOM_FIELD_SCHEMA, ['name', 'type', 'options', 'displayOrder'], ['name', 'type']),
  update: bodyFields(CUSTOM_FIELD_SCHEMA, ['name', 'type', 'options', 'displayOrder'], []),
};
export const TICKET_TEMPLATE_BODIES = {
  create: bodyFields(TICKET_TEMPLATE_SCHEMA, TEMPLATE_WRITABLE, ['name']),
  update: bodyFields(TICKET_TEMPLATE_SCHEMA, TEMPLATE_WRITABLE, []),
};
