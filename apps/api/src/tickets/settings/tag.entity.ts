import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

// A word tickets are tagged with; unique per tenant among active tags, ignoring case.
@Entity({ name: 'tags' })
export class Tag extends TenantOwnedEntity {
  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', nullable: true })
  color: string | null;
}
