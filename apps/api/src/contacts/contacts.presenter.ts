import { auditFields, ref } from '@app/common';
import { CustomerContact } from './customer-contact.entity';
import { Customer } from './customer.entity';

// The seeds' CustomerContact.
export function presentContact(contact: CustomerContact) {
  return {
    id: contact.id,
    customer: ref(contact.customerId, 'customers'),
    type: contact.type,
    value: contact.value,
    isMain: contact.isMain,
    ...auditFields(contact),
  };
}

// Teamwork's Customer, with its contacts as refs.
export function presentCustomer(customer: Customer, contactIds: readonly number[]) {
  return {
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
}
