import { UnauthenticatedError } from '@app/common';
import { AuthErrorCode } from './auth.errors';

// The API key in `Authorization: Bearer <key>` or `Authorization: Basic base64(<key>:<anything>)`.
export function apiKeyFromAuthorization(header: string | undefined): string {
  if (!header || header.trim() === '') {
    throw new UnauthenticatedError(
      AuthErrorCode.CredentialsMissing,
      'authentication required: send Authorization: Bearer <api key>',
    );
  }
  const match = /^(Bearer|Basic)\s+(\S+)\s*$/i.exec(header.trim());
  if (!match) throw malformed();
  const [, scheme, credentials] = match;
  if (scheme.toLowerCase() === 'bearer') return credentials;

  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  const key = separator === -1 ? decoded : decoded.slice(0, separator);
  if (key === '') throw malformed();
  return key;
}

function malformed(): UnauthenticatedError {
  return new UnauthenticatedError(
    AuthErrorCode.CredentialsMalformed,
    'malformed Authorization header: use Bearer <api key> or Basic base64(<api key>:x)',
  );
}
