import { Injectable } from '@nestjs/common';
import { ListPage, ListQuery, runList, softDeleteSql } from '@app/common';
import { Database } from '@app/database';
import { In } from 'typeorm';
import { MIRRORED_TYPES, PlannedContact } from './contact-plan';
import { ContactType, CustomerContact } from './customer-contact.entity';
import { CUSTOMER_LIST } from './customer-list.definition';
import { Customer } from './customer.entity';

// The writable columns of a customer besides the mirrored email/phone/mobile.
export type CustomerFields = Pick<
  Customer,
  'firstName' | 'lastName' | 'organization' | 'extraData' | 'notes' | 'address' | 'externalId' | 'jobTitle'
>;

export interface TakenContact {
  customerId: number;
  type: string;
  value: string;
}

// A contact named across tenants (a webhook batch's, a batch of messages'), and its customer.
export interface ContactRef {
  tenantId: number;
  id: number;
}

export interface ContactOfCustomer extends ContactRef {
  customerId: number;
}

// The value of the customer's main active contact of one type (uq_customer_contacts_main finds it).
const mainContactValue = (type: string) => () =>
  `(SELECT cc.value FROM customer_contacts cc
     WHERE cc.tenant_id = customers.tenant_id AND cc.customer_id = customers.id
       AND cc.type = '${type}' AND cc.is_main AND cc.state = 'active')`;

// Every query takes the tenant first (the lookups across tenants, with each ref).
@Injectable()
export class CustomersRepository {
  constructor(private readonly db: Database) {}

  async findById(tenantId: number, id: number): Promise<Customer | null> {
    return this.db.manager.findOneBy(Customer, { tenantId, id });
  }

  async findByIds(tenantId: number, ids: readonly number[]): Promise<Customer[]> {
    if (ids.length === 0) return [];
    return this.db.manager.find(Customer, { where: { tenantId, id: In([...new Set(ids)]) }, order: { id: 'ASC' } });
  }

  // Locks the customer for the rest of the transaction: changes to one customer's contacts apply
  // one after another, so the main-contact index never sees two requests' halves.
  async findByIdForUpdate(tenantId: number, id: number): Promise<Customer | null> {
    return this.db.manager
      .createQueryBuilder(Customer, 'cu')
      .where('cu.tenant_id = :tenantId AND cu.id = :id', { tenantId, id })
      .setLock('for_no_key_update')
      .getOne();
  }

  async list(tenantId: number, query: ListQuery): Promise<ListPage<Customer>> {
    const qb = this.db.manager.createQueryBuilder(Customer, 'cu').where('cu.tenant_id = :tenantId', { tenantId });
    return runList(qb, CUSTOMER_LIST, query);
  }

  // The contacts each customer shows, oldest first, in one query: its active ones, and for a
  // deleted customer those deleted with it (same deleted_at: one transaction's now()).
  async contactsOf(tenantId: number, customers: readonly Customer[]): Promise<Map<number, CustomerContact[]>> {
    const byCustomer = new Map<number, CustomerContact[]>(customers.map((customer) => [customer.id, []]));
    if (customers.length === 0) return byCustomer;
    const contacts = await this.db.manager
      .createQueryBuilder(CustomerContact, 'cc')
      .innerJoin(Customer, 'cu', 'cu.tenant_id = cc.tenant_id AND cu.id = cc.customer_id')
      .where('cc.tenant_id = :tenantId AND cc.customer_id = ANY(:ids)', { tenantId, ids: [...byCustomer.keys()] })
      .andWhere(`(cc.state = 'active' OR (cu.state = 'deleted' AND cc.deleted_at = cu.deleted_at))`)
      .orderBy('cc.id', 'ASC')
      .getMany();
    for (const contact of contacts) byCustomer.get(contact.customerId)?.push(contact);
    return byCustomer;
  }

  async activeContacts(tenantId: number, customerId: number): Promise<CustomerContact[]> {
    return this.db.manager.find(CustomerContact, { where: { tenantId, customerId, state: 'active' }, order: { id: 'ASC' } });
  }

