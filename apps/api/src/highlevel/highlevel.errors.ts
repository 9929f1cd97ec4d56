// Stable codes of the HighLevel dialect's errors, sent as X-Error-Code.
export const HighLevelErrorCode = {
  VersionMissing: 'HL_VERSION_MISSING',
  VersionUnsupported: 'HL_VERSION_UNSUPPORTED',
  LocationForbidden: 'HL_LOCATION_FORBIDDEN',
  RateLimited: 'HL_RATE_LIMITED',
  ConversationNotFound: 'HL_CONVERSATION_NOT_FOUND',
  ConversationExists: 'HL_CONVERSATION_EXISTS',
  MessageNotFound: 'HL_MESSAGE_NOT_FOUND',
  ValidationFailed: 'HL_VALIDATION_FAILED',
} as const;
