export enum MessageErrorCode {
  NotFound = 'CONVERSATION_MESSAGE_NOT_FOUND',
}
