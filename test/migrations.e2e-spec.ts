import { buildDataSourceOptions, runMigrationsUnderLock } from '@app/database';
import { Logger } from '@nestjs/common';
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
          'conversation_activities',
          'conversation_members',
          'conversation_mentions',
          'conversation_messages',
          'conversation_status_counts',
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
          'team_members',
          'teams',
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
          'webhook_deliveries',
          'webhook_events',
          'webhook_subscriptions',
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

  it('should put existing contacts in normal form, and report look-alikes that become duplicates without merging them', async () => {
    const name = `${process.env.TEST_DB_PREFIX}_contacts_${Date.now().toString(36)}`;
    await createDatabase(process.env.TEST_DB_SERVER_URL!, name);
    const db = await connect(withDatabase(process.env.TEST_DB_SERVER_URL!, name));
    const warnings: string[] = [];
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const previousRegion = process.env.DEFAULT_PHONE_REGION;
    try {
      await runMigrationsUnderLock(db);
      await undoUntil(db, 'ContactNormalization1764700000000');
      const [{ id: acme }] = await db.query(`INSERT INTO tenants (name) VALUES ('Acme') RETURNING id`);
      const [{ id: other }] = await db.query(`INSERT INTO tenants (name) VALUES ('Other') RETURNING id`);
      // A customer with one main contact, mirrored as the service does; returns [customer, contact].
      const customer = async (tenantId: number, type: string, value: string, state = 'active') => {
        const mirror = ['email', 'phone', 'mobile'].includes(type) ? type : 'organization';
        const [{ id }] = await db.query(`INSERT INTO customers (tenant_id, ${mirror}, state, deleted_at) VALUES ($1, $2, $3, CASE $3 WHEN 'deleted' THEN now() END) RETURNING id`, [tenantId, value, state]);
        const [{ id: contactId }] = await db.query(
          `INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main, state, deleted_at)
           VALUES ($1, $2, $3, $4, true, $5, CASE $5 WHEN 'deleted' THEN now() END) RETURNING id`,
          [tenantId, id, type, value, state],
        );
        return [id as number, contactId as number];
      };
      const plain = await customer(acme, 'email', 'uniq@ex.com');
      const zeroWidth = await customer(acme, 'email', 'uniq\u200b@ex.com');
      const fullwidth = await customer(acme, 'email', 'ＵＮＩＱ@ex.com');
      const spaced = await customer(acme, 'phone', '+1 555 0100');
      const compact = await customer(acme, 'phone', '+15550100');
      const dupA = await customer(acme, 'email', 'dup\u200e@ex.com');
      const dupB = await customer(acme, 'email', 'DUP\u200d@ex.com');
      const solo = await customer(acme, 'email', ' Solo\u00ad@Ex.com');
      const mobile = await customer(acme, 'mobile', '+44 7700 900123');
      const national = await customer(acme, 'phone', '07700 900123');
      const words = await customer(acme, 'phone', 'ask at reception');
      const gone = await customer(acme, 'email', 'uniq\u200c@ex.com', 'deleted');
      const elsewhere = await customer(other, 'email', 'uniq\u200b@ex.com');

      process.env.DEFAULT_PHONE_REGION = 'GB';
      // It runs again first, then any migration after it.
      expect((await runMigrationsUnderLock(db))[0]).toBe('ContactNormalization1764700000000');

      const contacts = new Map<number, string>(
        (await db.query(`SELECT id, value FROM customer_contacts`)).map((r: { id: number; value: string }) => [Number(r.id), r.value]),
      );
      const valueOf = ([, contactId]: number[]) => contacts.get(contactId);
      // One of each group of look-alikes holds the normal form: the one that had it, else the oldest.
      expect([plain, zeroWidth, fullwidth].map(valueOf)).toEqual(['uniq@ex.com', 'uniq\u200b@ex.com', 'ＵＮＩＱ@ex.com']);
      expect([spaced, compact].map(valueOf)).toEqual(['+1 555 0100', '+15550100']);
      expect([dupA, dupB].map(valueOf)).toEqual(['dup@ex.com', 'DUP\u200d@ex.com']);
      // Alone in its form: normalised; national numbers in DEFAULT_PHONE_REGION; words left; deleted rows too.
      expect([solo, mobile, national, words, gone, elsewhere].map(valueOf)).toEqual([
        'solo@ex.com',
        '+447700900123',
        '+447700900123',
        'ask at reception',
        'uniq@ex.com',
        'uniq@ex.com',
      ]);
      // The mirrors follow their contacts, those left as they were too.
      const mirrors = new Map<number, string>(
        (await db.query(`SELECT id, coalesce(email, phone, mobile) AS value FROM customers`)).map((r: { id: number; value: string }) => [Number(r.id), r.value]),
      );
      for (const row of [plain, zeroWidth, fullwidth, spaced, compact, dupA, dupB, solo, mobile, national, words, gone, elsewhere]) {
        expect([row[0], mirrors.get(row[0])]).toEqual([row[0], valueOf(row)]);
      }

      // Reported, not merged: tenant, type, value, every customer and contact, and who kept a value.
      expect(warnings).toEqual(
        expect.arrayContaining([
          `duplicate contacts, not merged: tenant ${acme}, email "dup@ex.com": customers ${dupA[0]}, ${dupB[0]} (contacts ${dupA[1]}, ${dupB[1]}); contacts ${dupB[1]} keep their old value`,
          `duplicate contacts, not merged: tenant ${acme}, email "uniq@ex.com": customers ${plain[0]}, ${zeroWidth[0]}, ${fullwidth[0]} (contacts ${plain[1]}, ${zeroWidth[1]}, ${fullwidth[1]}); contacts ${zeroWidth[1]}, ${fullwidth[1]} keep their old value`,
          `duplicate contacts, not merged: tenant ${acme}, phone "+15550100": customers ${spaced[0]}, ${compact[0]} (contacts ${spaced[1]}, ${compact[1]}); contacts ${spaced[1]} keep their old value`,
          `1 phone numbers could not be read (region GB) and keep their value: tenant ${acme} contact ${words[1]} "ask at reception"`,
        ]),
      );
      expect(warnings).toHaveLength(4);
      // The unique index still holds, on the normal forms.
      await expect(
        db.query(`INSERT INTO customer_contacts (tenant_id, customer_id, type, value) VALUES ($1, $2, 'email', 'SOLO@ex.com')`, [acme, solo[0]]),
      ).rejects.toThrow(/uq_customer_contacts_value/);
      await db.query(`UPDATE tenants SET default_phone_region = 'US' WHERE id = $1`, [acme]);
      await expect(db.query(`UPDATE tenants SET default_phone_region = 'us' WHERE id = $1`, [acme])).rejects.toThrow(/ck_tenants_default_phone_region/);
    } finally {
      if (previousRegion === undefined) delete process.env.DEFAULT_PHONE_REGION;
      else process.env.DEFAULT_PHONE_REGION = previousRegion;
      warn.mockRestore();
      log.mockRestore();
      await db.destroy();
    }
  });

  it('should count the conversations already stored into the status ledger, then keep it by trigger', async () => {
    const name = `${process.env.TEST_DB_PREFIX}_queues_${Date.now().toString(36)}`;
    await createDatabase(process.env.TEST_DB_SERVER_URL!, name);
    const db = await connect(withDatabase(process.env.TEST_DB_SERVER_URL!, name));
    try {
      await runMigrationsUnderLock(db);
      await undoUntil(db, 'Queues1764940000000');
      const [{ id: tenantId }] = await db.query(`INSERT INTO tenants (name) VALUES ('Acme') RETURNING id`);
      const [{ id: customerId }] = await db.query(`INSERT INTO customers (tenant_id, first_name) VALUES ($1, 'Cora') RETURNING id`, [tenantId]);
      const [{ id: contactId }] = await db.query(
        `INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main) VALUES ($1, $2, 'email', 'cora@example.test', true) RETURNING id`,
        [tenantId, customerId],
      );
      await db.query(
        `INSERT INTO conversations (tenant_id, contact_id, status, resolved_at, state, deleted_at)
         VALUES ($1, $2, 'open', NULL, 'active', NULL), ($1, $2, 'open', NULL, 'active', NULL), ($1, $2, 'resolved', now(), 'active', NULL),
                ($1, $2, 'open', NULL, 'deleted', now())`,
        [tenantId, contactId],
      );
      expect((await runMigrationsUnderLock(db))[0]).toBe('Queues1764940000000');
      const sums = async () =>
        db.query(`SELECT status, sum(delta)::int AS n FROM conversation_status_counts WHERE tenant_id = $1 GROUP BY status ORDER BY status`, [tenantId]);
      expect(await sums()).toEqual([
        { status: 'open', n: 2 },
        { status: 'resolved', n: 1 },
      ]);
      await db.query(`UPDATE conversations SET status = 'pending' WHERE tenant_id = $1 AND status = 'open' AND state = 'active'`, [tenantId]);
      expect(await sums()).toEqual([
        { status: 'open', n: 0 },
        { status: 'pending', n: 2 },
        { status: 'resolved', n: 1 },
      ]);
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
