export const WEBHOOK_URL_MAX_LENGTH = 2048;

// Why `url` cannot name a receiver, as far as its text tells, or null when it can: absolute, https
// (http too when WEBHOOK_ALLOW_HTTP), a host, no credentials (they would be shown back in every GET
// and logged by proxies; receivers verify the signature instead). Where the host resolves is
// checked at creation and again at every delivery (webhooks/delivery/safe-address.ts).
export function webhookUrlProblem(url: string, allowHttp: boolean): string | null {
  if (url.length > WEBHOOK_URL_MAX_LENGTH) return `must be shorter than ${WEBHOOK_URL_MAX_LENGTH + 1} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute URL';
  }
  if (parsed.protocol !== 'https:' && !(allowHttp && parsed.protocol === 'http:')) {
    return allowHttp ? 'must be an http or https URL' : 'must be an https URL';
  }
  if (parsed.hostname === '') return 'must name a host';
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry credentials';
  return null;
}
