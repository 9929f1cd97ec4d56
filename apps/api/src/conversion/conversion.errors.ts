export enum ConversionErrorCode {
  AlreadyConverted = 'CONVERSATION_ALREADY_CONVERTED',
}
