import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { Tenant } from './tenant.entity';

// The `tenants` table; every query runs in the ambient transaction, if any (Database).
@Injectable()
export class TenantsRepository {
  constructor(private readonly db: Database) {}

  async getById(id: number): Promise<Tenant> {
    return this.db.manager.findOneByOrFail(Tenant, { id });
  }

  async insert(values: Pick<Tenant, 'name' | 'defaultPhoneRegion'>): Promise<number> {
    const tenant = this.db.manager.create(Tenant, values);
    await this.db.manager.insert(Tenant, tenant);
    return tenant.id;
  }

  // False when there is no such tenant.
  async setDefaultPhoneRegion(id: number, region: string | null): Promise<boolean> {
    const result = await this.db.manager.update(Tenant, { id }, { defaultPhoneRegion: region });
    return result.affected !== 0;
  }

  async defaultPhoneRegion(id: number): Promise<string | null> {
    const [tenant]: { region: string | null }[] = await this.db.query(`SELECT default_phone_region AS region FROM tenants WHERE id = $1`, [id]);
    return tenant?.region ?? null;
  }

  // Role and state changes of one tenant's agents apply one after another (the last-admin rule).
  // NO KEY UPDATE leaves inserts that reference the tenant unblocked.
  async lockForAgentChanges(id: number): Promise<void> {
    await this.db.query(`SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE`, [id]);
  }
}
