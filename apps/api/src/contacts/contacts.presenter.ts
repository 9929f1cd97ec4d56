import { auditFields, pickFields, ref, representationVersion } from '@app/common';
import { CustomerContact } from './customer-contact.entity';
import { Customer } from './customer.entity';
import type { CustomerView } from './customer.view';
import type { ContactWire, CustomerWire } from './customer.openapi';

// Teamwork Desk API v2's CustomerContact.
export function presentContact(contact: CustomerContact): ContactWire {
  return {
    id: contact.id,
    customer: ref(contact.customerId, 'customers'),
    type: contact.type,
    value: contact.value,
    isMain: contact.isMain,
    ...auditFields(contact),
  };
}

// Teamwork's Customer, with its contacts as refs; `fields` makes it sparse (the id always stays).
export function presentCustomer(customer: Customer, contactIds: readonly number[], fields: readonly string[] | null = null): Partial<CustomerWire> {
  const wire: CustomerWire = {
    id: customer.id,
    firstName: customer.firstName,
    lastName: customer.lastName,
    email: customer.email,
    organization: customer.organization,
    extraData: customer.extraData,
    notes: customer.notes,
    phone: customer.phone,
    mobile: customer.mobile,
    address: customer.address,
    externalId: customer.externalId,
    jobTitle: customer.jobTitle,
    contacts: contactIds.map((id) => ref(id, 'contacts')),
    ...auditFields(customer),
  };
  return pickFields(wire, fields);
}

export function presentCustomerView({ customer, contacts }: CustomerView, fields: readonly string[] | null = null) {
  return presentCustomer(
    customer,
    contacts.map((contact) => contact.id),
    fields,
  );
}

// The version its ETag shows: of the whole wire form, whatever `fields` a response picks.
export function customerVersion(view: CustomerView): string {
  return representationVersion(presentCustomerView(view));
}
