import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

export interface TemplateCustomFieldValue {
  id: number;
  value: unknown;
}

// What a ticket body may name as `tickettemplate`: it fills the fields the body leaves out.
@Entity({ name: 'ticket_templates' })
export class TicketTemplate extends TenantOwnedEntity {
  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', nullable: true })
  subject: string | null;

  @Column({ type: 'text', nullable: true })
  message: string | null;

  @Column({ name: 'edit_method', type: 'text', nullable: true })
  editMethod: 'html' | 'markdown' | null;

  @Column({ name: 'inbox_id', type: 'bigint', nullable: true })
  inboxId: number | null;

  @Column({ name: 'status_id', type: 'bigint', nullable: true })
  statusId: number | null;

  @Column({ name: 'priority_id', type: 'bigint', nullable: true })
  priorityId: number | null;

  @Column({ name: 'type_id', type: 'bigint', nullable: true })
  typeId: number | null;

  @Column({ name: 'source_id', type: 'bigint', nullable: true })
  sourceId: number | null;

  @Column({ name: 'agent_id', type: 'bigint', nullable: true })
  agentId: number | null;

  @Column({ name: 'tag_ids', type: 'bigint', array: true, default: () => `'{}'` })
  tagIds: number[];

  @Column({ name: 'custom_fields', type: 'jsonb', default: () => `'[]'` })
  customFields: TemplateCustomFieldValue[];

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  cc: string[];

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  bcc: string[];
}
