import { Injectable } from '@nestjs/common';
import { presentUser } from '../auth/user.presenter';
import { UsersService } from '../auth/users.service';
import { presentContact, presentCustomerView } from '../contacts/contacts.presenter';
import { CustomerContact } from '../contacts/customer-contact.entity';
import { ContactsService } from '../contacts/contacts.service';
import { CustomersService } from '../contacts/customers.service';
import { presentCustomerAgent, presentCustomerContact, presentCustomerSelf } from '../customer-view/customer-view.presenter';
import { presentCustomerFile } from '../files/customer-file.presenter';
import { presentFile } from '../files/file.presenter';
import { FilesService } from '../files/files.service';

// The ids a page of resources refers to, by type.
// What a customer's side-load refers to: their conversation's contact (whose customer, with its
// contacts, is theirs), the agents they may see by name, the files of messages they may see.
export interface CustomerIncludedRefs {
  contactId: number;
  users?: Iterable<number | null>;
  files?: Iterable<number | null>;
}

export interface IncludedRefs {
  contacts?: Iterable<number | null>;
  // The contacts themselves, when the caller has already read them all: not read again.
  loadedContacts?: readonly CustomerContact[];
  users?: Iterable<number | null>;
  files?: Iterable<number | null>;
}

// Side-loading for `?includes=`: the objects a page refers to, presented and keyed by plural type,
// one query per type whatever the number of rows. `customers` are the customers of the contacts.
@Injectable()
export class IncludedLoader {
  constructor(
    private readonly contacts: ContactsService,
    private readonly customers: CustomersService,
    private readonly users: UsersService,
    private readonly files: FilesService,
  ) {}

  async load(tenantId: number, wanted: ReadonlySet<string>, refs: IncludedRefs): Promise<Record<string, unknown[]>> {
    const included: Record<string, unknown[]> = {};
    const jobs: Promise<void>[] = [];
    if (wanted.has('contacts') || wanted.has('customers')) {
      jobs.push(
        (async () => {
          const contacts = refs.loadedContacts ? byId(refs.loadedContacts) : await this.contacts.findContactsByIds(tenantId, ids(refs.contacts));
          if (wanted.has('contacts')) included.contacts = contacts.map(presentContact);
          if (!wanted.has('customers')) return;
          const customers = await this.customers.findViewsByIds(
            tenantId,
            contacts.map((contact) => contact.customerId),
          );
          included.customers = customers.map((view) => presentCustomerView(view));
        })(),
      );
    }
    if (wanted.has('users')) {
      jobs.push(
        (async () => {
          const users = await this.users.findByIds(tenantId, ids(refs.users));
          included.users = users.map(presentUser);
        })(),
      );
    }
    if (wanted.has('files')) {
      jobs.push(
        (async () => {
          included.files = (await this.files.findByIds(tenantId, ids(refs.files))).map(presentFile);
        })(),
      );
    }
    await Promise.all(jobs);
    return included;
  }

  // The same for a customer (a conversation token), through the customer's presenters only:
  // `contacts` and `customers` are always the customer's own, whatever the page refers to.
  async loadForCustomer(tenantId: number, wanted: ReadonlySet<string>, refs: CustomerIncludedRefs): Promise<Record<string, unknown[]>> {
    const included: Record<string, unknown[]> = {};
    const jobs: Promise<void>[] = [];
    if (wanted.has('contacts') || wanted.has('customers')) {
      jobs.push(
        (async () => {
          const [contact] = await this.contacts.findContactsByIds(tenantId, [refs.contactId]);
          const customers = contact ? await this.customers.findViewsByIds(tenantId, [contact.customerId]) : [];
          if (wanted.has('contacts')) included.contacts = customers.flatMap((view) => view.contacts).map(presentCustomerContact);
          if (wanted.has('customers')) included.customers = customers.map(presentCustomerSelf);
        })(),
      );
    }
    if (wanted.has('users')) {
      jobs.push(
        (async () => {
          included.users = (await this.users.findByIds(tenantId, ids(refs.users))).map(presentCustomerAgent);
        })(),
      );
    }
    if (wanted.has('files')) {
      jobs.push(
        (async () => {
          included.files = (await this.files.findByIds(tenantId, ids(refs.files))).map(presentCustomerFile);
        })(),
      );
    }
    await Promise.all(jobs);
    return included;
  }
}

// Each once, ordered by id, as a read by ids returns them.
function byId(contacts: readonly CustomerContact[]): CustomerContact[] {
  return [...new Map(contacts.map((contact) => [contact.id, contact])).values()].sort((a, b) => a.id - b.id);
}

function ids(values: Iterable<number | null> | undefined): number[] {
  return [...new Set([...(values ?? [])].filter((id): id is number => id !== null))];
}
