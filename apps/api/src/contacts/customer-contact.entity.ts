import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

export const CONTACT_TYPES = ['email', 'phone', 'mobile', 'facebook', 'twitter', 'other'] as const;
export type ContactType = (typeof CONTACT_TYPES)[number];

// One way of reaching a customer. An active value is unique per tenant and type.
@Entity({ name: 'customer_contacts' })
export class CustomerContact extends TenantOwnedEntity {
  @Column({ name: 'customer_id', type: 'bigint' })
  customerId: number;

  @Column({ type: 'text' })
  type: ContactType;

  @Column({ type: 'text' })
  value: string;

  @Column({ name: 'is_main', type: 'boolean', default: false })
  isMain: boolean;
}
