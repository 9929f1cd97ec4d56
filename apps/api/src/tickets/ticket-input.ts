import type { EditMethod } from './ticket.entity';
import type { ChatRelation } from './chat-message-row';

// The ticket bodies as the services read them (the DTOs in dto/ check their shape first).

export interface RefInput {
  id: number;
}

export interface CustomerRefInput {
  id?: number;
  email?: string;
}

export interface CustomFieldInput {
  id: number;
  value: unknown;
}

export interface ScheduledEmailInput {
  sendAt: string;
  subject?: string;
  message?: string;
}

// POST /tickets.json and POST /conversations/{id}/convert.json. Null refs are absent.
export interface TicketInput {
  agent?: RefInput | null;
  inbox?: RefInput | null;
  parent?: RefInput | null;
  priority?: RefInput | null;
  source?: RefInput | null;
  status?: RefInput | null;
  type?: RefInput | null;
  tickettemplate?: RefInput | null;
  cc?: string[];
  bcc?: string[];
  customer?: CustomerRefInput;
  email?: string;
  customfields?: CustomFieldInput[];
  editMethod?: EditMethod;
  files?: number[];
  fromThreadId?: number;
  fromTicketId?: number;
  message?: string;
  notifyCustomer?: boolean;
  scheduledEmail?: ScheduledEmailInput;
  sendFrom?: string | null;
  subject?: string;
  tags?: unknown[];
}

// PATCH /tickets/{id}.json: only the given properties change; null clears what may be empty.
export interface TicketUpdate {
  subject?: string;
  customer?: CustomerRefInput;
  agent?: RefInput | null;
  inbox?: RefInput | null;
  status?: RefInput | null;
  priority?: RefInput | null;
  type?: RefInput | null;
  source?: RefInput | null;
  parent?: RefInput | null;
  tags?: unknown[];
  customfields?: CustomFieldInput[];
  cc?: string[];
  bcc?: string[];
  files?: number[];
  editMethod?: EditMethod;
  isRead?: boolean;
  sendFrom?: string | null;
  state?: 'active' | 'deleted';
}

// POST /tickets/{id}/messages.json: a reply or an internal note.
export interface ThreadMessageInput {
  message?: string;
  threadType?: 'message' | 'note';
  editMethod?: EditMethod;
  cc?: string[];
  bcc?: string[];
  files?: number[];
  // The author when it is the customer's side: a contact of the ticket's customer.
  contact?: RefInput;
  // Moves the ticket to this status with the reply, as agents do when answering.
  status?: RefInput | null;
}

// What a converted conversation brings to its ticket: defaults the body may override.
export interface TicketOrigin {
  conversationId: number;
  customerId: number;
  contactId: number;
  // The conversation's agent, when it has exactly one.
  agentId: number | null;
  // The first chat message, for the subject and preview when the body gives none.
  firstMessage: string | null;
  // The chat's active messages, in order, for the thread.
  transcript: ChatRelation;
}
