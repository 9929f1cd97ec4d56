import type { Database } from './database';

// Runs a periodic job in one process at a time, whatever the number of processes that run it: in a
// transaction that first takes the job's advisory lock, or not at all (null) when another process
// holds it. Transaction-scoped, so it holds behind a transaction pooler too, and it is released with
// the transaction however that ends (a process that dies mid-job included). The job's statements
// join that transaction (Database's ambient one). Each job has its own key, distinct from every
// other advisory lock key (migrate.ts's included).
export async function runExclusively<T>(db: Database, lockKey: number, job: () => Promise<T>): Promise<T | null> {
  return db.withTransaction(async () => {
    const [{ locked }] = await db.query<{ locked: boolean }[]>('SELECT pg_try_advisory_xact_lock($1) AS locked', [lockKey]);
    return locked ? job() : null;
  });
}
