export enum CustomerErrorCode {
  NotFound = 'CUSTOMER_NOT_FOUND',
  // An active contact value belongs to one customer per tenant and type.
  ContactTaken = 'CUSTOMER_CONTACT_TAKEN',
  // A deleted customer's contacts were freed with it; it is read-only.
  Deleted = 'CUSTOMER_DELETED',
}
