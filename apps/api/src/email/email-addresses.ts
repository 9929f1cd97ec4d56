import { randomBytes } from 'node:crypto';

// How a ticket's emails find their way back to it: every message that goes out carries a
// Message-ID that names its tenant, ticket and thread message, and a Reply-To that names the ticket
// (`support+t{ticketId}@example.com`). A reply is matched by In-Reply-To/References first (those
// Message-IDs are stored on the thread: ticket_messages.email_message_id), then by that address.

export interface ThreadMessageRef {
  tenantId: number;
  ticketId: number;
  messageId: number;
}

// `<t{tenant}.{ticket}.{message}.{random}@{domain}>`: unique however often a message is sent again,
// and the domain is the inbox's, so mail clients thread it with the inbox's mail.
export function outgoingMessageId(ref: ThreadMessageRef, fromAddress: string): string {
  return `<t${ref.tenantId}.${ref.ticketId}.${ref.messageId}.${randomBytes(6).toString('hex')}@${domainOf(fromAddress)}>`;
}

// The ticket a reply address names, for `local+t{id}@domain`; null for any other address.
export function ticketOfReplyAddress(address: string): number | null {
  const match = /^[^@+\s]+\+t(\d{1,18})@[^@\s]+$/i.exec(address.trim());
  if (!match) return null;
  const id = Number(match[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

// The inbox's address with the ticket in its local part's tag.
export function replyAddress(inboxAddress: string, ticketId: number): string {
  const at = inboxAddress.lastIndexOf('@');
  return `${inboxAddress.slice(0, at)}+t${ticketId}${inboxAddress.slice(at)}`;
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at === -1 ? 'localhost' : address.slice(at + 1).toLowerCase();
}
