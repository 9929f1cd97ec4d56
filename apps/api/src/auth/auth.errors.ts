export enum AuthErrorCode {
  CredentialsMissing = 'CREDENTIALS_MISSING',
  CredentialsMalformed = 'CREDENTIALS_MALFORMED',
  ApiKeyInvalid = 'API_KEY_INVALID',
  TenantNotFound = 'TENANT_NOT_FOUND',
  UserNotFound = 'USER_NOT_FOUND',
  UserAmbiguous = 'USER_AMBIGUOUS',
  ApiKeyNotFound = 'API_KEY_NOT_FOUND',
  AdminRequired = 'ADMIN_REQUIRED',
  UserEmailTaken = 'USER_EMAIL_TAKEN',
  LastAdmin = 'USER_LAST_ADMIN',
}
