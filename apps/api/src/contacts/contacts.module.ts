import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { ContactsService } from './contacts.service';
import { CustomerContact } from './customer-contact.entity';
import { Customer } from './customer.entity';
import { CustomersController } from './customers.controller';
import { CustomersRepository } from './customers.repository';
import { CustomersService } from './customers.service';

@Module({
  imports: [TypeOrmModule.forFeature([Customer, CustomerContact]), AuthModule],
  controllers: [CustomersController],
  providers: [ContactsService, CustomersRepository, CustomersService],
  exports: [ContactsService, CustomersService],
})
export class ContactsModule {}
