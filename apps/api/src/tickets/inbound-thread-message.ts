import type { EditMethod } from './ticket.entity';

// A customer's email as a thread entry (POST inbound/email.json).
export interface InboundThreadMessage {
  // The mail's Message-ID (null when it had none): a second delivery of it is found by it.
  emailMessageId: string | null;
  message: string;
  editMethod: EditMethod;
  cc: string[];
  fileIds: number[];
}

// Where a mail was stored: its ticket and thread message.
export interface ThreadMessageRef {
  ticketId: number;
  messageId: number;
}
