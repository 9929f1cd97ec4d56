import { FieldErrorsBuilder, ListField, ListSpec, Messages, TenantOwnedEntity } from '@app/common';
import { checkCustomFieldValues } from './custom-field-value';
import { CUSTOM_FIELD_TYPES, CustomField, CustomFieldType } from './custom-field.entity';
import { Tag } from './tag.entity';
import { Inbox, TicketPriority, TicketSource, TicketStatus, TicketType } from './ticket-setting.entity';
import { TemplateCustomFieldValue, TicketTemplate } from './ticket-template.entity';
import { presentCustomField, presentInbox, presentSetting, presentTag, presentTemplate } from './ticket-settings.presenter';

// The five settings shaped like TicketSetting, and the other kinds this folder serves, by wire type.
export type TicketSettingKind = 'inboxes' | 'ticketstatuses' | 'ticketpriorities' | 'tickettypes' | 'ticketsources';
export type IncludableSettingKind = TicketSettingKind | 'tags' | 'customfields';
export type SettingKind = IncludableSettingKind | 'tickettemplates';

export type NamedRow = TenantOwnedEntity & { name: string };

// What bodies carry, once their DTO has checked them. Omitted means unchanged (PATCH) or the
// column's default (POST); null clears a nullable column.
export interface SettingInput {
  name?: string;
  color?: string | null;
  displayOrder?: number;
  isDefault?: boolean;
}

export interface InboxInput extends SettingInput {
  email?: string | null;
  aliases?: string[];
}

export interface TagInput {
  name?: string;
  color?: string | null;
}

export interface CustomFieldInput {
  name?: string;
  type?: CustomFieldType;
  options?: string[];
  displayOrder?: number;
}

export interface RefInput {
  id: number;
}

export interface TemplateInput {
  name?: string;
  subject?: string | null;
  message?: string | null;
  editMethod?: 'html' | 'markdown' | null;
  inbox?: RefInput | null;
  status?: RefInput | null;
  priority?: RefInput | null;
  type?: RefInput | null;
  source?: RefInput | null;
  agent?: RefInput | null;
  tags?: RefInput[];
  customfields?: { id: number; value?: unknown }[];
  cc?: string[];
  bcc?: string[];
}

// Reads a body's checks need, in the caller's transaction and tenant.
export interface SettingLookup {
  // Which of `ids` are active rows of the kind (`users`: active agents).
  activeIds(kind: IncludableSettingKind | 'users', ids: readonly number[]): Promise<Set<number>>;
  activeCustomFields(ids: readonly number[]): Promise<Map<number, CustomField>>;
}

export interface PrepareContext<E> {
  // The row a PATCH changes; null for a POST.
  current: E | null;
  errors: FieldErrorsBuilder;
  lookup: SettingLookup;
}

// Everything the generic service, controllers and includes need to know of one kind.
export interface SettingDefinition<E extends NamedRow = NamedRow, I extends object = object> {
  kind: SettingKind;
  // The envelope of one object, and the name messages use ("inbox 12 not found").
  singular: string;
  entity: new () => E;
  table: string;
  list: ListSpec;
  // TicketSetting tables keep at most one active default; `required`: exactly one, always.
  defaults?: { required: boolean };
  // Body fields stored as given.
  writable: readonly (keyof I & keyof E & string)[];
  // Column values a body sets besides `writable`, and the checks a DTO cannot make (against the
  // row being changed, or the tenant's other rows); problems go to `errors`.
  prepare?(input: I, context: PrepareContext<E>): Promise<Partial<E>> | Partial<E>;
  present(row: E): object;
}

const AUDIT_FIELDS = ['createdAt', 'createdBy', 'deletedAt', 'deletedBy', 'state', 'updatedAt', 'updatedBy'];

