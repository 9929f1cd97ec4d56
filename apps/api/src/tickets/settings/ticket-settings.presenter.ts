import { auditFields, ref } from '@app/common';
import { CustomField } from './custom-field.entity';
import { Tag } from './tag.entity';
import { Inbox, TicketSetting } from './ticket-setting.entity';
import type { CustomFieldWire, InboxWire, SettingWire, TagWire, TicketTemplateWire } from './ticket-settings.openapi';
import { TicketTemplate } from './ticket-template.entity';

// A status, priority, type or source. `code` is the system's name for a seeded row, else null.
export function presentSetting(setting: TicketSetting): SettingWire {
  return {
    id: setting.id,
    name: setting.name,
    code: setting.code,
    color: setting.color,
    displayOrder: setting.displayOrder,
    isDefault: setting.isDefault,
    ...auditFields(setting),
  };
}

export function presentInbox(inbox: Inbox): InboxWire {
  return {
    id: inbox.id,
    name: inbox.name,
    code: inbox.code,
    email: inbox.email,
    aliases: inbox.aliases,
    color: inbox.color,
    displayOrder: inbox.displayOrder,
    isDefault: inbox.isDefault,
    ...auditFields(inbox),
  };
}

export function presentTag(tag: Tag): TagWire {
  return { id: tag.id, name: tag.name, color: tag.color, ...auditFields(tag) };
}

export function presentCustomField(field: CustomField): CustomFieldWire {
  return {
    id: field.id,
    name: field.name,
    type: field.type,
    options: field.options,
    displayOrder: field.displayOrder,
    ...auditFields(field),
  };
}

export function presentTemplate(template: TicketTemplate): TicketTemplateWire {
  return {
    id: template.id,
    name: template.name,
    subject: template.subject,
    message: template.message,
    editMethod: template.editMethod,
    inbox: ref(template.inboxId, 'inboxes'),
    status: ref(template.statusId, 'ticketstatuses'),
    priority: ref(template.priorityId, 'ticketpriorities'),
    type: ref(template.typeId, 'tickettypes'),
    source: ref(template.sourceId, 'ticketsources'),
    agent: ref(template.agentId, 'users'),
    tags: template.tagIds.map((id) => ref(id, 'tags')),
    customfields: template.customFields.map(({ id, value }) => ({ id, value })),
    cc: template.cc,
    bcc: template.bcc,
    ...auditFields(template),
  };
}
