import { SchedulerRegistry } from '@nestjs/schedule';
import { Database, runExclusiveChunks, runExclusively } from '@app/database';
import { OutboxPurge } from '../apps/api/src/live/outbox-purge';
import { createTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

// A key no job of the service uses.
const TEST_LOCK_KEY = 4_815_162_399;
// The advisory lock of a bigint key, granted in this database (its high and low 32 bits).
const HELD = `SELECT 1 FROM pg_locks
               WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND classid::bigint * 4294967296 + objid::bigint = $1`;

describe('periodic jobs', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('should run each job on a named schedule, and stop every one when the app closes', async () => {
    const other = await createTestApp();
    const registry = other.app.get(SchedulerRegistry);
    const jobs = registry.getCronJobs();
    expect([...jobs.keys()].sort()).toEqual(['email-purge', 'idempotency-keys-purge', 'outbox-purge', 'routing-sweep', 'snooze-wake-up', 'status-counts-fold', 'upload-spool-sweep', 'webhook-deliveries-purge', 'webhook-events-sweep']);
    const started = [...jobs.values()];
    expect(started.every((job) => job.isActive)).toBe(true);
    await other.close();
    expect(registry.getCronJobs().size).toBe(0);
    expect(started.some((job) => job.isActive)).toBe(false);
  });

  it('should skip a job while another process holds its lock, and run it once the lock is free', async () => {
    const db = t.app.get(Database);
    const holder = t.db.createQueryRunner();
    await holder.connect();
    let ran = 0;
    const job = async () => ++ran;
    try {
      await holder.startTransaction();
      await holder.query('SELECT pg_advisory_xact_lock($1)', [TEST_LOCK_KEY]);
      expect(await runExclusively(db, TEST_LOCK_KEY, job)).toBeNull();
      expect(ran).toBe(0);
      await holder.commitTransaction();
      expect(await runExclusively(db, TEST_LOCK_KEY, job)).toBe(1);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
  });

  it('should let one of two runs at once do the job, the other skipping at once', async () => {
    const db = t.app.get(Database);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const first = runExclusively(db, TEST_LOCK_KEY, async () => {
      await gate;
      return 'first';
    });
    // The first holds the lock once its transaction has taken it.
    await waitFor(async () => (await t.db.query(HELD, [TEST_LOCK_KEY])).length > 0);
    expect(await runExclusively(db, TEST_LOCK_KEY, async () => 'second')).toBeNull();
    open();
    expect(await first).toBe('first');
  });

  it('should run a chunked job chunk by chunk, each its own transaction under the lock, until a chunk comes back short', async () => {
    const db = t.app.get(Database);
    const counts = [2, 2, 1, 2];
    const transactions: string[] = [];
    const chunk = async () => {
      const [{ txid, held }] = await db.query<{ txid: string; held: boolean }[]>(
        `SELECT txid_current()::text AS txid, EXISTS (${HELD.replace('$1', String(TEST_LOCK_KEY))}) AS held`,
      );
      expect(held).toBe(true);
      transactions.push(txid);
      return counts.shift()!;
    };
    expect(await runExclusiveChunks(db, TEST_LOCK_KEY, 2, chunk)).toBe(5);
    // Three chunks, the short one last; each in a transaction of its own.
    expect(transactions).toHaveLength(3);
    expect(new Set(transactions).size).toBe(3);
    // Stopping ends it after the chunk under way.
    let chunks = 0;
    expect(await runExclusiveChunks(db, TEST_LOCK_KEY, 2, async () => (++chunks, 2), () => chunks >= 1)).toBe(2);
    expect(chunks).toBe(1);
  });

  it('should do its work through the lock when the schedule runs it', async () => {
    const acme = await createTenant(t, 'Acme jobs');
    const [{ id }] = await t.db.query(
      `INSERT INTO outbox (tenant_id, topic, payload, delivered_at, available_at)
       VALUES ($1, 'pusher', '{"event":"conversation.updated","channels":[],"data":{},"socketId":null}', now() - interval '2 days', now())
       RETURNING id`,
      [acme.tenantId],
    );
    await t.app.get(OutboxPurge).run();
    expect(await t.db.query(`SELECT id FROM outbox WHERE id = $1`, [id])).toEqual([]);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
