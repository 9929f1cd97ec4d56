import { Injectable } from '@nestjs/common';
import { issueSecret, NotFoundError, secretLookup, secretMatches, UnauthenticatedError } from '@app/common';
import { ApiKey } from './api-key.entity';
import { ApiKeysRepository } from './api-keys.repository';
import { AuthErrorCode } from './auth.errors';
import { apiKeyFromAuthorization } from './credentials';
import { Principal } from './principal';

export interface IssuedApiKey {
  apiKey: ApiKey;
  // Shown once; only its hash is stored.
  plaintext: string;
}

const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiKeysService {
  constructor(private readonly keys: ApiKeysRepository) {}

  async issue(tenantId: number, userId: number, name: string, actorId: number | null): Promise<IssuedApiKey> {
    const secret = issueSecret('hdk');
    const apiKey = await this.keys.insert({ tenantId, userId, name, lookup: secret.lookup, secretHash: secret.hash, actorId });
    return { apiKey, plaintext: secret.plaintext };
  }

  // The principal of an active key of an active agent of an active tenant, or null.
  async authenticate(presented: string): Promise<Principal | null> {
    const lookup = secretLookup('hdk', presented);
    if (!lookup) return null;
    const row = await this.keys.findUsable(lookup);
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
    this.keys.touch(tenantId, id).catch(() => undefined);
  }

  async listForUser(tenantId: number, userId: number): Promise<ApiKey[]> {
    return this.keys.listForUser(tenantId, userId);
  }

  // For operators (the CLI): a key is named by its id alone, whatever its tenant.
  async findByIdForOperator(id: number): Promise<ApiKey | null> {
    return this.keys.findByIdInAnyTenant(id);
  }

  // Revoking a revoked key changes nothing and is not an error.
  async revoke(tenantId: number, id: number, actorId: number | null): Promise<ApiKey> {
    const apiKey = await this.keys.findById(tenantId, id);
    if (!apiKey) throw new NotFoundError(AuthErrorCode.ApiKeyNotFound, `API key ${id} not found`);
    if (apiKey.state !== 'active') return apiKey;
    await this.keys.revoke({ tenantId, id }, actorId);
    return (await this.keys.findById(tenantId, id))!;
  }

  // Every active key of an agent, in the ambient transaction (an agent being deactivated).
  // Returns how many were revoked.
  async revokeAllForUser(tenantId: number, userId: number, actorId: number | null): Promise<number> {
    return this.keys.revoke({ tenantId, userId }, actorId);
  }
}
