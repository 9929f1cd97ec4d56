import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppConfig } from '@app/config';
import { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { isPooled, STATEMENT_TIMEOUT_MS } from './database-options';

// The services' one way to the database. Inside `withTransaction` every query of the request, and
// every `transaction()` a service opens, joins that one transaction: the idempotency interceptor
// commits a key's record with the work it guards, or neither.
@Injectable()
export class Database {
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
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const ambient = this.ambient.getStore();
    if (ambient) return work(ambient);
    return this.open(work);
  }

  // Opens a transaction that everything `work` calls joins.
  async withTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.ambient.getStore()) throw new Error('already inside an ambient transaction');
    return this.open(work);
  }

  private open<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      // A pooler's connections carry no session settings of ours: the timeout holds per transaction.
      if (this.pooled) await manager.query(`SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
      return this.ambient.run(manager, () => work(manager));
    });
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