// Every list's alias is `s`. Names are unique without regard to case, so they are compared and
// ordered as lower(name), which uq_<table>_name holds.
function listSpec(options: { order: 'displayOrder' | 'name'; filters?: Record<string, ListField>; fields: string[] }): ListSpec {
  const ordered = options.order === 'displayOrder';
  return {
    filterable: {
      id: { column: 's.id', type: 'integer' },
      name: { column: 'lower(s.name)', type: 'string', caseInsensitive: true },
      state: { column: 's.state', type: 'string', values: ['active', 'deleted'] },
      createdAt: { column: 's.created_at', type: 'date' },
      updatedAt: { column: 's.updated_at', type: 'date' },
      ...(ordered ? { displayOrder: { column: 's.display_order', type: 'integer' } } : {}),
      ...options.filters,
    },
    sortable: [...(ordered ? ['displayOrder'] : []), 'name', 'id', 'createdAt', 'updatedAt'],
    defaultOrderBy: options.order,
    defaultOrderMode: 'asc',
    includes: [],
    fields: [...new Set([...options.fields, ...AUDIT_FIELDS])].sort(),
    stateField: 'state',
    tieBreaker: 's.id',
  };
}

const SETTING_FIELDS = ['id', 'name', 'code', 'color', 'displayOrder', 'isDefault'];
const CODE_FILTER: Record<string, ListField> = { code: { column: 's.code', type: 'string', nullable: true } };
export const SETTING_LIST = listSpec({ order: 'displayOrder', filters: CODE_FILTER, fields: SETTING_FIELDS });
export const INBOX_LIST = listSpec({ order: 'displayOrder', filters: CODE_FILTER, fields: [...SETTING_FIELDS, 'email', 'aliases'] });
export const TAG_LIST = listSpec({ order: 'name', fields: ['id', 'name', 'color'] });
export const CUSTOM_FIELD_LIST = listSpec({
  order: 'displayOrder',
  filters: { type: { column: 's.type', type: 'string', values: CUSTOM_FIELD_TYPES } },
  fields: ['id', 'name', 'type', 'options', 'displayOrder'],
});
export const TICKET_TEMPLATE_LIST = listSpec({
  order: 'name',
  fields: [
    'id',
    'name',
    'subject',
    'message',
    'editMethod',
    'inbox',
    'status',
    'priority',
    'type',
    'source',
    'agent',
    'tags',
    'customfields',
    'cc',
    'bcc',
  ],
});

