import { AUDIT_SCHEMA_PROPERTIES, ENTITY_REF_SCHEMA, PAGE_META_SCHEMA } from '@app/common';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { CONTACT_TYPES } from './customer-contact.entity';

const text = (description?: string): SchemaObject => ({ type: 'string', nullable: true, ...(description ? { description } : {}) });

export const CONTACT_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'CustomerContact: a customer contact detail',
  properties: {
    id: { type: 'integer' },
    customer: ENTITY_REF_SCHEMA,
    type: { type: 'string', enum: [...CONTACT_TYPES] },
    value: {
      type: 'string',
      description:
        'Stored and compared in normal form: NFKC, invisible characters removed, trimmed; emails lower-cased; phone and mobile numbers in E.164 ' +
        "(a national number read in the tenant's default phone region; one that cannot be read is a 400). Unique per tenant and type among active contacts",
    },
    isMain: { type: 'boolean', description: 'Exactly one contact of each type is main' },
    ...AUDIT_SCHEMA_PROPERTIES,
  },
};

// Teamwork's Customer, as presentCustomer() writes it.
export const CUSTOMER_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    firstName: { type: 'string' },
    lastName: { type: 'string' },
    email: text('The main email contact'),
    organization: text(),
    extraData: text(),
    notes: text(),
    phone: text('The main phone contact'),
    mobile: text('The main mobile contact'),
    address: text(),
    externalId: text(),
    jobTitle: text(),
    contacts: { type: 'array', items: ENTITY_REF_SCHEMA, description: 'Refs {id, type: "contacts"}; includes=contacts side-loads them' },
    ...AUDIT_SCHEMA_PROPERTIES,
  },
};

export const CUSTOMER_ENVELOPE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    customer: CUSTOMER_SCHEMA,
    included: { type: 'object', properties: { contacts: { type: 'array', items: CONTACT_SCHEMA } } },
  },
};

export const CUSTOMERS_LIST_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    customers: { type: 'array', items: CUSTOMER_SCHEMA },
    included: { type: 'object', properties: { contacts: { type: 'array', items: CONTACT_SCHEMA } } },
    meta: PAGE_META_SCHEMA,
  },
};
