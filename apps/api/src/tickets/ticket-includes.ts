import { Injectable, OnModuleInit } from '@nestjs/common';
import { Sideloads } from '../includes/sideloads';
import { IncludableSettingKind } from './settings/ticket-settings.definitions';
import { TicketSettingsService } from './settings/ticket-settings.service';
import { TicketMessage } from './ticket-message.entity';
import { TicketMessagesService } from './ticket-messages.service';
import { presentTicketMessage } from './tickets.presenter';

const SETTING_KINDS: readonly IncludableSettingKind[] = ['inboxes', 'ticketstatuses', 'ticketpriorities', 'tickettypes', 'ticketsources', 'tags', 'customfields'];

// What tickets side-load beside contacts, customers, agents and files: their thread's messages
// and the settings they name. Agents only: no customer reads a ticket.
@Injectable()
export class TicketIncludes implements OnModuleInit {
  constructor(
    private readonly sideloads: Sideloads,
    private readonly settings: TicketSettingsService,
    private readonly messages: TicketMessagesService,
  ) {}

  onModuleInit(): void {
    this.sideloads.register<TicketMessage>('messages', {
      fetch: (tenantId, ids) => this.messages.findByIds(tenantId, ids),
      present: { agent: (message) => presentTicketMessage(message) },
    });
    for (const kind of SETTING_KINDS) {
      // The settings service presents them itself.
      this.sideloads.register<unknown>(kind, {
        fetch: (tenantId, ids) => this.settings.findByIds(tenantId, kind, ids),
        present: { agent: (setting) => setting },
      });
    }
  }
}
