import type { Ticket } from './ticket.entity';
import type { CustomFieldValue } from './tickets.repository';

// A ticket with what its wire form shows besides its own columns.
export interface TicketView {
  ticket: Ticket;
  tagIds: number[];
  customFields: CustomFieldValue[];
  messageIds: number[];
}
