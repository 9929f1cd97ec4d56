import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

// The shape inboxes, statuses, priorities, types and sources share: a name, an optional system
// code the service finds defaults by (the status "active", the source "chat"), and at most one
// default per tenant.
export abstract class TicketSetting extends TenantOwnedEntity {
  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', nullable: true })
  code: string | null;

  @Column({ type: 'text', nullable: true })
  color: string | null;

  @Column({ name: 'display_order', type: 'integer', default: 0 })
  displayOrder: number;

  @Column({ name: 'is_default', type: 'boolean', default: false })
  isDefault: boolean;
}

@Entity({ name: 'inboxes' })
export class Inbox extends TicketSetting {
  @Column({ type: 'text', nullable: true })
  email: string | null;

  // The addresses a ticket's notifications may be sent from (`sendFrom`), besides `email`.
  @Column({ type: 'text', array: true, default: () => `'{}'` })
  aliases: string[];
}

@Entity({ name: 'ticket_statuses' })
export class TicketStatus extends TicketSetting {}

@Entity({ name: 'ticket_priorities' })
export class TicketPriority extends TicketSetting {}

@Entity({ name: 'ticket_types' })
export class TicketType extends TicketSetting {}

@Entity({ name: 'ticket_sources' })
export class TicketSource extends TicketSetting {}
