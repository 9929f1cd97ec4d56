import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ValidationError } from '@app/common';
import { AppConfig } from '@app/config';
import { Database } from '@app/database';
import { ContactNormalizer, isPhoneRegion, PHONE_CONTACT_TYPES } from './contact-normalization';
import { ContactType, CustomerContact } from './customer-contact.entity';
import { Customer } from './customer.entity';
import { CustomersRepository } from './customers.repository';

export interface ContactInput {
  type: ContactType;
  value: string;
}

@Injectable()
export class ContactsService {
  constructor(
    private readonly db: Database,
    private readonly customers: CustomersRepository,
    private readonly config: AppConfig,
  ) {}

  // The tenant's normalisation: national phone numbers are read in its default_phone_region, else
  // in DEFAULT_PHONE_REGION. The tenant is read only when `phones` says a phone number may come.
  async normalizerFor(tenantId: number, phones: boolean, manager: EntityManager = this.db.manager): Promise<ContactNormalizer> {
    if (!phones) return new ContactNormalizer(null);
    const [tenant]: { region: string | null }[] = await manager.query(`SELECT default_phone_region AS region FROM tenants WHERE id = $1`, [tenantId]);
    const region = tenant?.region ?? this.config.DEFAULT_PHONE_REGION;
    return new ContactNormalizer(isPhoneRegion(region) ? region : null);
  }

  // The active contact with this type and value, compared in normal form.
  async findContactByValue(manager: EntityManager, tenantId: number, input: ContactInput, path = 'value'): Promise<CustomerContact | null> {
    return this.findNormalisedContact(manager, tenantId, input.type, await this.normalise(manager, tenantId, input, path));
  }

  // Locks the active contact for the rest of the caller's transaction (HighLevel: finding its open
  // conversation and starting one when there is none then happen once); whether the tenant has it.
  async lockActiveContact(tenantId: number, contactId: number): Promise<boolean> {
    return this.customers.lockActiveContact(tenantId, contactId);
  }

  async findActiveContact(
    tenantId: number,
    id: number,
    manager: EntityManager = this.db.manager,
  ): Promise<CustomerContact | null> {
    return manager.findOneBy(CustomerContact, { tenantId, id, state: 'active' });
  }

  async findContactsByIds(tenantId: number, ids: readonly number[]): Promise<CustomerContact[]> {
    if (ids.length === 0) return [];
    return this.db.query(`SELECT ${this.db.columnsOf(CustomerContact)} FROM customer_contacts WHERE tenant_id = $1 AND id = ANY($2::bigint[]) ORDER BY id`, [
      tenantId,
      [...new Set(ids)],
    ]);
  }

  // The active contact with this type and value (in normal form), or a new customer owning it
  // as its main contact, mirrored in the customer's email/phone/mobile as every main contact is.
  // Safe under concurrency: the partial unique index decides, and the loser reads the winner's row.
  // A phone number that cannot be read is a validation error on `path`.
  async findOrCreateContact(
    manager: EntityManager,
    tenantId: number,
    input: ContactInput,
    actorId: number | null,
    path = 'value',
  ): Promise<CustomerContact> {
    const value = await this.normalise(manager, tenantId, input, path);
    const existing = await this.findNormalisedContact(manager, tenantId, input.type, value);
    if (existing) return existing;

    const customerId = await this.customers.insertCustomer(manager, { tenantId, createdBy: actorId, updatedBy: actorId });
    const inserted: { id: number }[] = await manager.query(
      `INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main, created_by, updated_by)
       VALUES ($1, $2, $3, $4, true, $5, $5)
       ON CONFLICT (tenant_id, type, lower(value)) WHERE state = 'active' DO NOTHING
       RETURNING id`,
      [tenantId, customerId, input.type, value, actorId],
    );
    if (inserted.length === 0) {
      // Another request created it first: drop our unused customer and use theirs.
      await manager.delete(Customer, { tenantId, id: customerId });
      const winner = await this.findNormalisedContact(manager, tenantId, input.type, value);
      if (!winner) throw new Error('contact vanished after a unique conflict');
      return winner;
    }
    await this.customers.updateCustomer(manager, tenantId, customerId, { mirror: true });
    return manager.findOneByOrFail(CustomerContact, { tenantId, id: inserted[0].id });
  }

  private async normalise(manager: EntityManager, tenantId: number, input: ContactInput, path: string): Promise<string> {
    const normalizer = await this.normalizerFor(tenantId, PHONE_CONTACT_TYPES.includes(input.type), manager);
    const value = normalizer.value(input.type, input.value);
    if (value === null) throw ValidationError.of(path, normalizer.unreadablePhone);
    return value;
  }

  private async findNormalisedContact(
    manager: EntityManager,
    tenantId: number,
    type: ContactType,
    value: string,
  ): Promise<CustomerContact | null> {
    return manager
      .createQueryBuilder(CustomerContact, 'cc')
      // lower(): what uq_customer_contacts_value compares (a row written before normalisation may differ in case).
      .where('cc.tenant_id = :tenantId AND cc.type = :type AND lower(cc.value) = lower(:value)', { tenantId, type, value })
      .andWhere(`cc.state = 'active'`)
      .getOne();
  }
}
