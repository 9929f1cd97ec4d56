import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ContactsModule } from '../contacts/contacts.module';
import { FilesModule } from '../files/files.module';
import { IncludedLoader } from './included-loader';

@Module({
  imports: [AuthModule, ContactsModule, FilesModule],
  providers: [IncludedLoader],
  exports: [IncludedLoader],
})
export class IncludesModule {}
