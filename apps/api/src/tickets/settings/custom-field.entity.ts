import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

export const CUSTOM_FIELD_TYPES = ['text', 'textarea', 'number', 'date', 'checkbox', 'dropdown', 'multiselect'] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

// A field the tenant adds to its tickets; a ticket's value must fit the type (and `options`).
@Entity({ name: 'custom_fields' })
export class CustomField extends TenantOwnedEntity {
  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  type: CustomFieldType;

  // The allowed values of dropdown and multiselect fields.
  @Column({ type: 'text', array: true, default: () => `'{}'` })
  options: string[];

  @Column({ name: 'display_order', type: 'integer', default: 0 })
  displayOrder: number;
}