  // Other customers' active contacts with any of these types and values (case-insensitively).
  async findTaken(
    tenantId: number,
    contacts: readonly Pick<PlannedContact, 'type' | 'value'>[],
    exceptCustomerId: number | null,
  ): Promise<TakenContact[]> {
    if (contacts.length === 0) return [];
    return this.db.query(
      `SELECT cc.customer_id AS "customerId", cc.type, cc.value
         FROM customer_contacts cc
         JOIN unnest($2::text[], $3::text[]) AS wanted(type, value)
           ON cc.type = wanted.type AND lower(cc.value) = lower(wanted.value)
        WHERE cc.tenant_id = $1 AND cc.state = 'active' AND cc.customer_id IS DISTINCT FROM $4
        ORDER BY cc.id`,
      [tenantId, contacts.map((c) => c.type), contacts.map((c) => c.value), exceptCustomerId],
    );
  }

  async insertCustomer(values: Partial<Customer>): Promise<number> {
    const customer = this.db.manager.create(Customer, values);
    await this.db.manager.insert(Customer, customer);
    return customer.id;
  }

  // Ids follow the given order, so "the oldest of a type" is the first listed.
  async insertContacts(
    tenantId: number,
    customerId: number,
    contacts: readonly Omit<PlannedContact, 'path'>[],
    actorId: number | null,
  ): Promise<number[]> {
    if (contacts.length === 0) return [];
    const rows: { id: number }[] = await this.db.query(
      `INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main, created_by, updated_by)
       SELECT $1, $2, c.type, c.value, c.is_main, $3, $3
         FROM unnest($4::text[], $5::text[], $6::boolean[]) WITH ORDINALITY AS c(type, value, is_main, n)
        ORDER BY c.n
       RETURNING id`,
      [tenantId, customerId, actorId, contacts.map((c) => c.type), contacts.map((c) => c.value), contacts.map((c) => c.isMain)],
    );
    return rows.map((row) => row.id);
  }

  // Main flags are cleared before any is set: uq_customer_contacts_main is checked row by row.
  async updateContacts(
    tenantId: number,
    contacts: readonly (Omit<PlannedContact, 'path'> & { id: number })[],
    actorId: number,
  ): Promise<void> {
    if (contacts.length === 0) return;
    const ids = contacts.map((c) => c.id);
    await this.db.query(`UPDATE customer_contacts SET is_main = false WHERE tenant_id = $1 AND id = ANY($2) AND is_main`, [tenantId, ids]);
    await this.db.query(
      `UPDATE customer_contacts cc
          SET type = c.type, value = c.value, is_main = c.is_main, updated_at = now(), updated_by = $2
         FROM unnest($3::bigint[], $4::text[], $5::text[], $6::boolean[]) AS c(id, type, value, is_main)
        WHERE cc.tenant_id = $1 AND cc.id = c.id`,
      [tenantId, actorId, ids, contacts.map((c) => c.type), contacts.map((c) => c.value), contacts.map((c) => c.isMain)],
    );
  }

