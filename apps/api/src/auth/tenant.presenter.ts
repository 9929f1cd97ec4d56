import { Tenant } from './tenant.entity';

// The caller's tenant, on /me.json: locationId is its id in the HighLevel dialect.
export function presentTenant(tenant: Tenant) {
  return { id: tenant.id, name: tenant.name, locationId: tenant.locationId };
}
