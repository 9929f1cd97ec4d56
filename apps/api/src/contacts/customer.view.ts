import type { CustomerContact } from './customer-contact.entity';
import type { Customer } from './customer.entity';

// A customer with the contacts its wire form shows.
export interface CustomerView {
  customer: Customer;
  contacts: CustomerContact[];
}
