export enum MessageErrorCode {
  NotFound = 'CONVERSATION_MESSAGE_NOT_FOUND',
  ClientMessageIdReused = 'CLIENT_MESSAGE_ID_REUSED',
}
