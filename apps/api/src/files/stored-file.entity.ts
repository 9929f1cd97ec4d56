import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

// An uploaded attachment's metadata; its bytes live in the storage driver under `storageKey`.
@Entity({ name: 'files' })
export class StoredFile extends TenantOwnedEntity {
  @Column({ type: 'text' })
  filename: string;

  @Column({ name: 'mime_type', type: 'text' })
  mimeType: string;

  @Column({ type: 'bigint' })
  size: number;

  // Hex SHA-256 of the bytes.
  @Column({ type: 'text' })
  sha256: string;

  @Column({ name: 'storage_key', type: 'text', select: false })
  storageKey: string;

  // Set for a customer's upload (through the conversation's token): the conversation it was
  // uploaded for and its contact. Null for agents' uploads.
  @Column({ name: 'conversation_id', type: 'bigint', nullable: true })
  conversationId: number | null;

  @Column({ name: 'contact_id', type: 'bigint', nullable: true })
  contactId: number | null;
}
