import { Injectable } from '@nestjs/common';
import { presentUser } from '../auth/user.presenter';
import { User } from '../auth/user.entity';
import { UsersService } from '../auth/users.service';
import { presentContact, presentCustomerView } from '../contacts/contacts.presenter';
import { CustomerContact } from '../contacts/customer-contact.entity';
import { ContactsService } from '../contacts/contacts.service';
import { CustomersService } from '../contacts/customers.service';
import { presentCustomerAgent, presentCustomerContact, presentCustomerSelf } from '../customer-view/customer-view.presenter';
import { presentCustomerFile } from '../files/customer-file.presenter';
import { presentFile } from '../files/file.presenter';
import { FilesService } from '../files/files.service';
import { StoredFile } from '../files/stored-file.entity';

// What a customer's side-load refers to: their conversation's contact (whose customer, with its
// contacts, is theirs; `customerId` when the caller has read it already), the agents they may see by
// name, the files of messages they may see.
export interface CustomerIncludedRefs {
  contactId: number;
  customerId?: number;
  users?: Iterable<number | null>;
  files?: Iterable<number | null>;
}

// The ids a page of resources refers to, by type.
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
    if (wanted.has('users')) jobs.push(this.loadUsers(tenantId, refs.users, presentUser, included));
    if (wanted.has('files')) jobs.push(this.loadFiles(tenantId, refs.files, presentFile, included));
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
          const customerId = refs.customerId ?? (await this.contacts.findContactsByIds(tenantId, [refs.contactId]))[0]?.customerId;
          const customers = customerId === undefined ? [] : await this.customers.findViewsByIds(tenantId, [customerId]);
          if (wanted.has('contacts')) included.contacts = customers.flatMap((view) => view.contacts).map(presentCustomerContact);
          if (wanted.has('customers')) included.customers = customers.map(presentCustomerSelf);
        })(),
      );
    }
    if (wanted.has('users')) jobs.push(this.loadUsers(tenantId, refs.users, presentCustomerAgent, included));
    if (wanted.has('files')) jobs.push(this.loadFiles(tenantId, refs.files, presentCustomerFile, included));
    await Promise.all(jobs);
    return included;
  }

  // The agents and files referred to, each audience through its own presenter.
  private async loadUsers(tenantId: number, refs: IncludedRefs['users'], present: (user: User) => unknown, into: Record<string, unknown[]>) {
    into.users = (await this.users.findByIds(tenantId, ids(refs))).map((user) => present(user));
  }

  private async loadFiles(tenantId: number, refs: IncludedRefs['files'], present: (file: StoredFile) => unknown, into: Record<string, unknown[]>) {
    into.files = (await this.files.findByIds(tenantId, ids(refs))).map((file) => present(file));
  }
}

// Each once, ordered by id, as a read by ids returns them.
function byId(contacts: readonly CustomerContact[]): CustomerContact[] {
  return [...new Map(contacts.map((contact) => [contact.id, contact])).values()].sort((a, b) => a.id - b.id);
}

function ids(values: Iterable<number | null> | undefined): number[] {
  return [...new Set([...(values ?? [])].filter((id): id is number => id !== null))];
}
