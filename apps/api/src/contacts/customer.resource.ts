import { ResourceDefinition } from '../http/resource';
import { presentCustomerView } from './contacts.presenter';
import { CUSTOMER_LIST } from './customer-list.definition';
import type { CustomerView } from './customer.view';

export const CUSTOMER: ResourceDefinition<CustomerView> = {
  name: 'customer',
  plural: 'customers',
  present: presentCustomerView,
  version: 'wire',
  list: CUSTOMER_LIST,
  // Their contacts, which the views already hold.
  sideloads: { audience: 'agent', refs: { contacts: (views) => ({ rows: views.flatMap((view) => view.contacts) }) } },
};
