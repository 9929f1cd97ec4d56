export enum ConversationErrorCode {
  NotFound = 'CONVERSATION_NOT_FOUND',
  TokenNotFound = 'CONVERSATION_TOKEN_NOT_FOUND',
}
