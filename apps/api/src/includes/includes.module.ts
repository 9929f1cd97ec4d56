import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ContactsModule } from '../contacts/contacts.module';
import { FilesModule } from '../files/files.module';
import { CommonIncludedTypes } from './included-types';

// The side-loadable types of the modules below conversations and tickets (contacts, customers,
// agents, files), registered into the global SideloadsModule's registry.
@Module({
  imports: [AuthModule, ContactsModule, FilesModule],
  providers: [CommonIncludedTypes],
})
export class IncludesModule {}
