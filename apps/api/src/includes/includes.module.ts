import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ContactsModule } from '../contacts/contacts.module';
import { FilesModule } from '../files/files.module';
import { CommonIncludedTypes } from './included-types';
import { Sideloads } from './sideloads';

// Global: every module registers the types it owns into the one registry, and every resource's
// responses side-load through it.
@Global()
@Module({
  imports: [AuthModule, ContactsModule, FilesModule],
  providers: [Sideloads, CommonIncludedTypes],
  exports: [Sideloads],
})
export class IncludesModule {}
