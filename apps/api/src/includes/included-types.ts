import { Injectable, OnModuleInit } from '@nestjs/common';
import { presentUser } from '../auth/user.presenter';
import { User } from '../auth/user.entity';
import { UsersService } from '../auth/users.service';
import { presentContact, presentCustomerView } from '../contacts/contacts.presenter';
import { CustomerContact } from '../contacts/customer-contact.entity';
import { ContactsService } from '../contacts/contacts.service';
import type { CustomerView } from '../contacts/customer.view';
import { CustomersService } from '../contacts/customers.service';
import { presentCustomerAgent, presentCustomerContact, presentCustomerSelf } from '../customer-view/customer-view.presenter';
import { presentCustomerFile } from '../files/customer-file.presenter';
import { presentFile } from '../files/file.presenter';
import { FilesService } from '../files/files.service';
import { StoredFile } from '../files/stored-file.entity';
import { Sideloads } from './sideloads';

// The types most resources side-load: contacts, customers, agents and files. A customer sees each
// through the customer's presenters only.
@Injectable()
export class CommonIncludedTypes implements OnModuleInit {
  constructor(
    private readonly sideloads: Sideloads,
    private readonly contacts: ContactsService,
    private readonly customers: CustomersService,
    private readonly users: UsersService,
    private readonly files: FilesService,
  ) {}

  onModuleInit(): void {
    this.sideloads.register<CustomerContact>('contacts', {
      fetch: (tenantId, ids) => this.contacts.findContactsByIds(tenantId, ids),
      present: { agent: presentContact, customer: presentCustomerContact },
    });
    this.sideloads.register<CustomerView>('customers', {
      fetch: (tenantId, ids) => this.customers.findViewsByIds(tenantId, ids),
      present: { agent: (view) => presentCustomerView(view), customer: presentCustomerSelf },
    });
    this.sideloads.register<User>('users', {
      fetch: (tenantId, ids) => this.users.findByIds(tenantId, ids),
      present: { agent: presentUser, customer: presentCustomerAgent },
    });
    this.sideloads.register<StoredFile>('files', {
      fetch: (tenantId, ids) => this.files.findByIds(tenantId, ids),
      present: { agent: presentFile, customer: presentCustomerFile },
    });
  }
}