  // Soft: the values are free for others from now on. is_main stays as a record of what it was.
  async removeContacts(tenantId: number, ids: readonly number[], actorId: number | null): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(
      `UPDATE customer_contacts SET ${softDeleteSql('$3')}
        WHERE tenant_id = $1 AND id = ANY($2) AND state = 'active'`,
      [tenantId, [...ids], actorId],
    );
  }

  // One UPDATE: the given fields, updatedAt/updatedBy when `actorId` is given, and with
  // `mirror` the email/phone/mobile columns recomputed from the main active contacts.
  async updateCustomer(
    tenantId: number,
    id: number,
    changes: { fields?: Partial<CustomerFields>; mirror?: boolean; actorId?: number | null },
  ): Promise<void> {
    const set: Partial<Record<keyof Customer, unknown>> = { ...changes.fields };
    if (changes.mirror) for (const type of MIRRORED_TYPES) set[type] = mainContactValue(type);
    if (changes.actorId !== undefined) Object.assign(set, { updatedAt: () => 'now()', updatedBy: changes.actorId });
    if (Object.keys(set).length === 0) return;
    await this.db.manager
      .createQueryBuilder()
      .update(Customer)
      .set(set as Partial<Customer>)
      .where('tenant_id = :tenantId AND id = :id', { tenantId, id })
      .execute();
  }

  // Soft delete with its contacts, in the ambient transaction; updatedAt stays. False when the
  // customer was not active.
  async softDelete(tenantId: number, id: number, actorId: number): Promise<boolean> {
    const [, affected] = (await this.db.query(
      `UPDATE customers SET ${softDeleteSql('$3')}
        WHERE tenant_id = $1 AND id = $2 AND state = 'active'`,
      [tenantId, id, actorId],
    )) as [unknown, number];
    if (affected === 0) return false;
    await this.db.query(
      `UPDATE customer_contacts SET ${softDeleteSql('$3')}
        WHERE tenant_id = $1 AND customer_id = $2 AND state = 'active'`,
      [tenantId, id, actorId],
    );
    return true;
  }

  // A customer that never got its contact (the contact's value was taken meanwhile).
  async deleteUnusedCustomer(tenantId: number, id: number): Promise<void> {
    await this.db.manager.delete(Customer, { tenantId, id });
  }

  async findActiveContact(tenantId: number, id: number): Promise<CustomerContact | null> {
    return this.db.manager.findOneBy(CustomerContact, { tenantId, id, state: 'active' });
  }

  async getContact(tenantId: number, id: number): Promise<CustomerContact> {
    return this.db.manager.findOneByOrFail(CustomerContact, { tenantId, id });
  }

  // Deleted ones too.
  async findContactsByIds(tenantId: number, ids: readonly number[]): Promise<CustomerContact[]> {
    if (ids.length === 0) return [];
    return this.db.query(`SELECT ${this.db.columnsOf(CustomerContact)} FROM customer_contacts WHERE tenant_id = $1 AND id = ANY($2::bigint[]) ORDER BY id`, [
      tenantId,
      [...new Set(ids)],
    ]);
  }

  // The contacts among these, of any tenants, with their customer; deleted ones too unless `activeOnly`.
  async findContactRefs(refs: readonly ContactRef[], activeOnly: boolean): Promise<ContactOfCustomer[]> {
    if (refs.length === 0) return [];
    return this.db.query(
      `SELECT cc.tenant_id AS "tenantId", cc.id, cc.customer_id AS "customerId"
         FROM unnest($1::bigint[], $2::bigint[]) AS r(tenant_id, id)
         JOIN customer_contacts cc ON cc.tenant_id = r.tenant_id AND cc.id = r.id${activeOnly ? ` AND cc.state = 'active'` : ''}`,
      [refs.map((r) => r.tenantId), refs.map((r) => r.id)],
    );
  }

  // The active contact with this type and a value equal to `value` but for case.
  async findActiveContactByValue(tenantId: number, type: ContactType, value: string): Promise<CustomerContact | null> {
    return this.db.manager
      .createQueryBuilder(CustomerContact, 'cc')
      // lower(): what uq_customer_contacts_value compares (a row written before normalisation may differ in case).
      .where('cc.tenant_id = :tenantId AND cc.type = :type AND lower(cc.value) = lower(:value)', { tenantId, type, value })
      .andWhere(`cc.state = 'active'`)
      .getOne();
  }

  // A customer's main contact, or undefined when another customer's active contact has the value.
  async insertMainContactUnlessTaken(tenantId: number, customerId: number, type: ContactType, value: string, actorId: number | null): Promise<number | undefined> {
    const inserted: { id: number }[] = await this.db.query(
      `INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main, created_by, updated_by)
       VALUES ($1, $2, $3, $4, true, $5, $5)
       ON CONFLICT (tenant_id, type, lower(value)) WHERE state = 'active' DO NOTHING
       RETURNING id`,
      [tenantId, customerId, type, value, actorId],
    );
    return inserted[0]?.id;
  }

  // A new ticket's contact for this customer: its main email, else its oldest active contact.
  async ticketContactId(tenantId: number, customerId: number): Promise<number | null> {
    const [row] = await this.db.query<{ id: number }[]>(
      `SELECT id FROM customer_contacts WHERE tenant_id = $1 AND customer_id = $2 AND state = 'active'
        ORDER BY (type = 'email' AND is_main) DESC, id LIMIT 1`,
      [tenantId, customerId],
    );
    return row?.id ?? null;
  }

  // Locks the active contact for the rest of the transaction; whether the tenant has it.
  async lockActiveContact(tenantId: number, contactId: number): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `SELECT id FROM customer_contacts WHERE tenant_id = $1 AND id = $2 AND state = 'active' FOR NO KEY UPDATE`,
      [tenantId, contactId],
    );
    return rows.length > 0;
  }
}