// Addresses are kept once each, the first spelling winning.
function uniqueIgnoringCase(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = value.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const SETTING_WRITABLE = ['name', 'color', 'displayOrder'] as const;

export const INBOXES: SettingDefinition<Inbox, InboxInput> = {
  kind: 'inboxes',
  singular: 'inbox',
  entity: Inbox,
  table: 'inboxes',
  list: INBOX_LIST,
  defaults: { required: true },
  writable: [...SETTING_WRITABLE, 'email'],
  prepare: (input) => (input.aliases === undefined ? {} : { aliases: uniqueIgnoringCase(input.aliases) }),
  present: presentInbox,
};

export const TICKET_STATUSES: SettingDefinition<TicketStatus, SettingInput> = {
  kind: 'ticketstatuses',
  singular: 'ticketstatus',
  entity: TicketStatus,
  table: 'ticket_statuses',
  list: SETTING_LIST,
  defaults: { required: true },
  writable: SETTING_WRITABLE,
  present: presentSetting,
};

export const TICKET_PRIORITIES: SettingDefinition<TicketPriority, SettingInput> = {
  kind: 'ticketpriorities',
  singular: 'ticketpriority',
  entity: TicketPriority,
  table: 'ticket_priorities',
  list: SETTING_LIST,
  defaults: { required: false },
  writable: SETTING_WRITABLE,
  present: presentSetting,
};

export const TICKET_TYPES: SettingDefinition<TicketType, SettingInput> = {
  kind: 'tickettypes',
  singular: 'tickettype',
  entity: TicketType,
  table: 'ticket_types',
  list: SETTING_LIST,
  defaults: { required: false },
  writable: SETTING_WRITABLE,
  present: presentSetting,
};

export const TICKET_SOURCES: SettingDefinition<TicketSource, SettingInput> = {
  kind: 'ticketsources',
  singular: 'ticketsource',
  entity: TicketSource,
  table: 'ticket_sources',
  list: SETTING_LIST,
  defaults: { required: false },
  writable: SETTING_WRITABLE,
  present: presentSetting,
};

export const TAGS: SettingDefinition<Tag, TagInput> = {
  kind: 'tags',
  singular: 'tag',
  entity: Tag,
  table: 'tags',
  list: TAG_LIST,
  writable: ['name', 'color'],
  present: presentTag,
};

const WITH_OPTIONS: readonly CustomFieldType[] = ['dropdown', 'multiselect'];

export const CUSTOM_FIELDS: SettingDefinition<CustomField, CustomFieldInput> = {
  kind: 'customfields',
  singular: 'customfield',
  entity: CustomField,
  table: 'custom_fields',
  list: CUSTOM_FIELD_LIST,
  writable: ['name', 'type', 'options', 'displayOrder'],
  // Tickets' values were checked against the type, so it stays; options must fit it.
  prepare: (input, { current, errors }) => {
    if (current && input.type !== undefined && input.type !== current.type) errors.add('type', 'cannot be changed');
    const type = current?.type ?? input.type!;
    if (current && input.options === undefined) return {};
    const options = input.options ?? [];
    if (!WITH_OPTIONS.includes(type)) {
      if (options.length > 0) errors.add('options', `must be empty for a ${type} field`);
      return {};
    }
    if (options.length === 0) errors.add('options', `must have at least one option for a ${type} field`);
    options.forEach((option, index) => {
      if (options.indexOf(option) < index) errors.add(`options[${index}]`, 'is given more than once');
    });
    return {};
  },
  present: presentCustomField,
};

// A template's single refs: wire field, column, and the kind the id must be an active row of.
const TEMPLATE_REFS = [
  ['inbox', 'inboxId', 'inboxes'],
  ['status', 'statusId', 'ticketstatuses'],
  ['priority', 'priorityId', 'ticketpriorities'],
  ['type', 'typeId', 'tickettypes'],
  ['source', 'sourceId', 'ticketsources'],
  ['agent', 'agentId', 'users'],
] as const;

export const TICKET_TEMPLATES: SettingDefinition<TicketTemplate, TemplateInput> = {
  kind: 'tickettemplates',
  singular: 'tickettemplate',
  entity: TicketTemplate,
  table: 'ticket_templates',
  list: TICKET_TEMPLATE_LIST,
  writable: ['name', 'subject', 'message', 'editMethod'],
  // Only the refs a body gives are checked: a template whose inbox was deleted since can still
  // be renamed.
  prepare: async (input, { errors, lookup }) => {
    const values: Partial<TicketTemplate> = {};
    for (const [field, column, kind] of TEMPLATE_REFS) {
      const given = input[field];
      if (given === undefined) continue;
      values[column] = given?.id ?? null;
      if (given && !(await lookup.activeIds(kind, [given.id])).has(given.id)) errors.add(`${field}.id`, Messages.notFound);
    }
    if (input.tags !== undefined) {
      const ids = input.tags.map((tag) => tag.id);
      const found = await lookup.activeIds('tags', ids);
      ids.forEach((id, index) => {
        if (!found.has(id)) errors.add(`tags[${index}].id`, Messages.notFound);
      });
      values.tagIds = [...new Set(ids)];
    }
    if (input.customfields !== undefined) {
      values.customFields = await customFieldValues(input.customfields, lookup, errors);
    }
    if (input.cc !== undefined) values.cc = uniqueIgnoringCase(input.cc);
    if (input.bcc !== undefined) values.bcc = uniqueIgnoringCase(input.bcc);
    return values;
  },
  present: presentTemplate,
};

// `customfields` of a template: each an active field of the tenant, once, with a value that fits it.
async function customFieldValues(
  entries: NonNullable<TemplateInput['customfields']>,
  lookup: SettingLookup,
  errors: FieldErrorsBuilder,
): Promise<TemplateCustomFieldValue[]> {
  const fields = await lookup.activeCustomFields(entries.map((entry) => entry.id));
  checkCustomFieldValues(
    entries.map(({ id, value }, index) => ({ id, value, path: `customfields[${index}]` })),
    fields,
    errors,
  );
  return entries.map(({ id, value }) => ({ id, value }));
}

export const SETTING_DEFINITIONS = {
  inboxes: INBOXES,
  ticketstatuses: TICKET_STATUSES,
  ticketpriorities: TICKET_PRIORITIES,
  tickettypes: TICKET_TYPES,
  ticketsources: TICKET_SOURCES,
  tags: TAGS,
  customfields: CUSTOM_FIELDS,
  tickettemplates: TICKET_TEMPLATES,
} as const;
