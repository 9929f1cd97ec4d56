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

// A job that deletes in chunks, each chunk a short transaction of its own under the job's lock: a
// backlog never holds a connection, row locks or an old snapshot (which keeps vacuum from the
// table) for the whole job, and a request waiting on a row the job deletes waits for one chunk
// at most. Stops when a chunk comes back short, when another process holds the lock, or when
// `stopping()` says so (shutdown). Answers how many rows were deleted.
export async function runExclusiveChunks(
  db: Database,
  lockKey: number,
  chunkSize: number,
  deleteChunk: () => Promise<number>,
  stopping: () => boolean = () => false,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const count = await runExclusively(db, lockKey, deleteChunk);
    if (count === null) return deleted;
    deleted += count;
    if (count < chunkSize || stopping()) return deleted;
  }
}
