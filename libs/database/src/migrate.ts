import { DataSource } from 'typeorm';

// Any fixed 64-bit number; every instance of the service uses the same one.
const MIGRATION_LOCK_KEY = 4_815_162_342;

// Two instances booting together must not both apply the same migration: the first takes the
// lock and migrates, the second waits, then finds nothing pending.
export async function runMigrationsUnderLock(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
