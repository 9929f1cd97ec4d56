import { ResourceDefinition } from '../http/resource';
import { RefsOf, SideloadSpec } from '../includes/sideloads';
import { IncludableSettingKind } from './settings/ticket-settings.definitions';
import { TICKET_LIST, TICKET_MESSAGE_LIST } from './ticket-list.definition';
import { TicketMessage } from './ticket-message.entity';
import { presentTicket, presentTicketMessage } from './tickets.presenter';
import type { TicketView } from './ticket.view';

// The settings a ticket names, by the type that side-loads them.
const SETTINGS: Record<IncludableSettingKind, RefsOf<TicketView>> = {
  inboxes: (views) => ({ ids: views.map(({ ticket }) => ticket.inboxId) }),
  ticketstatuses: (views) => ({ ids: views.map(({ ticket }) => ticket.statusId) }),
  ticketpriorities: (views) => ({ ids: views.map(({ ticket }) => ticket.priorityId) }),
  tickettypes: (views) => ({ ids: views.map(({ ticket }) => ticket.typeId) }),
  ticketsources: (views) => ({ ids: views.map(({ ticket }) => ticket.sourceId) }),
  tags: (views) => ({ ids: views.flatMap(({ tagIds }) => tagIds) }),
  customfields: (views) => ({ ids: views.flatMap(({ customFields }) => customFields.map((field) => field.id)) }),
};

// A ticket names its customer itself (not through its contact).
const TICKET_SIDELOADS: SideloadSpec<TicketView> = {
  audience: 'agent',
  refs: {
    customers: (views) => ({ ids: views.map(({ ticket }) => ticket.customerId) }),
    contacts: (views) => ({ ids: views.map(({ ticket }) => ticket.contactId) }),
    users: (views) => ({ ids: views.flatMap(({ ticket: t }) => [t.agentId, t.createdBy, t.updatedBy, t.deletedBy]) }),
    files: (views) => ({ ids: views.flatMap(({ ticket }) => ticket.fileIds) }),
    messages: (views) => ({ ids: views.flatMap((view) => view.messageIds) }),
    ...SETTINGS,
  },
};

export const TICKET: ResourceDefinition<TicketView> = {
  name: 'ticket',
  plural: 'tickets',
  present: presentTicket,
  version: 'wire',
  list: TICKET_LIST,
  sideloads: TICKET_SIDELOADS,
};

// A thread's entry; the envelope keys are Teamwork's `message` and `messages`.
export const TICKET_MESSAGE: ResourceDefinition<TicketMessage> = {
  name: 'message',
  plural: 'messages',
  present: presentTicketMessage,
  list: TICKET_MESSAGE_LIST,
  sideloads: {
    audience: 'agent',
    refs: {
      contacts: (views) => ({ ids: views.map((m) => m.contactId) }),
      users: (views) => ({ ids: views.flatMap((m) => [m.userId, m.createdBy, m.updatedBy, m.deletedBy]) }),
      files: (views) => ({ ids: views.flatMap((m) => m.fileIds) }),
    },
  },
};
