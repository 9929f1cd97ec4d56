export enum WebhookErrorCode {
  WebhookNotFound = 'WEBHOOK_NOT_FOUND',
  DeliveryNotFound = 'WEBHOOK_DELIVERY_NOT_FOUND',
  // A ping or a redelivery to a disabled subscription would wait in its queue until it is active.
  WebhookNotActive = 'WEBHOOK_NOT_ACTIVE',
  UrlInvalid = 'WEBHOOK_URL_INVALID',
}
