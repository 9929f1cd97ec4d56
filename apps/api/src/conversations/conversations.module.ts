import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { ContactsModule } from '../contacts/contacts.module';
import { FilesModule } from '../files/files.module';
import { IncludesModule } from '../includes/includes.module';
import { ConversationFilesController } from './conversation-files.controller';
import { ConversationIncludes } from './conversation-includes';
import { ConversationUser } from './conversation-user.entity';
import { Conversation } from './conversation.entity';
import { ConversationsController } from './conversations.controller';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';

@Module({
  imports: [TypeOrmModule.forFeature([Conversation, ConversationUser]), AuthModule, ContactsModule, FilesModule, IncludesModule],
  controllers: [ConversationsController, ConversationFilesController],
  providers: [ConversationIncludes, ConversationsRepository, ConversationsService],
  exports: [ConversationsService],
})
export class ConversationsModule {}
