import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { PayloadTooLargeError, toStorableText, ValidationError } from '@app/common';
import { isEmail } from 'class-validator';
import { AddressObject, simpleParser } from 'mailparser';
import { normalizeEmail } from '../../contacts/contact-normalization';
import { sanitizeFilename, sanitizeMimeType } from '../../files/file-names';
import type { FileUpload } from '../../files/uploaded-file';
import { sanitizeHtml } from './html-sanitizer';

// What a raw MIME message brings to a ticket, parsed with mailparser and made storable.
export interface InboundMail {
  // `<…>` as sent; null when the mail has none, or one of more than MAX_MESSAGE_ID_BYTES (the
  // unique index over it holds no more; such a mail is taken as one without a Message-ID).
  messageId: string | null;
  // In-Reply-To then References, newest first: the Message-IDs that place it in a thread.
  threadIds: string[];
  from: string;
  // The sender's display name, as a new customer's first and last name.
  fromName: { firstName: string; lastName: string };
  // To, Cc, Delivered-To and X-Original-To: where a ticket's reply address would be.
  recipients: string[];
  cc: string[];
  subject: string;
  // The text part as written (markdown keeps it so); else the HTML part, sanitised.
  message: string;
  editMethod: 'markdown' | 'html';
  attachments: FileUpload[];
}

export const INBOUND_MAX_ATTACHMENTS = 20;
const MAX_SUBJECT = 500;
const MAX_MESSAGE = 1_048_576;
const MAX_MESSAGE_ID_BYTES = 900;
// customer_contacts.value's limit.
const MAX_CONTACT = 320;
const MAX_ADDRESSES = 50;
const MAX_NAME = 255;
const ADDRESS = /^[^\s@<>\p{Cc}]{1,64}@[^\s@<>\p{Cc}]{1,253}$/u;
const MESSAGE_IDS = /<[^<>\s]{1,996}>/g;

export async function parseInboundMail(raw: Buffer): Promise<InboundMail> {
  const mail = await simpleParser(raw, { skipHtmlToText: true, skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true }).catch(() => null);
  const from = mail ? addressesOf(mail.from)[0] : undefined;
  if (!mail || !from) throw ValidationError.of('from', 'the message has no From address: is it a MIME message (RFC 5322)?', 'EMAIL_MALFORMED');
  if (!isContactEmail(from)) throw ValidationError.of('from', 'the From address is not an email address a customer can have', 'EMAIL_MALFORMED');
  const storable = mail.messageId ? toStorableText(mail.messageId) : null;
  const messageId = storable && Buffer.byteLength(storable, 'utf8') <= MAX_MESSAGE_ID_BYTES ? storable : null;
  const { message, editMethod } = bodyOf(mail.text, mail.html);
  if (message.length > MAX_MESSAGE) throw new PayloadTooLargeError('EMAIL_TOO_LONG', `the message's text is longer than ${MAX_MESSAGE} characters`);
  return {
    messageId,
    threadIds: threadIdsOf(mail.inReplyTo, mail.references),
    from,
    fromName: nameOf(mail.from),
    recipients: [...addressesOf(mail.to), ...addressesOf(mail.cc), ...headerAddresses(mail.headers.get('delivered-to')), ...headerAddresses(mail.headers.get('x-original-to'))],
    cc: addressesOf(mail.cc).slice(0, MAX_ADDRESSES),
    subject: subjectOf(mail.subject),
    message,
    editMethod,
    attachments: mail.attachments.slice(0, INBOUND_MAX_ATTACHMENTS).map((attachment) => bufferUpload(attachment.filename, attachment.contentType, attachment.content)),
  };
}

// What the contacts take as an email (normalised as they store it: NFKC may lengthen it).
function isContactEmail(address: string): boolean {
  const normalised = normalizeEmail(address);
  return normalised.length <= MAX_CONTACT && isEmail(normalised);
}

function bodyOf(text: string | undefined, html: string | false | undefined): Pick<InboundMail, 'message' | 'editMethod'> {
  if (text !== undefined && text.trim() !== '') return { message: toStorableText(text.replace(/\r\n/g, '\n')).trim(), editMethod: 'markdown' };
  if (html) return { message: sanitizeHtml(toStorableText(html)).trim(), editMethod: 'html' };
  return { message: '', editMethod: 'markdown' };
}

// "Cora van Dijk" is Cora and van Dijk; no name leaves both empty, as a customer made by address.
function nameOf(field: AddressObject | undefined): InboundMail['fromName'] {
  const name = toStorableText(field?.value[0]?.name ?? '').replace(/\s+/g, ' ').trim();
  const space = name.indexOf(' ');
  const [first, last] = space === -1 ? [name, ''] : [name.slice(0, space), name.slice(space + 1)];
  return { firstName: [...first].slice(0, MAX_NAME).join(''), lastName: [...last].slice(0, MAX_NAME).join('') };
}

function subjectOf(subject: string | undefined): string {
  const cleaned = toStorableText(subject ?? '').replace(/\s+/g, ' ').trim();
  return cleaned === '' ? '(no subject)' : [...cleaned].slice(0, MAX_SUBJECT).join('');
}

// Newest first: In-Reply-To names the mail answered; References lists the thread oldest first.
function threadIdsOf(inReplyTo: string | undefined, references: string | string[] | undefined): string[] {
  const ids = [...(inReplyTo?.match(MESSAGE_IDS) ?? []), ...[references ?? []].flat().join(' ').match(MESSAGE_IDS)?.reverse() ?? []];
  return [...new Set(ids)].slice(0, 100);
}

function addressesOf(field: AddressObject | AddressObject[] | undefined): string[] {
  const groups = [field ?? []].flat();
  const all = groups.flatMap((group) => group.value.flatMap((entry) => [entry, ...(entry.group ?? [])]));
  return all.map((entry) => (entry.address ?? '').trim().toLowerCase()).filter((address) => ADDRESS.test(address));
}

// Delivered-To (mailparser reads it as addresses) or X-Original-To (left as text, maybe in <…>).
function headerAddresses(value: unknown): string[] {
  if (value && typeof value === 'object' && 'value' in value) return addressesOf(value as AddressObject);
  const text = typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : '';
  return text
    .split(',')
    .map((part) => part.replace(/^.*</, '').replace(/>.*$/, '').trim().toLowerCase())
    .filter((address) => ADDRESS.test(address));
}

function bufferUpload(filename: string | undefined, contentType: string, content: Buffer): FileUpload {
  return {
    filename: sanitizeFilename(filename ?? 'attachment'),
    mimeType: sanitizeMimeType(contentType),
    size: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
    open: () => Readable.from([content]),
  };
}
