export { buildDataSourceOptions } from './database-options';
export type { DatabaseOptionsInput } from './database-options';
export { DatabaseModule, MigrationsOnBoot } from './database.module';
export { openDatabaseServer } from './database-server';
export type { DatabaseServer, DatabaseServerSettings } from './database-server';
export { ensureDatabase, quoteIdentifier, startEmbeddedPostgres } from './embedded-postgres';
export { runMigrationsUnderLock } from './migrate';
