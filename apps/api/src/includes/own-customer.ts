import type { CustomerContact } from '../contacts/customer-contact.entity';
import type { CustomerView } from '../contacts/customer.view';
import { RefsContext, RefsOf } from './sideloads';

// Whose conversation a customer's page is: its contact, and the contact's customer when known.
export interface Owner {
  contactId: number;
  customerId?: number;
}

// A customer's `contacts` and `customers` side-loads: always their own record and contacts,
// whatever the page refers to.
export function ownCustomerRefs<V, P>(ownerOf: (views: readonly V[], page: P) => Owner): { contacts: RefsOf<V, P>; customers: RefsOf<V, P> } {
  const own = async (views: readonly V[], { page, related }: RefsContext<P>): Promise<CustomerView[]> => {
    const { contactId, customerId } = ownerOf(views, page);
    const id = customerId ?? (await related<CustomerContact>('contacts', [contactId]))[0]?.customerId;
    return id === undefined ? [] : related<CustomerView>('customers', [id]);
  };
  return {
    contacts: async (views, context) => ({ rows: (await own(views, context)).flatMap((view) => view.contacts) }),
    customers: async (views, context) => ({ rows: await own(views, context) }),
  };
}
