import { ListSpec } from '@app/common';
import { normalizeContactQuery, normalizeEmail } from './contact-normalization';

// What GET /customers.json lets a caller filter, order, pick and side-load.
export const CUSTOMER_LIST: ListSpec = {
  filterable: {
    id: { column: 'cu.id', type: 'integer' },
    firstName: { column: 'cu.first_name', type: 'string' },
    lastName: { column: 'cu.last_name', type: 'string' },
    organization: { column: 'cu.organization', type: 'string', nullable: true },
    externalId: { column: 'cu.external_id', type: 'string', nullable: true },
    // lower(email) is what ix_customers_email holds, so filters and ordering both use it.
    // Values are normalised as stored ones are (invisibles, NFKC, case).
    email: { column: 'lower(cu.email)', type: 'string', nullable: true, caseInsensitive: true, normalize: normalizeEmail },
    state: { column: 'cu.state', type: 'string', values: ['active', 'deleted'] },
    createdAt: { column: 'cu.created_at', type: 'date' },
    updatedAt: { column: 'cu.updated_at', type: 'date' },
    // Any active contact of the customer; ix_customer_contacts_value finds lower(value) whatever the type.
    'contacts.value': {
      column: 'lower(ccf.value)',
      type: 'string',
      caseInsensitive: true,
      // Of any type: cleaned and lower-cased, an international phone number in E.164.
      normalize: normalizeContactQuery,
      exists: (condition) =>
        `EXISTS (SELECT 1 FROM customer_contacts ccf
                  WHERE ccf.tenant_id = cu.tenant_id AND ccf.customer_id = cu.id AND ccf.state = 'active' AND ${condition})`,
    },
  },
  // Each served by a (tenant_id, key, id) index.
  sortable: ['createdAt', 'email', 'firstName', 'id', 'lastName', 'updatedAt'],
  defaultOrderBy: 'createdAt',
  defaultOrderMode: 'desc',
  includes: ['contacts'],
  fields: [
    'address',
    'contacts',
    'createdAt',
    'createdBy',
    'deletedAt',
    'deletedBy',
    'email',
    'externalId',
    'extraData',
    'firstName',
    'id',
    'jobTitle',
    'lastName',
    'mobile',
    'notes',
    'organization',
    'phone',
    'state',
    'updatedAt',
    'updatedBy',
  ],
  stateField: 'state',
  tieBreaker: 'cu.id',
};
