import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ContactsService } from './contacts.service';
import { CustomerContact } from './customer-contact.entity';
import { Customer } from './customer.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Customer, CustomerContact])],
  providers: [ContactsService],
  exports: [ContactsService],
})
export class ContactsModule {}
