import { Injectable } from '@nestjs/common';
import { assertExpectedVersion, ConflictError, ExpectedVersions, isUniqueViolation, ListQuery, NotFoundError, PageMeta } from '@app/common';
import { Database } from '@app/database';
import { Principal } from '../auth/principal';
import { ContactPlan, ContactsInput, PlannedContact, PlanMode, contactKey, planContacts } from './contact-plan';
import { PHONE_CONTACT_TYPES } from './contact-normalization';
import { customerVersion } from './contacts.presenter';
import { ContactsService } from './contacts.service';
import { CustomerErrorCode } from './contacts.errors';
import { Customer } from './customer.entity';
import { CustomerFields, CustomersRepository, TakenContact } from './customers.repository';
import { CustomerView } from './customer.view';

export type CustomerInput = Partial<Record<keyof CustomerFields, string | null>> & ContactsInput;

const FIELDS: readonly (keyof CustomerFields)[] = [
  'firstName',
  'lastName',
  'organization',
  'extraData',
  'notes',
  'address',
  'externalId',
  'jobTitle',
];
// NOT NULL columns: cleared to ''.
const TEXT_FIELDS: readonly (keyof CustomerFields)[] = ['firstName', 'lastName'];

@Injectable()
export class CustomersService {
  constructor(
    private readonly db: Database,
    private readonly customers: CustomersRepository,
    private readonly contacts: ContactsService,
  ) {}

  async create(principal: Principal, input: CustomerInput): Promise<CustomerView> {
    const { tenantId, userId } = principal;
    const plan = planContacts([], input, 'create', await this.contacts.normalizerFor(tenantId, mayGivePhones(input)));
    plan.errors.throwIfAny();
    const id = await this.db.transaction(async () => {
      await this.assertContactsFree(tenantId, null, plan.claims);
      return this.guardContactRace(tenantId, null, plan.claims, async () => {
        const fields = fieldsOf(input, 'create');
        const id = await this.customers.insertCustomer({ tenantId, ...fields, createdBy: userId, updatedBy: userId });
        await this.customers.insertContacts(tenantId, id, plan.insert, userId);
        await this.customers.updateCustomer(tenantId, id, { mirror: true });
        return id;
      });
    });
    return this.getById(principal, id);
  }

  async getById(principal: Principal, id: number): Promise<CustomerView> {
    const customer = await this.customers.findById(principal.tenantId, id);
    if (!customer) throw this.notFound(id);
    const [view] = await this.views(principal.tenantId, [customer]);
    return view;
  }

  async list(principal: Principal, query: ListQuery): Promise<{ views: CustomerView[]; meta: PageMeta }> {
    const { rows, meta } = await this.customers.list(principal.tenantId, query);
    return { views: await this.views(principal.tenantId, rows), meta };
  }

  // PUT: every field as given (omitted ones cleared) and exactly the listed contacts.
  async replace(principal: Principal, id: number, input: CustomerInput, expected?: ExpectedVersions): Promise<CustomerView> {
    return this.change(principal, id, input, 'replace', expected);
  }

  // PATCH: only the given fields and the named contacts change.
  async update(principal: Principal, id: number, input: CustomerInput, expected?: ExpectedVersions): Promise<CustomerView> {
    return this.change(principal, id, input, 'patch', expected);
  }

  // Soft delete, with its contacts so that their values are free again; deleting a deleted
  // customer changes nothing.
  async remove(principal: Principal, id: number): Promise<void> {
    const { tenantId, userId } = principal;
    await this.db.transaction(async () => {
      if (await this.customers.softDelete(tenantId, id, userId)) return;
      if (!(await this.customers.findById(tenantId, id))) throw this.notFound(id);
    });
  }

  // Deleted customers too, as other resources side-load them.
  async findViewsByIds(tenantId: number, ids: readonly number[]): Promise<CustomerView[]> {
    return this.views(tenantId, await this.customers.findByIds(tenantId, ids));
  }

  // A 404 unless the tenant has this customer (deleted ones too).
  async assertExists(tenantId: number, id: number): Promise<void> {
    if (!(await this.customers.findById(tenantId, id))) throw this.notFound(id);
  }

  // With `expected`, only over one of those versions, checked on the locked row.
  private async change(principal: Principal, id: number, input: CustomerInput, mode: PlanMode, expected?: ExpectedVersions): Promise<CustomerView> {
    const { tenantId } = principal;
    await this.db.transaction(async () => {
      const customer = await this.lockActive(principal, id, expected);
      const normalizer = await this.contacts.normalizerFor(tenantId, mayGivePhones(input));
      const plan = planContacts(await this.customers.activeContacts(tenantId, id), input, mode, normalizer);
      plan.errors.throwIfAny();
      const fields = changedFields(customer, fieldsOf(input, mode));
      if (!plan.changed && Object.keys(fields).length === 0) return;
      await this.assertContactsFree(tenantId, id, plan.claims);
      await this.guardContactRace(tenantId, id, plan.claims, () => this.applyChange(principal, id, plan, fields));
    });
    return this.getById(principal, id);
  }

