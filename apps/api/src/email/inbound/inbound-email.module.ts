import { Module } from '@nestjs/common';
import { ContactsModule } from '../../contacts/contacts.module';
import { FilesModule } from '../../files/files.module';
import { TicketSettingsModule } from '../../tickets/settings/ticket-settings.module';
import { TicketsModule } from '../../tickets/tickets.module';
import { ReplyAddresses } from '../reply-addresses';
import { InboundEmailController } from './inbound-email.controller';
import { InboundEmailService } from './inbound-email.service';

// Email in: POST inbound/email.json (docs/architecture.md, "Email in").
@Module({
  imports: [ContactsModule, FilesModule, TicketSettingsModule, TicketsModule],
  controllers: [InboundEmailController],
  providers: [InboundEmailService, ReplyAddresses],
})
export class InboundEmailModule {}
