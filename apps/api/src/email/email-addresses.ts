import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// How a ticket's emails find their way back to it: every message that goes out carries a
// Message-ID that names its tenant, ticket and thread message, and a Reply-To that names the ticket
// (`support+t{ticketId}.{tag}@example.com`). A reply is matched by In-Reply-To/References first
// (those Message-IDs are stored on the thread: ticket_messages.email_message_id), then by that
// address. The tag is an HMAC of the tenant and ticket under a key of the service's
// (ReplyAddresses): a ticket id can be guessed, its tag cannot, so an address nobody was sent does
// not reach the ticket.

export interface ThreadMessageRef {
  tenantId: number;
  ticketId: number;
  messageId: number;
}

// Hex characters of the tag: 40 bits, lower case so that an MTA that folds case keeps it.
const REPLY_TAG_LENGTH = 10;

// `<t{tenant}.{ticket}.{message}.{random}@{domain}>`: unique however often a message is sent again,
// and the domain is the inbox's, so mail clients thread it with the inbox's mail.
export function outgoingMessageId(ref: ThreadMessageRef, fromAddress: string): string {
  return `<t${ref.tenantId}.${ref.ticketId}.${ref.messageId}.${randomBytes(6).toString('hex')}@${domainOf(fromAddress)}>`;
}

// The tag of a ticket's reply address under `key`.
export function replyTag(key: Buffer, tenantId: number, ticketId: number): string {
  return createHmac('sha256', key).update(`${tenantId}:${ticketId}`, 'utf8').digest('hex').slice(0, REPLY_TAG_LENGTH);
}

// The ticket a reply address names, for `local+t{id}.{tag}@domain` whose tag is `tagOf(id)`
// (compared in constant time); null for any other address. The last `+t…` counts, so an inbox
// address with a tag of its own (`support+sales@…`) still works.
export function ticketOfReplyAddress(address: string, tagOf: (ticketId: number) => string): number | null {
  const match = /^[^@\s]+\+t(\d{1,18})\.([0-9a-z]+)@[^@\s]+$/i.exec(address.trim());
  if (!match) return null;
  const id = Number(match[1]);
  if (!Number.isSafeInteger(id) || id <= 0) return null;
  const presented = Buffer.from(match[2].toLowerCase(), 'utf8');
  const expected = Buffer.from(tagOf(id), 'utf8');
  return presented.length === expected.length && timingSafeEqual(presented, expected) ? id : null;
}

// The inbox's address with the ticket and its tag in its local part's tag.
export function replyAddress(inboxAddress: string, ticketId: number, tag: string): string {
  const at = inboxAddress.lastIndexOf('@');
  return `${inboxAddress.slice(0, at)}+t${ticketId}.${tag}${inboxAddress.slice(at)}`;
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at === -1 ? 'localhost' : address.slice(at + 1).toLowerCase();
}
