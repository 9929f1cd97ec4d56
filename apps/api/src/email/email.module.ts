import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module';
import { TicketsModule } from '../tickets/tickets.module';
import { EmailDispatcher } from './email-dispatcher';
import { EmailPurge } from './email-purge';
import { EmailTransport } from './email-transport';
import { InboundEmailModule } from './inbound/inbound-email.module';
import { ReplyAddresses } from './reply-addresses';

// Email both ways for tickets: out through SMTP (the outbox's email topics) and in through
// `inbound/email.json` (docs/architecture.md, "Email").
@Module({
  imports: [FilesModule, TicketsModule, InboundEmailModule],
  controllers: [],
  providers: [EmailTransport, EmailDispatcher, EmailPurge, ReplyAddresses],
})
export class EmailModule {}
