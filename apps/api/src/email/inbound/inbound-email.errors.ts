export enum InboundEmailErrorCode {
  // No `Authorization: Bearer hdi_…`, or not the current secret of an active inbox.
  SecretInvalid = 'INBOUND_SECRET_INVALID',
}
