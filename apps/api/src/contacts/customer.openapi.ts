import { AUDIT_OPTIONAL, AUDIT_SCHEMA_PROPERTIES, ENTITY_REF_SCHEMA, includedSchema, PAGE_META_SCHEMA, wire, type Wire } from '@app/common';
import { CONTACT_TYPES } from './customer-contact.entity';

const text = (description?: string) => wire.nullable(wire.string(), description ? { description } : {});

export const CONTACT_SCHEMA = wire.object(
  {
    id: wire.integer(),
    customer: ENTITY_REF_SCHEMA,
    type: wire.enum(CONTACT_TYPES),
    value: wire.string({
      description:
        'Stored and compared in normal form: NFKC, invisible characters removed, trimmed; emails lower-cased; phone and mobile numbers in E.164 ' +
        "(a national number read in the tenant's default phone region; one that cannot be read is a 400). Unique per tenant and type among active contacts",
    }),
    isMain: wire.boolean({ description: 'Exactly one contact of each type is main' }),
    ...AUDIT_SCHEMA_PROPERTIES,
  },
  { optional: AUDIT_OPTIONAL, description: 'CustomerContact: a customer contact detail' },
);
export type ContactWire = Wire<typeof CONTACT_SCHEMA>;

// Teamwork's Customer, as presentCustomer() writes it.
export const CUSTOMER_SCHEMA = wire.object(
  {
    id: wire.integer(),
    firstName: wire.string(),
    lastName: wire.string(),
    email: text('The main email contact'),
    organization: text(),
    extraData: text(),
    notes: text(),
    phone: text('The main phone contact'),
    mobile: text('The main mobile contact'),
    address: text(),
    externalId: text(),
    jobTitle: text(),
    contacts: wire.array(ENTITY_REF_SCHEMA, { description: 'Refs {id, type: "contacts"}; includes=contacts side-loads them' }),
    ...AUDIT_SCHEMA_PROPERTIES,
  },
  { optional: AUDIT_OPTIONAL },
);
export type CustomerWire = Wire<typeof CUSTOMER_SCHEMA>;

export const CUSTOMERS_INCLUDED_SCHEMA = includedSchema({ contacts: CONTACT_SCHEMA });

export const CUSTOMER_ENVELOPE_SCHEMA = wire.object({ customer: CUSTOMER_SCHEMA, included: CUSTOMERS_INCLUDED_SCHEMA }, { optional: ['included'] });

export const CUSTOMERS_LIST_SCHEMA = wire.object({
  customers: wire.array(CUSTOMER_SCHEMA),
  included: CUSTOMERS_INCLUDED_SCHEMA,
  meta: PAGE_META_SCHEMA,
});
