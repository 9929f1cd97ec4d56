import type Mail from 'nodemailer/lib/mailer';
import { Readable } from 'node:stream';
import type { ClaimedEntry } from '../live/outbox';
import type { TicketEmailContext } from '../tickets/ticket-emails';
import { replyAddress } from './email-addresses';

// An outbox entry's payload, as TicketEmails and TicketComposer write it.
export interface EmailPayload {
  to: string | null;
  from: string | null;
  subject: string;
  // The thread message it carries (a reply; a notification's opening message).
  messageId?: number;
  // A scheduled email's own text.
  message?: string;
}

export interface Attachment {
  filename: string;
  contentType: string;
  content: Readable;
}

// Why an email cannot be written at all: failed for good, not retried.
export class UnsendableEmail extends Error {}

// The mail of one outbox entry: from the ticket's address, to its customer, Reply-To the address
// that names the ticket (with its `tag`, ReplyAddresses), threaded by Message-ID/In-Reply-To/
// References, in text and HTML.
export function composeEmail(entry: ClaimedEntry, context: TicketEmailContext, attachments: Attachment[], tag: string): Mail.Options {
  const payload = entry.payload as unknown as EmailPayload;
  if (!payload.to) throw new UnsendableEmail('the customer has no email address');
  if (!payload.from) throw new UnsendableEmail("the ticket's inbox has no email address to send from");
  const { text, html } = bodyOf(payload, context);
  const inReplyTo = context.references.at(-1);
  return {
    from: payload.from,
    to: payload.to,
    // The thread message's own copies (a scheduled email has none).
    ...(context.message?.cc.length ? { cc: context.message.cc } : {}),
    ...(context.message?.bcc.length ? { bcc: context.message.bcc } : {}),
    replyTo: replyAddress(payload.from, context.ticketId, tag),
    subject: payload.subject,
    messageId: context.message?.emailMessageId ?? scheduledMessageId(entry, payload.from),
    ...(inReplyTo ? { inReplyTo, references: context.references } : {}),
    text,
    html,
    attachments,
  };
}

// An email no thread message stands for (a scheduled email): its Message-ID names the outbox
// entry, so each attempt sends the same one.
function scheduledMessageId(entry: ClaimedEntry, from: string): string {
  return `<t${entry.tenantId}.${entry.ticketId}.o${entry.id}@${from.slice(from.lastIndexOf('@') + 1).toLowerCase()}>`;
}

// The scheduled email's own text, else the thread message's, else the subject; markdown goes as
// it is in the text part and as escaped paragraphs in the HTML part.
function bodyOf(payload: EmailPayload, context: TicketEmailContext): { text: string; html: string } {
  const source =
    payload.message !== undefined
      ? { message: payload.message, editMethod: context.editMethod }
      : context.message
        ? { message: context.message.message, editMethod: context.message.editMethod }
        : { message: payload.subject, editMethod: 'markdown' as const };
  if (source.editMethod === 'html') return { text: textOfHtml(source.message), html: source.message };
  const paragraphs = source.message.split(/\n{2,}/).map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`);
  return { text: source.message, html: paragraphs.join('\n') };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&nbsp;': ' ' };

// HTML's text for the text part: block ends become line breaks, tags go.
function textOfHtml(html: string): string {
  return html
    .replace(/<br\b[^>]*>/gi, '\n')
    .replace(/<\/(p|div|li|h[1-6])>/gi, '\n\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (entity) => ENTITIES[entity])
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
