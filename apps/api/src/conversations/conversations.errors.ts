export enum ConversationErrorCode {
  NotFound = 'CONVERSATION_NOT_FOUND',
  TokenNotFound = 'CONVERSATION_TOKEN_NOT_FOUND',
  CustomerNotFound = 'CUSTOMER_NOT_FOUND',
}
