import { Injectable } from '@nestjs/common';
import { presentCustomerView } from '../contacts/contacts.presenter';
import { CustomersService } from '../contacts/customers.service';
import { IncludedLoader } from '../includes/included-loader';
import { IncludableSettingKind } from './settings/ticket-settings.definitions';
import { TicketSettingsService } from './settings/ticket-settings.service';
import { TicketMessage } from './ticket-message.entity';
import { TicketMessagesService } from './ticket-messages.service';
import { presentTicketMessage } from './tickets.presenter';
import type { TicketView } from './tickets.service';

const SETTINGS: readonly [IncludableSettingKind, (view: TicketView) => (number | null)[]][] = [
  ['inboxes', ({ ticket }) => [ticket.inboxId]],
  ['ticketstatuses', ({ ticket }) => [ticket.statusId]],
  ['ticketpriorities', ({ ticket }) => [ticket.priorityId]],
  ['tickettypes', ({ ticket }) => [ticket.typeId]],
  ['ticketsources', ({ ticket }) => [ticket.sourceId]],
  ['tags', ({ tagIds }) => tagIds],
  ['customfields', ({ customFields }) => customFields.map((field) => field.id)],
];

// `?includes=` of tickets and their threads: one query per wanted type, whatever the page size.
@Injectable()
export class TicketIncludes {
  constructor(
    private readonly loader: IncludedLoader,
    private readonly customers: CustomersService,
    private readonly settings: TicketSettingsService,
    private readonly messages: TicketMessagesService,
  ) {}

  async forTickets(tenantId: number, views: readonly TicketView[], includes: ReadonlySet<string>): Promise<Record<string, unknown[]>> {
    if (includes.size === 0) return {};
    const tickets = views.map((view) => view.ticket);
    const included: Record<string, unknown[]> = {};
    const add = (type: string) => (objects: unknown[]) => {
      included[type] = objects;
    };
    // The loader's `customers` are the customers of contacts; a ticket names its customer itself.
    const forLoader = new Set([...includes].filter((type) => type !== 'customers'));
    const jobs: Promise<void>[] = [
      this.loader
        .load(tenantId, forLoader, {
          contacts: tickets.map((t) => t.contactId),
          users: tickets.flatMap((t) => [t.agentId, t.createdBy, t.updatedBy, t.deletedBy]),
          files: tickets.flatMap((t) => t.fileIds),
        })
        .then((loaded) => void Object.assign(included, loaded)),
    ];
    if (includes.has('customers')) {
      const ids = tickets.map((t) => t.customerId);
      jobs.push(this.customers.findViewsByIds(tenantId, ids).then((found) => add('customers')(found.map((view) => presentCustomerView(view)))));
    }
    if (includes.has('messages')) {
      const ids = views.flatMap((view) => view.messageIds);
      jobs.push(this.messages.findByIds(tenantId, ids).then((found) => add('messages')(found.map((m) => presentTicketMessage(m)))));
    }
    for (const [kind, idsOf] of SETTINGS) {
      if (!includes.has(kind)) continue;
      const ids = [...new Set(views.flatMap(idsOf).filter((id): id is number => id !== null))];
      jobs.push(this.settings.findByIds(tenantId, kind, ids).then(add(kind)));
    }
    await Promise.all(jobs);
    return included;
  }

  async forMessages(tenantId: number, messages: readonly TicketMessage[], includes: ReadonlySet<string>): Promise<Record<string, unknown[]>> {
    if (includes.size === 0) return {};
    return this.loader.load(tenantId, includes, {
      contacts: messages.map((m) => m.contactId),
      users: messages.flatMap((m) => [m.userId, m.createdBy, m.updatedBy, m.deletedBy]),
      files: messages.flatMap((m) => m.fileIds),
    });
  }
}