  // The customer, locked for the rest of the transaction: it exists, is active, and is at one of
  // the `expected` versions.
  private async lockActive(principal: Principal, id: number, expected?: ExpectedVersions): Promise<Customer> {
    const customer = await this.customers.findByIdForUpdate(principal.tenantId, id);
    if (!customer) throw this.notFound(id);
    await assertExpectedVersion(expected, async () => customerVersion(await this.getById(principal, id)), `customer ${id}`);
    if (customer.state === 'deleted') throw new ConflictError(CustomerErrorCode.Deleted, `customer ${id} is deleted`);
    return customer;
  }

  private async applyChange(principal: Principal, id: number, plan: ContactPlan, fields: Partial<CustomerFields>): Promise<void> {
    const { tenantId, userId } = principal;
    // Removals first, so a value removed from one contact may be given to another.
    await this.customers.removeContacts(
      tenantId,
      plan.remove.map((contact) => contact.id),
      userId,
    );
    await this.customers.updateContacts(tenantId, plan.update, userId);
    await this.customers.insertContacts(tenantId, id, plan.insert, userId);
    await this.customers.updateCustomer(tenantId, id, { fields, mirror: plan.changed, actorId: userId });
  }

  private async assertContactsFree(tenantId: number, customerId: number | null, claims: PlannedContact[]): Promise<void> {
    const taken = await this.customers.findTaken(tenantId, claims, customerId);
    if (taken.length > 0) throw contactTaken(claims, taken);
  }

  // Runs `work` in a savepoint. A request that took one of these values between our check and
  // our write makes the unique index fire: the savepoint keeps the transaction usable to name
  // the winner, and the answer is the same 409 as when the check sees it.
  private async guardContactRace<T>(tenantId: number, customerId: number | null, claims: PlannedContact[], work: () => Promise<T>): Promise<T> {
    try {
      return await this.db.savepoint(work);
    } catch (error) {
      if (!isUniqueViolation(error, 'uq_customer_contacts_value')) throw error;
      throw contactTaken(claims, await this.customers.findTaken(tenantId, claims, customerId));
    }
  }

  private async views(tenantId: number, customers: Customer[]): Promise<CustomerView[]> {
    const contacts = await this.customers.contactsOf(tenantId, customers);
    return customers.map((customer) => ({ customer, contacts: contacts.get(customer.id) ?? [] }));
  }

  private notFound(id: number): NotFoundError {
    return new NotFoundError(CustomerErrorCode.NotFound, `customer ${id} not found`);
  }
}

// The 409 naming, under each field that asked for a taken value, the customer who has it.
function contactTaken(claims: readonly PlannedContact[], taken: readonly TakenContact[]): ConflictError {
  const fields: Record<string, string[]> = {};
  for (const claim of claims) {
    const owner = taken.find((contact) => contactKey(contact.type, contact.value) === contactKey(claim.type, claim.value));
    // `email` (the shorthand) is the value itself; `contacts[0]` has one.
    const key = claim.path.startsWith('contacts') ? `${claim.path}.value` : claim.path;
    if (owner) (fields[key] ??= []).push(`is already a contact of customer ${owner.customerId}`);
  }
  const [first] = taken;
  const message = !first
    ? 'a contact was taken by another customer meanwhile; retry'
    : taken.length === 1
      ? `the ${first.type} ${first.value} is already a contact of customer ${first.customerId}`
      : `${taken.length} of these contacts already belong to other customers`;
  return new ConflictError(CustomerErrorCode.ContactTaken, message, fields);
}

// Whether the body may name a phone or mobile number (an entry with an id may keep its type).
function mayGivePhones(input: CustomerInput): boolean {
  const phoneType = (type: string | undefined) => type === undefined || type === 'contacts' || PHONE_CONTACT_TYPES.includes(type);
  return !!input.phone || !!input.mobile || (input.contacts ?? []).some((entry) => (entry.value !== undefined || entry.type !== undefined) && phoneType(entry.type));
}

// The columns a body sets: for PATCH only the given ones; otherwise all, omitted ones cleared.
function fieldsOf(input: CustomerInput, mode: PlanMode): Partial<CustomerFields> {
  const fields: Partial<Record<keyof CustomerFields, string | null>> = {};
  for (const key of FIELDS) {
    const value = input[key];
    if (value === undefined && mode === 'patch') continue;
    fields[key] = value ?? (TEXT_FIELDS.includes(key) ? '' : null);
  }
  return fields as Partial<CustomerFields>;
}

function changedFields(customer: Customer, fields: Partial<CustomerFields>): Partial<CustomerFields> {
  return Object.fromEntries(
    Object.entries(fields).filter(([key, value]) => customer[key as keyof CustomerFields] !== value),
  ) as Partial<CustomerFields>;
}
