export { buildDataSourceOptions } from './database-options';
export type { DatabaseOptionsInput } from './database-options';
export { DatabaseModule } from './database.module';
export { openDatabaseServer } from './database-server';
export type { DatabaseServer, DatabaseServerSettings } from './database-server';
export { runExclusiveChunks, runExclusively } from './exclusive-job';
export { runMigrationsUnderLock } from './migrate';
export { Database } from './database';
export { currentDeadline, DeadlineExceededError, RequestDeadline, runWithDeadline } from './request-deadline';
