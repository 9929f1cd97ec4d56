import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';

// An inbox as its inbound secret finds it: the tenant, the inbox and the secret's hash.
export interface InboxBySecret {
  tenantId: number;
  inboxId: number;
  hash: Buffer;
}

// The SQL of inboxes' inbound email secrets (inboxes.inbound_secret_lookup and _hash).
@Injectable()
export class InboundSecretsRepository {
  constructor(private readonly db: Database) {}

  // Replaces the active inbox's secret; false when the tenant has no such active inbox.
  async replace(tenantId: number, inboxId: number, lookup: string, hash: Buffer, actorId: number): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.db.query(
      `UPDATE inboxes SET inbound_secret_lookup = $3, inbound_secret_hash = $4, updated_at = now(), updated_by = $5
        WHERE tenant_id = $1 AND id = $2 AND state = 'active'`,
      [tenantId, inboxId, lookup, hash, actorId],
    );
    return affected > 0;
  }

  // uq_inboxes_inbound_secret_lookup is global: the secret alone names the tenant and the inbox.
  async findActiveByLookup(lookup: string): Promise<InboxBySecret | null> {
    const rows = await this.db.query<{ tenantId: number; inboxId: number; hash: Buffer }[]>(
      `SELECT tenant_id AS "tenantId", id AS "inboxId", inbound_secret_hash AS hash
         FROM inboxes WHERE inbound_secret_lookup = $1 AND state = 'active'`,
      [lookup],
    );
    return rows[0] ?? null;
  }
}
