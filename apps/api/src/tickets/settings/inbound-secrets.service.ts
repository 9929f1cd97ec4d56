import { Injectable } from '@nestjs/common';
import { ForbiddenError, issueSecret, NotFoundError, secretLookup, secretMatches } from '@app/common';
import { AuthErrorCode } from '../../auth/auth.errors';
import { Principal } from '../../auth/principal';
import { InboundSecretsRepository } from './inbound-secrets.repository';
import { SettingErrorCode } from './ticket-settings.errors';

// The inbox a presented inbound secret belongs to.
export interface InboundInbox {
  tenantId: number;
  inboxId: number;
}

// Each inbox's secret for POST inbound/email.json (`hdi_…`): shown once when issued, stored as
// its lookup part and a SHA-256 hash (secret-token.ts), compared in constant time. Issuing again
// replaces it at once.
@Injectable()
export class InboundSecretsService {
  constructor(private readonly secrets: InboundSecretsRepository) {}

  // For admins only: the route refuses agents first, and this holds for any other caller.
  async issue(principal: Principal, inboxId: number): Promise<{ inboxId: number; secret: string }> {
    if (principal.role !== 'admin') throw new ForbiddenError(AuthErrorCode.AdminRequired, "only an admin may issue an inbox's inbound secret");
    const issued = issueSecret('hdi');
    const replaced = await this.secrets.replace(principal.tenantId, inboxId, issued.lookup, issued.hash, principal.userId);
    if (!replaced) throw new NotFoundError(SettingErrorCode.NotFound, `inbox ${inboxId} not found`);
    return { inboxId, secret: issued.plaintext };
  }

  // Null for anything but the current secret of an active inbox.
  async inboxFor(presented: string): Promise<InboundInbox | null> {
    const lookup = secretLookup('hdi', presented);
    if (lookup === null) return null;
    const found = await this.secrets.findActiveByLookup(lookup);
    if (!found || !secretMatches(presented, found.hash)) return null;
    return { tenantId: found.tenantId, inboxId: found.inboxId };
  }
}
