import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Database } from '@app/database';
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
  ) {}

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

  // The active contact with this type and value (case-insensitively), or a new customer owning it
  // as its main contact, mirrored in the customer's email/phone/mobile as every main contact is.
  // Safe under concurrency: the partial unique index decides, and the loser reads the winner's row.
  async findOrCreateContact(
    manager: EntityManager,
    tenantId: number,
    input: ContactInput,
    actorId: number | null,
  ): Promise<CustomerContact> {
    const value = input.value.trim();
    const existing = await this.findContactByValue(manager, tenantId, input.type, value);
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
      const winner = await this.findContactByValue(manager, tenantId, input.type, value);
      if (!winner) throw new Error('contact vanished after a unique conflict');
      return winner;
    }
    await this.customers.updateCustomer(manager, tenantId, customerId, { mirror: true });
    return manager.findOneByOrFail(CustomerContact, { tenantId, id: inserted[0].id });
  }

  private async findContactByValue(
    manager: EntityManager,
    tenantId: number,
    type: ContactType,
    value: string,
  ): Promise<CustomerContact | null> {
    return manager
      .createQueryBuilder(CustomerContact, 'cc')
      .where('cc.tenant_id = :tenantId AND cc.type = :type AND lower(cc.value) = lower(:value)', { tenantId, type, value })
      .andWhere(`cc.state = 'active'`)
      .getOne();
  }
}
