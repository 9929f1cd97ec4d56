export enum WebhookErrorCode {
  SignatureMissing = 'WEBHOOK_SIGNATURE_MISSING',
  KeyUnknown = 'WEBHOOK_KEY_UNKNOWN',
  SignatureInvalid = 'WEBHOOK_SIGNATURE_INVALID',
  ContentType = 'WEBHOOK_CONTENT_TYPE',
}
