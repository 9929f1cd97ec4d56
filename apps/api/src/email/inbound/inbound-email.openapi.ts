import { wire } from '@app/common';
import { TICKET_MESSAGE_SCHEMA, TICKET_SCHEMA } from '../../tickets/ticket.openapi';

// The ticket the mail went to (new, or the one it answers) and its thread message.
export const INBOUND_EMAIL_RESULT_SCHEMA = wire.object({ ticket: TICKET_SCHEMA, message: TICKET_MESSAGE_SCHEMA });
