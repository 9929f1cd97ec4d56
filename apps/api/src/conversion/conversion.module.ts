import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module';
import { TicketsModule } from '../tickets/tickets.module';
import { ConversionController } from './conversion.controller';
import { ConversionService } from './conversion.service';

// Depends on conversations and tickets, never the reverse.
@Module({
  imports: [ConversationsModule, TicketsModule],
  controllers: [ConversionController],
  providers: [ConversionService],
})
export class ConversionModule {}
