import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppConfig } from '@app/config';
import { DataSource, EntityManager, EntityTarget, ObjectLiteral, QueryFailedError } from 'typeorm';
import { isPooled, STATEMENT_TIMEOUT_MS } from './database-options';
import { currentDeadline, DeadlineExceededError } from './request-deadline';
import { retryableState, retryPauseMs, TRANSACTION_ATTEMPTS } from './transaction-retry';

// The services' one way to the database. Inside `withTransaction` every query of the request, and
// every `transaction()` a service opens, joins that one transaction: the idempotency interceptor
// commits a key's record with the work it guards, or neither.
// A transaction opened for a request with a deadline (RequestDeadline) holds its statements to the
// time left and commits only if the deadline has not answered for the request already.
// The outermost transaction is the unit of retry: one that PostgreSQL aborts for a deadlock or a
// serialization failure runs again from its start (see transaction-retry.ts), so a request with an
// Idempotency-Key claims its key again with the work it guards.
@Injectable()
export class Database {
  private readonly logger = new Logger(Database.name);
  private readonly ambient = new AsyncLocalStorage<EntityManager>();
  private readonly columnLists = new Map<EntityTarget<ObjectLiteral>, string>();

  private readonly pooled: boolean;

  constructor(@InjectDataSource() readonly dataSource: DataSource, config: AppConfig) {
    this.pooled = isPooled(config);
  }

  // The ambient transaction's manager, or the pool's.
  get manager(): EntityManager {
    return this.ambient.getStore() ?? this.dataSource.manager;
  }

  get inTransaction(): boolean {
    return this.ambient.getStore() !== undefined;
  }

  // A unit of work: a part of the ambient transaction, or its own, which then becomes ambient, so
  // that whatever `work` calls reads and writes through it rather than through another pooled
  // connection (under load, a transaction waiting for a second connection can wait forever).
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.ambient.getStore()) return work();
    return this.run(work);
  }

  // A part of the ambient transaction that can fail alone: a savepoint, rolled back to when `work`
  // throws, so that the transaction stays usable (to read what a unique violation collided with).
  async savepoint<T>(work: () => Promise<T>): Promise<T> {
    const ambient = this.ambient.getStore();
    if (!ambient) throw new Error('a savepoint needs an ambient transaction');
    return ambient.transaction(() => work());
  }

  // Opens a transaction that everything `work` calls joins.
  async withTransaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.ambient.getStore()) throw new Error('already inside an ambient transaction');
    return this.run(work);
  }

  // Runs `work` in a transaction of its own, again after a deadlock or serialization failure while
  // attempts and the request's deadline allow; `work` must then be safe to run again, which it is
  // when everything it writes goes through this transaction.
  private async run<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runOnce(work);
      } catch (error) {
        const pause = retryPauseMs(error, attempt, currentDeadline());
        if (pause === null) throw error;
        this.logger.warn(`transaction rolled back by ${retryableState(error)}; attempt ${attempt + 1} of ${TRANSACTION_ATTEMPTS} in ${pause} ms`);
        await sleep(pause);
      }
    }
  }

  // As DataSource.transaction, with the request's deadline at its start and at its COMMIT.
  private async runOnce<T>(work: () => Promise<T>): Promise<T> {
    const deadline = currentDeadline();
    const runner = this.dataSource.createQueryRunner();
    let bounded = false;
    try {
      await runner.startTransaction();
      // Answered already (waiting for a pooled connection can outlast the deadline): do nothing.
      if (deadline?.expired) throw new DeadlineExceededError();
      // A whole number of milliseconds from our own clock; SET takes no bound parameters. A
      // statement still running then (a lock wait, a slow scan) is cancelled by PostgreSQL.
      let timeout: number | undefined;
      if (deadline?.running) {
        const left = deadline.remainingMs;
        if (left === 0) throw new DeadlineExceededError();
        bounded = left <= STATEMENT_TIMEOUT_MS;
        timeout = Math.min(left, STATEMENT_TIMEOUT_MS);
      } else if (this.pooled) {
        // A pooler's connections carry no session settings of ours: the timeout holds per transaction.
        timeout = STATEMENT_TIMEOUT_MS;
      }
      if (timeout !== undefined) await runner.query(`SET LOCAL statement_timeout = ${timeout}`);
      const result = await this.ambient.run(runner.manager, work);
      // Checked and marked in one synchronous step: from here the deadline will not answer 503.
      if (deadline && !deadline.beginCommit()) throw new DeadlineExceededError();
      await runner.commitTransaction();
      return result;
    } catch (error) {
      // Rolled back whatever the failure; the original error is the one that matters.
      await runner.rollbackTransaction().catch(() => undefined);
      throw bounded && isStatementTimeout(error) ? new DeadlineExceededError() : error;
    } finally {
      await runner.release();
    }
  }

  // Independent reads: at once on the pool; one after another inside a transaction, whose one
  // connection runs one query at a time.
  async all<T extends unknown[]>(...jobs: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
    if (!this.inTransaction) return (await Promise.all(jobs.map((job) => job()))) as T;
    const results: unknown[] = [];
    for (const job of jobs) results.push(await job());
    return results as T;
  }

  // An entity's selectable columns under its property names (`tenant_id AS "tenantId", …`): a
  // hand-written statement that selects or returns them yields the entity's rows as TypeORM
  // would, without building the query each time (the reads on every request's path).
  columnsOf(target: EntityTarget<ObjectLiteral>): string {
    let list = this.columnLists.get(target);
    if (list === undefined) {
      list = this.dataSource
        .getMetadata(target)
        .columns.filter((column) => column.isSelect)
        .map((column) => `${column.databaseName} AS "${column.propertyName}"`)
        .join(', ');
      this.columnLists.set(target, list);
    }
    return list;
  }

  async query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T> {
    return this.manager.query(sql, parameters) as Promise<T>;
  }
}

// PostgreSQL's "canceling statement due to statement timeout" (57014): in a transaction held to a
// deadline, the deadline's.
function isStatementTimeout(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: unknown }).code === '57014';
}
