import { Injectable } from '@nestjs/common';
import { issueSecret, NotFoundError, secretLookup, secretMatches, UnauthenticatedError } from '@app/common';
import { EntityManager } from 'typeorm';
import { Database } from '@app/database';
import { ApiKey } from './api-key.entity';
import { AuthErrorCode } from './auth.errors';
import { apiKeyFromAuthorization } from './credentials';
import { Principal } from './principal';
import { UserRole } from './user.entity';

export interface IssuedApiKey {
  apiKey: ApiKey;
  // Shown once; only its hash is stored.
  plaintext: string;
}

interface KeyRow {
  id: number;
  tenant_id: number;
  user_id: number;
  role: UserRole;
  secret_hash: Buffer;
  last_used_at: Date | null;
  location_id: string;
}

const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiKeysService {
  constructor(private readonly db: Database) {}

  async issue(
    tenantId: number,
    userId: number,
    name: string,
    actorId: number | null,
    manager: EntityManager = this.db.manager,
  ): Promise<IssuedApiKey> {
    const secret = issueSecret('hdk');
    const apiKey = manager.create(ApiKey, {
      tenantId,
      userId,
      name,
      lookup: secret.lookup,
      secretHash: secret.hash,
      createdBy: actorId,
      updatedBy: actorId,
    });
    await manager.insert(ApiKey, apiKey);
    return { apiKey: await manager.findOneByOrFail(ApiKey, { tenantId, id: apiKey.id }), plaintext: secret.plaintext };
  }

  // The principal of an active key of an active agent of an active tenant, or null.
  async authenticate(presented: string): Promise<Principal | null> {
    const lookup = secretLookup('hdk', presented);
    if (!lookup) return null;
    const rows: KeyRow[] = await this.db.query(
      `SELECT k.id, k.tenant_id, k.user_id, u.role, k.secret_hash, k.last_used_at, t.location_id
         FROM api_keys k
         JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id AND u.state = 'active'
         JOIN tenants t ON t.id = k.tenant_id AND t.state = 'active'
        WHERE k.lookup = $1 AND k.state = 'active'`,
      [lookup],
    );
    const row = rows[0];
    if (!row || !secretMatches(presented, row.secret_hash)) return null;
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
      this.touch(row.tenant_id, row.id);
    }
    return { tenantId: row.tenant_id, locationId: row.location_id, userId: row.user_id, role: row.role, apiKeyId: row.id };
  }

  // The caller named by an Authorization header, or the 401 ApiKeyGuard answers with. For the
  // few checks that must run before the guard (an upload, before its bytes reach the disk).
  async principalFor(authorization: string | undefined): Promise<Principal> {
    const principal = await this.authenticate(apiKeyFromAuthorization(authorization));
    if (!principal) throw new UnauthenticatedError(AuthErrorCode.ApiKeyInvalid, 'invalid or revoked API key');
    return principal;
  }

  // When a key was last used, for operators deciding what to revoke: written at most once a minute
  // per key, off the request's path, so a failure here never fails the request.
  private touch(tenantId: number, id: number): void {
    this.db.dataSource
      .query(
        `UPDATE api_keys SET last_used_at = now()
          WHERE tenant_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
        [tenantId, id],
      )
      .catch(() => undefined);
  }

  async listForUser(tenantId: number, userId: number): Promise<ApiKey[]> {
    return this.db.manager.find(ApiKey, { where: { tenantId, userId }, order: { id: 'ASC' } });
  }

  // For operators (the CLI): a key is named by its id alone, whatever its tenant.
  async findByIdForOperator(id: number): Promise<ApiKey | null> {
    return this.db.manager.findOneBy(ApiKey, { id });
  }

  // Revoking a revoked key changes nothing and is not an error.
  async revoke(tenantId: number, id: number, actorId: number | null): Promise<ApiKey> {
    const apiKey = await this.db.manager.findOneBy(ApiKey, { tenantId, id });
    if (!apiKey) throw new NotFoundError(AuthErrorCode.ApiKeyNotFound, `API key ${id} not found`);
    if (apiKey.state === 'active') {
      await this.db.manager.update(
        ApiKey,
        { tenantId, id, state: 'active' },
        { state: 'deleted', deletedAt: () => 'now()', deletedBy: actorId },
      );
    }
    return this.db.manager.findOneByOrFail(ApiKey, { tenantId, id });
  }

  // Every active key of an agent, in the caller's transaction (an agent being deactivated).
  // Returns how many were revoked.
  async revokeAllForUser(manager: EntityManager, tenantId: number, userId: number, actorId: number | null): Promise<number> {
    const result = await manager.update(
      ApiKey,
      { tenantId, userId, state: 'active' },
      { state: 'deleted', deletedAt: () => 'now()', deletedBy: actorId },
    );
    return result.affected ?? 0;
  }
}
