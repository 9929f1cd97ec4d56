import { Injectable } from '@nestjs/common';
import { UnauthenticatedError } from '@app/common';
import { Database } from '@app/database';
import { ContactsService } from '../../contacts/contacts.service';
import { FilesService } from '../../files/files.service';
import { TicketEmailIntake } from '../../tickets/email-intake.service';
import type { InboundThreadMessage, ThreadMessageRef } from '../../tickets/inbound-thread-message';
import { InboundSecretsService, InboundInbox } from '../../tickets/settings/inbound-secrets.service';
import { ReplyAddresses } from '../reply-addresses';
import { InboundEmailErrorCode } from './inbound-email.errors';
import { InboundMail, parseInboundMail } from './inbound-mail';

// Where an inbound mail was stored; `stored` is false for a repeated delivery of one Message-ID.
export interface InboundResult extends ThreadMessageRef {
  tenantId: number;
  stored: boolean;
}

// The contact a mail is from, with its customer.
interface Sender {
  customerId: number;
  contactId: number;
}

// POST inbound/email.json: a customer's mail, authorised by its inbox's secret, becomes a reply on
// its ticket or a new ticket in that inbox (docs/architecture.md, "Email in").
@Injectable()
export class InboundEmailService {
  constructor(
    private readonly db: Database,
    private readonly secrets: InboundSecretsService,
    private readonly intake: TicketEmailIntake,
    private readonly contacts: ContactsService,
    private readonly files: FilesService,
    private readonly replies: ReplyAddresses,
  ) {}

  async authenticate(authorization: string | undefined): Promise<InboundInbox> {
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    const inbox = presented ? await this.secrets.inboxFor(presented) : null;
    if (!inbox) throw new UnauthenticatedError(InboundEmailErrorCode.SecretInvalid, "send the inbox's inbound secret as Authorization: Bearer hdi_…");
    return inbox;
  }

  // One transaction: a delivery of a Message-ID already stored finds it and changes nothing.
  async receive(inbox: InboundInbox, raw: Buffer): Promise<InboundResult> {
    const mail = await parseInboundMail(raw);
    const { tenantId } = inbox;
    return this.db.transaction(async () => {
      if (mail.messageId !== null) {
        await this.intake.lockEmailMessageId(tenantId, mail.messageId);
        const stored = await this.intake.findByEmailMessageId(tenantId, mail.messageId);
        if (stored) return { tenantId, ...stored, stored: false };
      }
      const reply = await this.replyTarget(tenantId, mail);
      const sender = await this.sender(tenantId, mail);
      const message = await this.threadMessage(tenantId, mail);
      if (reply && (reply.byMessageId || reply.customerId === sender.customerId)) {
        return { tenantId, ...(await this.intake.append(tenantId, reply.ticketId, sender.contactId, message)), stored: true };
      }
      return { tenantId, ...(await this.intake.open(tenantId, inbox.inboxId, sender, mail.subject, message)), stored: true };
    });
  }

  async read(result: InboundResult) {
    return this.intake.read(result.tenantId, result);
  }

  // The ticket a reply belongs to, locked: by a Message-ID of its thread, else by a reply address
  // (`…+t{id}.{tag}@…`, its tag checked), which only the ticket's own customer may use: only
  // those who received the ticket's mail know either.
  private async replyTarget(tenantId: number, mail: InboundMail): Promise<{ ticketId: number; customerId: number; byMessageId: boolean } | null> {
    const threadTicket = await this.intake.findTicketByEmailMessageIds(tenantId, mail.threadIds);
    const addressed = mail.recipients.map((address) => this.replies.ticketOf(address, tenantId)).find((id) => id !== null) ?? null;
    const ticketId = threadTicket ?? addressed;
    const locked = ticketId === null ? null : await this.intake.lockActiveTicket(tenantId, ticketId);
    return locked && ticketId !== null ? { ticketId, customerId: locked.customerId, byMessageId: threadTicket !== null } : null;
  }

  private async sender(tenantId: number, mail: InboundMail): Promise<Sender> {
    const contact = await this.contacts.findOrCreateContact(tenantId, { type: 'email', value: mail.from }, null, 'from', mail.fromName);
    return { customerId: contact.customerId, contactId: contact.id };
  }

  // Its attachments become files of the tenant, by no agent.
  private async threadMessage(tenantId: number, mail: InboundMail): Promise<InboundThreadMessage> {
    const fileIds: number[] = [];
    for (const upload of mail.attachments) fileIds.push((await this.files.createFromEmail(tenantId, upload)).id);
    return { emailMessageId: mail.messageId, message: mail.message, editMethod: mail.editMethod, cc: mail.cc, fileIds };
  }
}
