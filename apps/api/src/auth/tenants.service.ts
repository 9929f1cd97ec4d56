import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { ApiKeysService, IssuedApiKey } from './api-keys.service';
import { Tenant } from './tenant.entity';
import { User } from './user.entity';

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
    private readonly apiKeys: ApiKeysService,
  ) {}

  async getById(id: number): Promise<Tenant> {
    return this.db.manager.findOneByOrFail(Tenant, { id });
  }

  // Null: the configuration's DEFAULT_PHONE_REGION. False when there is no such tenant. Contacts
  // stored before keep their form; the region reads the numbers given from now on.
  async setDefaultPhoneRegion(id: number, region: string | null): Promise<boolean> {
    const result = await this.db.manager.update(Tenant, { id }, { defaultPhoneRegion: region });
    return result.affected !== 0;
  }

  // A new tenant with its first admin agent and that agent's first API key, all or nothing.
  async bootstrap(input: BootstrapInput): Promise<BootstrapResult> {
    return this.db.transaction(async (manager) => {
      const tenant = manager.create(Tenant, { name: input.tenantName, defaultPhoneRegion: input.defaultPhoneRegion ?? null });
      await manager.insert(Tenant, tenant);
      const admin = manager.create(User, {
        tenantId: tenant.id,
        email: input.email,
        firstName: input.firstName ?? '',
        lastName: input.lastName ?? '',
        role: 'admin',
      });
      await manager.insert(User, admin);
      const key = await this.apiKeys.issue(tenant.id, admin.id, 'bootstrap', admin.id, manager);
      return {
        tenant: await manager.findOneByOrFail(Tenant, { id: tenant.id }),
        admin: await manager.findOneByOrFail(User, { tenantId: tenant.id, id: admin.id }),
        key,
      };
    });
  }
}
