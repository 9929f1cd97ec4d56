import { Injectable } from '@nestjs/common';
import { ValidationError } from '@app/common';
import { AppConfig } from '@app/config';
import { TenantsService } from '../auth/tenants.service';
import { ContactNormalizer, isPhoneRegion, PHONE_CONTACT_TYPES } from './contact-normalization';
import { ContactType, CustomerContact } from './customer-contact.entity';
import { Customer } from './customer.entity';
import { ContactOfCustomer, ContactRef, CustomersRepository } from './customers.repository';

export interface ContactInput {
  type: ContactType;
  value: string;
}

// Every method reads and writes in the ambient transaction, if any (Database).
@Injectable()
export class ContactsService {
  constructor(
    private readonly customers: CustomersRepository,
    private readonly tenants: TenantsService,
    private readonly config: AppConfig,
  ) {}

  // The tenant's normalisation: national phone numbers are read in its default_phone_region, else
  // in DEFAULT_PHONE_REGION. The tenant is read only when `phones` says a phone number may come.
  async normalizerFor(tenantId: number, phones: boolean): Promise<ContactNormalizer> {
    if (!phones) return new ContactNormalizer(null);
    const region = (await this.tenants.defaultPhoneRegion(tenantId)) ?? this.config.DEFAULT_PHONE_REGION;
    return new ContactNormalizer(isPhoneRegion(region) ? region : null);
  }

  // The active contact with this type and value, compared in normal form.
  async findContactByValue(tenantId: number, input: ContactInput, path = 'value'): Promise<CustomerContact | null> {
    return this.customers.findActiveContactByValue(tenantId, input.type, await this.normalise(tenantId, input, path));
  }

  // Locks the active contact for the rest of the caller's transaction (HighLevel: finding its open
  // conversation and starting one when there is none then happen once); whether the tenant has it.
  async lockActiveContact(tenantId: number, contactId: number): Promise<boolean> {
    return this.customers.lockActiveContact(tenantId, contactId);
  }

  async findActiveContact(tenantId: number, id: number): Promise<CustomerContact | null> {
    return this.customers.findActiveContact(tenantId, id);
  }

  async findContactsByIds(tenantId: number, ids: readonly number[]): Promise<CustomerContact[]> {
    return this.customers.findContactsByIds(tenantId, ids);
  }

  // Which of these contacts, of any tenants (a webhook batch's), are active, with their customer.
  async findActiveContactRefs(refs: readonly ContactRef[]): Promise<ContactOfCustomer[]> {
    return this.customers.findContactRefs(refs, true);
  }

  // The customer of each of these contacts, of any tenants, deleted ones too.
  async findContactRefs(refs: readonly ContactRef[]): Promise<ContactOfCustomer[]> {
    return this.customers.findContactRefs(refs, false);
  }

  // The active contact with this type and value (in normal form), or a new customer owning it
  // as its main contact, mirrored in the customer's email/phone/mobile as every main contact is.
  // Safe under concurrency: the partial unique index decides, and the loser reads the winner's row.
  // A phone number that cannot be read is a validation error on `path`. A new customer takes
  // `names` (an inbound email's display name).
  async findOrCreateContact(
    tenantId: number,
    input: ContactInput,
    actorId: number | null,
    path = 'value',
    names: Partial<Pick<Customer, 'firstName' | 'lastName'>> = {},
  ): Promise<CustomerContact> {
    const value = await this.normalise(tenantId, input, path);
    const existing = await this.customers.findActiveContactByValue(tenantId, input.type, value);
    if (existing) return existing;

    const customerId = await this.customers.insertCustomer({ tenantId, ...names, createdBy: actorId, updatedBy: actorId });
    const id = await this.customers.insertMainContactUnlessTaken(tenantId, customerId, input.type, value, actorId);
    if (id === undefined) {
      // Another request created it first: drop our unused customer and use theirs.
      await this.customers.deleteUnusedCustomer(tenantId, customerId);
      const winner = await this.customers.findActiveContactByValue(tenantId, input.type, value);
      if (!winner) throw new Error('contact vanished after a unique conflict');
      return winner;
    }
    await this.customers.updateCustomer(tenantId, customerId, { mirror: true });
    return this.customers.getContact(tenantId, id);
  }

  private async normalise(tenantId: number, input: ContactInput, path: string): Promise<string> {
    const normalizer = await this.normalizerFor(tenantId, PHONE_CONTACT_TYPES.includes(input.type));
    const value = normalizer.value(input.type, input.value);
    if (value === null) throw ValidationError.of(path, normalizer.unreadablePhone);
    return value;
  }

  // The tenant's customer with this id, deleted ones too (a ticket's customer by reference).
  async findCustomer(tenantId: number, id: number): Promise<Customer | null> {
    return this.customers.findById(tenantId, id);
  }

  // The contact a new ticket for this customer is with: its main email, else its oldest active contact.
  async ticketContactId(tenantId: number, customerId: number): Promise<number | null> {
    return this.customers.ticketContactId(tenantId, customerId);
  }
}
