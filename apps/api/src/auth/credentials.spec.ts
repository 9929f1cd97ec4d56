import { UnauthenticatedError } from '@app/common';
import { apiKeyFromAuthorization } from './credentials';

describe(apiKeyFromAuthorization.name, () => {
  const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

  it('should read the key from Bearer and from Basic (user part, password ignored)', () => {
    expect(apiKeyFromAuthorization('Bearer hdk_abc')).toBe('hdk_abc');
    expect(apiKeyFromAuthorization('bearer   hdk_abc ')).toBe('hdk_abc');
    expect(apiKeyFromAuthorization(basic('hdk_abc:x'))).toBe('hdk_abc');
    expect(apiKeyFromAuthorization(basic('hdk_abc'))).toBe('hdk_abc');
  });

  it.each([undefined, '', '   '])('should say credentials are missing when the header is %j', (header) => {
    expect(() => apiKeyFromAuthorization(header)).toThrow(
      new UnauthenticatedError('CREDENTIALS_MISSING', 'authentication required: send Authorization: Bearer <api key>'),
    );
  });

  it.each(['Token abc', 'Bearer', 'Bearer a b', basic(':password')])('should call %j malformed', (header) => {
    expect(() => apiKeyFromAuthorization(header)).toThrow(expect.objectContaining({ code: 'CREDENTIALS_MALFORMED' }));
  });
});
