import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAppConfig } from '@app/config';
import { createApp } from '../../../apps/api/src/create-app';
import { ensureDatabase } from '../../../libs/database/src/embedded-postgres';
import { BASE } from '../../support/desk';
import { createContact, createTenant } from '../../support/factories';
import { testAppOf } from '../../support/test-app';
import { ROOT } from '../../support/service-process';
import { FaultPostgres } from './postgres';

export const DATABASE = 'helpdesk_faults';

export interface SeededTenant {
  tenantId: number;
  auth: string;
  // The tenant in the HighLevel dialect.
  locationId: string;
  // Conversations the load posts messages to (never converted).
  chatIds: number[];
  // Conversations the load converts, each at most once per scenario.
  convertibleIds: number[];
}

export interface Seed {
  // A stopped, migrated and seeded data directory; each scenario runs on a copy.
  templateDir: string;
  root: string;
  tenants: SeededTenant[];
}

// Builds the data every scenario starts from, once per run: a fresh embedded server, migrated by the
// real app (in this process, without Pusher, so nothing is sent), tenants and conversations made
// through the test factories and the Desk API. Its live updates are marked delivered: a scenario
// counts only its own.
export async function seedTemplate(options: { tenants: number; chats: number; convertibles: number }): Promise<Seed> {
  const root = join(ROOT, '.data', `faults-${process.pid}`);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const templateDir = join(root, 'template');
  const server = await FaultPostgres.start(templateDir, DATABASE);
  try {
    await ensureDatabase(`postgres://postgres:postgres@127.0.0.1:${server.port}/postgres`, DATABASE);
    const config = loadAppConfig({ LOG_LEVEL: 'silent', DATABASE_URL: server.url });
    const app = await createApp(config);
    const t = await testAppOf(app, { DATABASE_URL: server.url });
    try {
      const tenants: SeededTenant[] = [];
      for (let i = 0; i < options.tenants; i++) {
        const tenant = await createTenant(t, `Faults ${i}`);
        const ids: number[] = [];
        for (let c = 0; c < options.chats + options.convertibles; c++) {
          const { contactId } = await createContact(t.db, tenant.tenantId);
          const created = await t.http.post(`${BASE}/conversations.json`).set('Authorization', tenant.auth).send({ contactId });
          if (created.status !== 201) throw new Error(`seeding a conversation: ${created.status} ${JSON.stringify(created.body)}`);
          const id = created.body.conversation.id as number;
          const said = await t.http
            .post(`${BASE}/conversationmessages.json`)
            .set('Authorization', tenant.auth)
            .send({ conversationId: id, message: `hello from conversation ${id}` });
          if (said.status !== 201) throw new Error(`seeding a message: ${said.status} ${JSON.stringify(said.body)}`);
          ids.push(id);
        }
        tenants.push({ tenantId: tenant.tenantId, auth: tenant.auth, locationId: tenant.locationId, chatIds: ids.slice(0, options.chats), convertibleIds: ids.slice(options.chats) });
      }
      await t.db.query(`UPDATE outbox SET delivered_at = now() WHERE delivered_at IS NULL`);
      return { templateDir, root, tenants };
    } finally {
      await t.close();
    }
  } finally {
    await server.stop(false);
  }
}
