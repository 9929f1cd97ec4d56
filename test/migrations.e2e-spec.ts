import { buildDataSourceOptions, runMigrationsUnderLock } from '@app/database';
import { DataSource } from 'typeorm';
import { createDatabase, withDatabase } from './support/test-database';

describe('Migrations', () => {
  const connect = (url: string) => new DataSource(buildDataSourceOptions({ url, poolSize: 3 })).initialize();

  it('should migrate an empty database once when two instances start together, and revert cleanly', async () => {
    const name = `${process.env.TEST_DB_PREFIX}_migrate_${Date.now().toString(36)}`;
    await createDatabase(process.env.TEST_DB_SERVER_URL!, name);
    const url = withDatabase(process.env.TEST_DB_SERVER_URL!, name);
    const [first, second] = await Promise.all([connect(url), connect(url)]);
    try {
      const applied = await Promise.all([runMigrationsUnderLock(first), runMigrationsUnderLock(second)]);
      // One instance applied everything; the other waited on the lock and found nothing pending.
      expect(applied.map((names) => names.length).sort()).toEqual([0, first.migrations.length]);
      const rows = await first.query(`SELECT name FROM migrations`);
      expect(rows).toHaveLength(first.migrations.length);

      const tables = async () =>
        (await first.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)).map(
          (r: { tablename: string }) => r.tablename,
        );
      expect(await tables()).toEqual(
        [
          'api_keys',
          'conversation_members',
          'conversation_messages',
          'conversation_users',
          'conversations',
          'custom_fields',
          'customer_contacts',
          'customers',
          'files',
          'idempotency_keys',
          'inboxes',
          'migrations',
          'outbox',
          'tags',
          'tenants',
          'ticket_custom_field_values',
          'ticket_messages',
          'ticket_priorities',
          'ticket_sources',
          'ticket_statuses',
          'ticket_tags',
          'ticket_templates',
          'ticket_types',
          'tickets',
          'users',
          'webhook_events',
        ],
      );

      for (let i = 0; i < first.migrations.length; i++) await first.undoLastMigration();
      expect(await tables()).toEqual(['migrations']);
      expect(await runMigrationsUnderLock(first)).toHaveLength(first.migrations.length);
    } finally {
      await Promise.all([first.destroy(), second.destroy()]);
    }
  });

  it('should give tenants that exist before the location ids migration a locationId each, and new ones one by default', async () => {
    const name = `${process.env.TEST_DB_PREFIX}_locations_${Date.now().toString(36)}`;
    await createDatabase(process.env.TEST_DB_SERVER_URL!, name);
    const db = await connect(withDatabase(process.env.TEST_DB_SERVER_URL!, name));
    try {
      await runMigrationsUnderLock(db);
      expect(db.migrations.at(-1)!.name).toBe('LocationIds1764200000000');
      await db.undoLastMigration();
      await db.query(`INSERT INTO tenants (name) SELECT 'Tenant ' || n FROM generate_series(1, 50) AS n`);
      expect(await runMigrationsUnderLock(db)).toEqual(['LocationIds1764200000000']);
      await db.query(`INSERT INTO tenants (name) VALUES ('After')`);
      const rows: { location_id: string }[] = await db.query(`SELECT location_id FROM tenants`);
      expect(rows).toHaveLength(51);
      expect(rows.every((r) => /^[A-Za-z0-9]{20}$/.test(r.location_id))).toBe(true);
      expect(new Set(rows.map((r) => r.location_id)).size).toBe(51);
      await expect(db.query(`UPDATE tenants SET location_id = 'short' WHERE name = 'After'`)).rejects.toThrow(/ck_tenants_location_id/);
    } finally {
      await db.destroy();
    }
  });

  it('should keep every timestamp column timezone-aware and every tenant table led by tenant_id', async () => {
    const url = withDatabase(process.env.TEST_DB_SERVER_URL!, process.env.TEST_DB_TEMPLATE!);
    const db = await new DataSource({ ...buildDataSourceOptions({ url, poolSize: 1 }) }).initialize();
    try {
      const naive = await db.query(
        `SELECT table_name, column_name FROM information_schema.columns
          WHERE table_schema = 'public' AND data_type = 'timestamp without time zone'`,
      );
      expect(naive).toEqual([]);
      const firstColumns = await db.query(
        `SELECT table_name, column_name FROM information_schema.columns
          WHERE table_schema = 'public' AND ordinal_position = 1 AND table_name NOT IN ('tenants', 'migrations')
          ORDER BY table_name`,
      );
      for (const row of firstColumns) expect(row).toEqual({ table_name: row.table_name, column_name: 'tenant_id' });
    } finally {
      await db.destroy();
    }
  });
});
