import { AUDIT_SCHEMA_PROPERTIES, ENTITY_REF_SCHEMA, PAGE_META_SCHEMA } from '@app/common';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { CUSTOM_FIELD_TYPES } from './custom-field.entity';

const COLOR: SchemaObject = { type: 'string', nullable: true, pattern: '^#[0-9a-fA-F]{6}$', example: '#2f80ed' };
const DISPLAY_ORDER: SchemaObject = { type: 'integer', minimum: 0 };
const NAME = (maxLength: number, kind: string): SchemaObject => ({
  type: 'string',
  maxLength,
  description: `Unique among the tenant's active ${kind}, without regard to case; trimmed`,
});
const EMAILS: SchemaObject = { type: 'array', maxItems: 50, items: { type: 'string', format: 'email' } };
const NULLABLE_REF: SchemaObject = { ...ENTITY_REF_SCHEMA, nullable: true };

const settingProperties = (kind: string): Record<string, SchemaObject> => ({
  id: { type: 'integer' },
  name: NAME(200, kind),
  code: {
    type: 'string',
    nullable: true,
    readOnly: true,
    description: 'The system’s name of a seeded row (e.g. "active", "chat"); null for rows an admin added',
  },
  color: COLOR,
  displayOrder: DISPLAY_ORDER,
  isDefault: { type: 'boolean', description: 'At most one per tenant; setting it moves the default here' },
});

// A ticket status, priority, type or source, as presentSetting() writes it.
export const SETTING_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { ...settingProperties('settings of its kind'), ...AUDIT_SCHEMA_PROPERTIES },
};

// An inbox, as presentInbox() writes it.
export const INBOX_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    ...settingProperties('inboxes'),
    email: { type: 'string', format: 'email', nullable: true },
    aliases: { ...EMAILS, description: 'Other addresses notifications may be sent from; each once, ignoring case' },
    ...AUDIT_SCHEMA_PROPERTIES,
  },
};

export const TAG_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { id: { type: 'integer' }, name: NAME(100, 'tags'), color: COLOR, ...AUDIT_SCHEMA_PROPERTIES },
};

export const CUSTOM_FIELD_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: NAME(200, 'custom fields'),
    type: { type: 'string', enum: [...CUSTOM_FIELD_TYPES], description: 'Cannot be changed once created' },
    options: {
      type: 'array',
      maxItems: 500,
      items: { type: 'string', maxLength: 200 },
      description: 'The allowed values: required and unique for dropdown and multiselect, empty for the other types',
    },
    displayOrder: DISPLAY_ORDER,
    ...AUDIT_SCHEMA_PROPERTIES,
  },
};

export const CUSTOM_FIELD_VALUE_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['id', 'value'],
  properties: {
    id: { type: 'integer', description: 'An active custom field' },
    value: { description: 'Fits the field’s type: a string, a number, a date as 2006-01-02, a boolean, an option, or an array of options' },
  },
};

const TEMPLATE_REF = (type: string, what: string): SchemaObject => ({
  ...NULLABLE_REF,
  description: `{id, type: "${type}"}: an active ${what} of the tenant, or null`,
});

export const TICKET_TEMPLATE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: NAME(200, 'ticket templates'),
    subject: { type: 'string', nullable: true, maxLength: 500 },
    message: { type: 'string', nullable: true, maxLength: 65536 },
    editMethod: { type: 'string', enum: ['html', 'markdown'], nullable: true },
    inbox: TEMPLATE_REF('inboxes', 'inbox'),
    status: TEMPLATE_REF('ticketstatuses', 'ticket status'),
    priority: TEMPLATE_REF('ticketpriorities', 'ticket priority'),
    type: TEMPLATE_REF('tickettypes', 'ticket type'),
    source: TEMPLATE_REF('ticketsources', 'ticket source'),
    agent: TEMPLATE_REF('users', 'agent'),
    tags: { type: 'array', maxItems: 50, items: ENTITY_REF_SCHEMA, description: 'Refs {id, type: "tags"} of active tags' },
    customfields: { type: 'array', maxItems: 100, items: CUSTOM_FIELD_VALUE_SCHEMA },
    cc: EMAILS,
    bcc: EMAILS,
    ...AUDIT_SCHEMA_PROPERTIES,
  },
};

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
