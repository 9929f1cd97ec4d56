import { DataSource } from 'typeorm';
import { ApiKeysService } from '../../apps/api/src/auth/api-keys.service';
import { TenantsService } from '../../apps/api/src/auth/tenants.service';
import { UserRole } from '../../apps/api/src/auth/user.entity';
import { TestApp } from './test-app';

let sequence = 0;
const unique = () => `${Date.now().toString(36)}${(sequence++).toString(36)}`;

export interface TestTenant {
  tenantId: number;
  adminId: number;
  key: string;
  // `Authorization` header value for the admin's key.
  auth: string;
  // The tenant's public id in the HighLevel dialect.
  locationId: string;
}

export async function createTenant(testApp: TestApp, name = `Tenant ${unique()}`): Promise<TestTenant> {
  const { tenant, admin, key } = await testApp.app.get(TenantsService).bootstrap({
    tenantName: name,
    email: `admin-${unique()}@example.test`,
    firstName: 'Ada',
    lastName: 'Admin',
  });
  const [{ location_id: locationId }] = await testApp.db.query(`SELECT location_id FROM tenants WHERE id = $1`, [tenant.id]);
  return { tenantId: tenant.id, adminId: admin.id, key: key.plaintext, auth: `Bearer ${key.plaintext}`, locationId };
}

export async function createAgent(
  testApp: TestApp,
  tenantId: number,
  options: { role?: UserRole; state?: 'active' | 'deleted' } = {},
): Promise<{ id: number; key: string; auth: string }> {
  const [{ id }] = await testApp.db.query(
    `INSERT INTO users (tenant_id, email, first_name, last_name, role) VALUES ($1, $2, 'Agent', $3, $4) RETURNING id`,
    [tenantId, `agent-${unique()}@example.test`, unique(), options.role ?? 'agent'],
  );
  const { plaintext } = await testApp.app.get(ApiKeysService).issue(tenantId, id, 'test', null);
  if (options.state === 'deleted') {
    await testApp.db.query(`UPDATE users SET state = 'deleted', deleted_at = now() WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  }
  return { id, key: plaintext, auth: `Bearer ${plaintext}` };
}

export async function createContact(
  db: DataSource,
  tenantId: number,
  value = `customer-${unique()}@example.test`,
): Promise<{ contactId: number; customerId: number }> {
  const [{ id: customerId }] = await db.query(
    `INSERT INTO customers (tenant_id, first_name, email) VALUES ($1, 'Cora', $2) RETURNING id`,
    [tenantId, value],
  );
  const [{ id: contactId }] = await db.query(
    `INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main) VALUES ($1, $2, 'email', $3, true) RETURNING id`,
    [tenantId, customerId, value],
  );
  return { contactId, customerId };
}

export async function conversationRow(db: DataSource, id: number): Promise<Record<string, unknown> | undefined> {
  const [row] = await db.query(`SELECT * FROM conversations WHERE id = $1`, [id]);
  return row;
}
