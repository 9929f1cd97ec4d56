import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadAppConfig } from '@app/config';
import { Database } from '@app/database';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../apps/api/src/create-app';
import { PgBouncer, startPgBouncer } from './support/pgbouncer';
import { describeWith, tool } from './support/requirements';
import { freePort } from './support/service-process';
import { createDatabase, withClient, withDatabase } from './support/test-database';

// Large deployments put PgBouncer in transaction mode between the processes and PostgreSQL: each
// transaction may run on another server connection, and session startup parameters are refused.
describeWith('pgbouncer', 'Behind PgBouncer in transaction mode', () => {
  const serverUrl = process.env.TEST_DB_SERVER_URL!;
  let pgbouncer: PgBouncer | undefined;
  const apps: NestFastifyApplication[] = [];

  beforeAll(async () => {
    pgbouncer = await startPgBouncer(tool('pgbouncer'), serverUrl, join('.data', `pooler-spec-${process.pid}`), await freePort());
  });
  // Nothing to stop when the start failed: its error is the one to read.
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await pgbouncer?.stop();
  });

  // An empty database (nothing migrated yet), reached through the pooler and directly.
  async function emptyDatabase(): Promise<{ DATABASE_URL: string; DATABASE_DIRECT_URL: string }> {
    const name = `${process.env.TEST_DB_PREFIX}_pooler_${randomBytes(4).toString('hex')}`;
    await createDatabase(serverUrl, name);
    return { DATABASE_URL: withDatabase(pgbouncer!.serverUrl, name), DATABASE_DIRECT_URL: withDatabase(serverUrl, name) };
  }

  async function boot(env: Record<string, string>): Promise<NestFastifyApplication> {
    const app = await createApp(loadAppConfig({ LOG_LEVEL: 'silent', PUSHER_HOST: '127.0.0.1', PUSHER_PORT: '1', PUSHER_USE_TLS: 'false', ...env }));
    apps.push(app);
    return app;
  }

  const advisoryLocks = (url: string) =>
    withClient(url, async (client) =>
      Number((await client.query(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)).rows[0].n),
    );

  it('should migrate an empty database from two processes booting at once, on a direct connection, and hold no lock afterwards', async () => {
    const env = await emptyDatabase();
    const [first, second] = await Promise.all([boot(env), boot(env)]);

    const migrations = first.get(DataSource).migrations.length;
    const applied = await withClient(env.DATABASE_DIRECT_URL, async (client) => (await client.query(`SELECT name FROM migrations`)).rows);
    expect(applied).toHaveLength(migrations);
    // A session lock taken through the pooler would stay on whichever server connection took it.
    expect(await advisoryLocks(env.DATABASE_DIRECT_URL)).toBe(0);

    for (const app of [first, second]) {
      expect((await request(app.getHttpServer()).get('/health/ready')).status).toBe(200);
    }
  });

  it('should hold the statement timeout in every transaction, set per transaction since the pooler refuses it at connect', async () => {
    const env = await emptyDatabase();
    const app = await boot(env);
    const db = app.get(Database);

    const timeouts = await Promise.all(
      Array.from({ length: 6 }, () => db.transaction(async () => (await db.query<{ statement_timeout: string }[]>(`SHOW statement_timeout`))[0].statement_timeout)),
    );
    expect(timeouts).toEqual(Array(6).fill('30s'));
    // A transaction's SET LOCAL ends with it: nothing is left on the pooler's shared server connections.
    const [after] = await withClient(env.DATABASE_URL, async (client) => (await client.query(`SHOW statement_timeout`)).rows);
    expect(after.statement_timeout).toBe('0');
  });
});
