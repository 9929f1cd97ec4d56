import { Injectable } from '@nestjs/common';
import { softDeleted } from '@app/common';
import { Database } from '@app/database';
import { ApiKey } from './api-key.entity';
import { UserRole } from './user.entity';

// An active key of an active agent of an active tenant, with what authenticating it needs.
export interface KeyRow {
  id: number;
  tenant_id: number;
  user_id: number;
  role: UserRole;
  secret_hash: Buffer;
  last_used_at: Date | null;
  location_id: string;
}

export interface NewApiKey {
  tenantId: number;
  userId: number;
  name: string;
  lookup: string;
  secretHash: Buffer;
  actorId: number | null;
}

// The `api_keys` table; every query runs in the ambient transaction, if any (Database).
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly db: Database) {}

  async insert(key: NewApiKey): Promise<ApiKey> {
    const { tenantId, actorId, ...values } = key;
    const apiKey = this.db.manager.create(ApiKey, { tenantId, ...values, createdBy: actorId, updatedBy: actorId });
    await this.db.manager.insert(ApiKey, apiKey);
    return this.db.manager.findOneByOrFail(ApiKey, { tenantId, id: apiKey.id });
  }

  async findUsable(lookup: string): Promise<KeyRow | undefined> {
    const rows: KeyRow[] = await this.db.query(
      `SELECT k.id, k.tenant_id, k.user_id, u.role, k.secret_hash, k.last_used_at, t.location_id
         FROM api_keys k
         JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id AND u.state = 'active'
         JOIN tenants t ON t.id = k.tenant_id AND t.state = 'active'
        WHERE k.lookup = $1 AND k.state = 'active'`,
      [lookup],
    );
    return rows[0];
  }

  // On the pool, whatever transaction is ambient: the caller does not wait for it, nor fail with it.
  async touch(tenantId: number, id: number): Promise<void> {
    await this.db.dataSource.query(
      `UPDATE api_keys SET last_used_at = now()
        WHERE tenant_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [tenantId, id],
    );
  }

  async listForUser(tenantId: number, userId: number): Promise<ApiKey[]> {
    return this.db.manager.find(ApiKey, { where: { tenantId, userId }, order: { id: 'ASC' } });
  }

  async findById(tenantId: number, id: number): Promise<ApiKey | null> {
    return this.db.manager.findOneBy(ApiKey, { tenantId, id });
  }

  async findByIdInAnyTenant(id: number): Promise<ApiKey | null> {
    return this.db.manager.findOneBy(ApiKey, { id });
  }

  // One key (`id`) or all of an agent's (`userId`); returns how many were revoked. TypeORM drops an
  // undefined condition, so a call naming neither would revoke the tenant's every key: refused.
  async revoke(where: { tenantId: number; id?: number; userId?: number }, actorId: number | null): Promise<number> {
    if (where.id === undefined && where.userId === undefined) throw new Error('revoke names a key or an agent');
    const result = await this.db.manager.update(ApiKey, { ...where, state: 'active' }, softDeleted(actorId));
    return result.affected ?? 0;
  }
}
