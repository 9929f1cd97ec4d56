export enum TicketErrorCode {
  NotFound = 'TICKET_NOT_FOUND',
  Deleted = 'TICKET_DELETED',
  MessageNotFound = 'TICKET_MESSAGE_NOT_FOUND',
}
