import { Database } from '@app/database';
import { Injectable } from '@nestjs/common';
import { ApiKeysService, IssuedApiKey } from './api-keys.service';
import { Tenant } from './tenant.entity';
import { TenantsRepository } from './tenants.repository';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';

export interface BootstrapInput {
  tenantName: string;
  email: string;
  firstName?: string;
  lastName?: string;
  defaultPhoneRegion?: string | null;
}

export interface BootstrapResult {
  tenant: Tenant;
  admin: User;
  key: IssuedApiKey;
}

@Injectable()
export class TenantsService {
  constructor(
    private readonly db: Database,
    private readonly tenants: TenantsRepository,
    private readonly users: UsersRepository,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async getById(id: number): Promise<Tenant> {
    return this.tenants.getById(id);
  }

  // The region national phone numbers of the tenant's customers are read in; null: none set.
  async defaultPhoneRegion(id: number): Promise<string | null> {
    return this.tenants.defaultPhoneRegion(id);
  }

  // Null: the configuration's DEFAULT_PHONE_REGION. False when there is no such tenant. Contacts
  // stored before keep their form; the region reads the numbers given from now on.
  async setDefaultPhoneRegion(id: number, region: string | null): Promise<boolean> {
    return this.tenants.setDefaultPhoneRegion(id, region);
  }

  // Agents' role and state changes of one tenant apply one after another, in the ambient transaction.
  async lockForAgentChanges(id: number): Promise<void> {
    await this.tenants.lockForAgentChanges(id);
  }

  // A new tenant with its first admin agent and that agent's first API key, all or nothing.
  async bootstrap(input: BootstrapInput): Promise<BootstrapResult> {
    return this.db.transaction(async () => {
      const tenantId = await this.tenants.insert({ name: input.tenantName, defaultPhoneRegion: input.defaultPhoneRegion ?? null });
      const adminId = await this.users.insert({
        tenantId,
        email: input.email,
        firstName: input.firstName ?? '',
        lastName: input.lastName ?? '',
        role: 'admin',
      });
      const key = await this.apiKeys.issue(tenantId, adminId, 'bootstrap', adminId);
      return { tenant: await this.getById(tenantId), admin: (await this.users.findById(tenantId, adminId))!, key };
    });
  }
}
