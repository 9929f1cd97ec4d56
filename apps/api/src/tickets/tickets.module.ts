import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { ContactsModule } from '../contacts/contacts.module';
import { FilesModule } from '../files/files.module';
import { TicketSettingsModule } from './settings/ticket-settings.module';
import { EmailIntakeRepository } from './email-intake.repository';
import { TicketEmailIntake } from './email-intake.service';
import { TicketComposer } from './ticket-composer';
import { TicketEmails } from './ticket-emails';
import { TicketEmailsRepository } from './ticket-emails.repository';
import { TicketIncludes } from './ticket-includes';
import { TicketMessage } from './ticket-message.entity';
import { TicketMessagesController } from './ticket-messages.controller';
import { TicketMessagesService } from './ticket-messages.service';
import { TicketRefs } from './ticket-refs';
import { TicketUpdatePlanner } from './ticket-update';
import { Ticket } from './ticket.entity';
import { TicketsController } from './tickets.controller';
import { TicketsRepository } from './tickets.repository';
import { TicketsService } from './tickets.service';

@Module({
  imports: [TypeOrmModule.forFeature([Ticket, TicketMessage]), AuthModule, ContactsModule, FilesModule, TicketSettingsModule],
  controllers: [TicketsController, TicketMessagesController],
  providers: [
    TicketComposer,
    TicketEmails,
    TicketEmailsRepository,
    TicketIncludes,
    TicketMessagesService,
    TicketRefs,
    TicketsRepository,
    TicketsService,
    TicketUpdatePlanner,
    EmailIntakeRepository,
    TicketEmailIntake,
  ],
  exports: [TicketsService, TicketEmails, TicketEmailIntake],
})
export class TicketsModule {}
