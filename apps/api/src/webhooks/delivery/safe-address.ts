import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

// Where a webhook may be sent (SSRF): only to public addresses, resolved when it is sent (a name
// that resolved to a public address at creation may resolve to 127.0.0.1 later), unless
// WEBHOOK_ALLOWED_HOSTS names the host, the address or a range holding it; only https unless
// WEBHOOK_ALLOW_HTTP. The sender connects to the address checked here, never resolving again.

export interface WebhookAddressRules {
  allowHttp: boolean;
  // Host names, lower case.
  allowedNames: ReadonlySet<string>;
  // Addresses and ranges.
  allowedAddresses: BlockList;
}

export interface WebhookTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

export type Resolve = (host: string) => Promise<{ address: string; family: number }[]>;

export class UnsafeWebhookAddress extends Error {}

// Not public: loopback, private, link-local, multicast, unspecified, CGNAT, documentation,
// benchmarking, reserved; in IPv6 also the forms that embed an IPv4 address (IPv4-compatible, NAT64,
// 6to4), which would otherwise reach a private IPv4 address. An IPv4-mapped address is judged by its IPv4
// address (embeddedIpv4): BlockList matches IPv4 addresses against an IPv6 rule for ::ffff:0:0/96,
// so that range cannot be listed here.
const REFUSED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  REFUSED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  // Unspecified, loopback and the deprecated IPv4-compatible form (::7f00:1 is 127.0.0.1).
  ['::', 96],
  ['64:ff9b::', 96],
  // Local-use NAT64 (RFC 8215).
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  // Deprecated site-local, still routed inside some networks.
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  REFUSED.addSubnet(network, prefix, 'ipv6');
}

// WEBHOOK_ALLOWED_HOSTS: comma-separated host names, addresses or CIDR ranges.
export function webhookAddressRules(config: { WEBHOOK_ALLOWED_HOSTS?: string; WEBHOOK_ALLOW_HTTP: boolean }): WebhookAddressRules {
  const allowedNames = new Set<string>();
  const allowedAddresses = new BlockList();
  for (const entry of (config.WEBHOOK_ALLOWED_HOSTS ?? '').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean)) {
    const [network, prefix] = entry.replace(/^\[|\]$/g, '').split('/');
    const family = isIP(network);
    if (family === 0) allowedNames.add(entry);
    else if (prefix === undefined) allowedAddresses.addAddress(network, family === 4 ? 'ipv4' : 'ipv6');
    else allowedAddresses.addSubnet(network, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
  }
  return { allowHttp: config.WEBHOOK_ALLOW_HTTP, allowedNames, allowedAddresses };
}

// Whether an address may be sent to under these rules.
export function isAllowedAddress(address: string, rules: WebhookAddressRules): boolean {
  const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (rules.allowedAddresses.check(address, type)) return true;
  const mapped = type === 'ipv6' ? embeddedIpv4(address) : null;
  if (mapped && rules.allowedAddresses.check(mapped, 'ipv4')) return true;
  return !REFUSED.check(address, type) && !(mapped && REFUSED.check(mapped, 'ipv4'));
}

// The address to connect to for `url`, or UnsafeWebhookAddress saying why not. Every address the
// name resolves to must be allowed (a name with one public and one private address is refused).
export async function resolveWebhookTarget(url: string, rules: WebhookAddressRules, resolve: Resolve = defaultResolve): Promise<WebhookTarget> {
  const parsed = checkWebhookUrlSyntax(url, rules);
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  let addresses: { address: string; family: number }[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolve(host);
  } catch (error) {
    throw new UnsafeWebhookAddress(`${host} does not resolve: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (addresses.length === 0) throw new UnsafeWebhookAddress(`${host} does not resolve`);
  if (!rules.allowedNames.has(host)) {
    const refused = addresses.find((a) => !isAllowedAddress(a.address, rules));
    if (refused) throw new UnsafeWebhookAddress(`${host} resolves to ${refused.address}, which is not a public address (WEBHOOK_ALLOWED_HOSTS does not name it)`);
  }
  const [first] = addresses;
  return { url: parsed, address: first.address, family: first.family === 6 ? 6 : 4 };
}

// For the subscriptions' API at creation: the reason a URL would be refused, or null.
export async function webhookUrlRefusal(url: string, rules: WebhookAddressRules, resolve: Resolve = defaultResolve): Promise<string | null> {
  try {
    await resolveWebhookTarget(url, rules, resolve);
    return null;
  } catch (error) {
    if (error instanceof UnsafeWebhookAddress) return error.message;
    throw error;
  }
}

function checkWebhookUrlSyntax(url: string, rules: WebhookAddressRules): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnsafeWebhookAddress('not an absolute URL');
  }
  if (parsed.protocol !== 'https:' && !(rules.allowHttp && parsed.protocol === 'http:')) {
    throw new UnsafeWebhookAddress(rules.allowHttp ? 'only http and https URLs' : 'only https URLs (WEBHOOK_ALLOW_HTTP is off)');
  }
  return parsed;
}

// The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) IPv6 address, else null.
function embeddedIpv4(address: string): string | null {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const [high, low] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

async function defaultResolve(host: string): Promise<{ address: string; family: number }[]> {
  return dnsLookup(host, { all: true, verbatim: true });
}
