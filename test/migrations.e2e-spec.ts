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
      await undoUntil(db, 'LocationIds1764200000000');
      await db.query(`INSERT INTO tenants (name) SELECT 'Tenant ' || n FROM generate_series(1, 50) AS n`);
      expect((await runMigrationsUnderLock(db))[0]).toBe('LocationIds1764200000000');
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

  it("should backfill HighLevel's fields from the conversations and messages already stored", async () => {
    const name = `${process.env.TEST_DB_PREFIX}_highlevel_${Date.now().toString(36)}`;
    await createDatabase(process.env.TEST_DB_SERVER_URL!, name);
    const db = await connect(withDatabase(process.env.TEST_DB_SERVER_URL!, name));
    try {
      await runMigrationsUnderLock(db);
      await undoUntil(db, 'HighLevel1764300000000');
      const [{ id: tenantId }] = await db.query(`INSERT INTO tenants (name) VALUES ('Acme') RETURNING id`);
      const [{ id: userId }] = await db.query(
        `INSERT INTO users (tenant_id, email, first_name, last_name, role) VALUES ($1, 'a@acme.test', 'A', 'Gent', 'agent') RETURNING id`,
        [tenantId],
      );
      const [{ id: customerId }] = await db.query(`INSERT INTO customers (tenant_id, first_name) VALUES ($1, 'Cora') RETURNING id`, [tenantId]);
      const [{ id: contactId }] = await db.query(
        `INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main) VALUES ($1, $2, 'email', 'cora@example.test', true) RETURNING id`,
        [tenantId, customerId],
      );
      const conversation = async (state = 'active') =>
        (
          await db.query(
            `INSERT INTO conversations (tenant_id, contact_id, state, deleted_at) VALUES ($1, $2, $3, CASE WHEN $3 = 'deleted' THEN now() END) RETURNING id`,
            [tenantId, contactId, state],
          )
        )[0].id;
      const [talk, quiet, gone] = [await conversation(), await conversation(), await conversation('deleted')];
      // Customer, agent, then two from the customer (one through Pusher's webhook): two unread.
      const authors: [number | null, number | null, string | null][] = [
        [null, contactId, null],
        [userId, null, null],
        [null, contactId, null],
        [null, contactId, 'widget-1'],
      ];
      for (const [index, [user, contact, clientId]] of authors.entries()) {
        await db.query(
          `INSERT INTO conversation_messages (tenant_id, conversation_id, user_id, contact_id, message, client_message_id, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, now() + $7 * interval '1 second')`,
          [tenantId, talk, user, contact, `m${index}`, clientId, index],
        );
      }
      await db.query(
        `INSERT INTO webhook_events (tenant_id, dedupe_key, conversation_id, name, channel, time_ms, outcome)
         VALUES ($1, $2, $3, 'client_event', $4, 0, 'message')`,
        [tenantId, `message:${talk}:widget-1`, talk, `private-conversation-${talk}`],
      );
      expect((await runMigrationsUnderLock(db))[0]).toBe('HighLevel1764300000000');

      const conversations = await db.query(`SELECT id, unread_count, inbox, starred, type FROM conversations ORDER BY id`);
      expect(conversations).toEqual([
        { id: talk, unread_count: 2, inbox: true, starred: false, type: 1 },
        { id: quiet, unread_count: 0, inbox: true, starred: false, type: 1 },
        { id: gone, unread_count: 0, inbox: false, starred: false, type: 1 },
      ]);
      // The search's copy of each conversation's latest active message (Search1764400000000).
      expect(await db.query(`SELECT id, last_message_text FROM conversations ORDER BY id`)).toEqual([
        { id: talk, last_message_text: 'm3' },
        { id: quiet, last_message_text: null },
        { id: gone, last_message_text: null },
      ]);
      const messages = await db.query(`SELECT message, direction, status, message_type, source FROM conversation_messages ORDER BY created_at`);
      expect(messages).toEqual([
        { message: 'm0', direction: 'inbound', status: 'delivered', message_type: 'TYPE_LIVE_CHAT', source: 'api' },
        { message: 'm1', direction: 'outbound', status: 'sent', message_type: 'TYPE_LIVE_CHAT', source: 'api' },
        { message: 'm2', direction: 'inbound', status: 'delivered', message_type: 'TYPE_LIVE_CHAT', source: 'api' },
        { message: 'm3', direction: 'inbound', status: 'delivered', message_type: 'TYPE_LIVE_CHAT', source: 'app' },
      ]);
      // The webhook's key of a message names its side (ScopedIdempotency1764600000000).
      expect(await db.query(`SELECT dedupe_key FROM webhook_events`)).toEqual([{ dedupe_key: `message:${talk}:inbound:widget-1` }]);
      await expect(db.query(`UPDATE conversations SET unread_count = -1 WHERE id = $1`, [talk])).rejects.toThrow(/ck_conversations_unread_count/);
      await expect(db.query(`UPDATE conversations SET feedback = '[1]' WHERE id = $1`, [talk])).rejects.toThrow(/ck_conversations_feedback/);
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

// Undoes the latest migrations until `name`, included, is no longer applied.
async function undoUntil(db: DataSource, name: string): Promise<void> {
  for (;;) {
    const [last]: { name: string }[] = await db.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`);
    await db.undoLastMigration();
    if (last.name === name) return;
  }
}
