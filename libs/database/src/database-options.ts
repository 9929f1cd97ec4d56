import { DataSourceOptions } from 'typeorm';
import { migrations } from './migrations';

export type PostgresOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

// The longest any statement may run.
export const STATEMENT_TIMEOUT_MS = 30_000;

export interface DatabaseOptionsInput {
  url: string;
  poolSize?: number;
  applicationName?: string;
  // Through a transaction pooler (PgBouncer), which refuses session startup parameters: the
  // statement timeout is then set per transaction instead (see Database).
  pooled?: boolean;
}

// DATABASE_URL goes through a pooler when a different direct URL is given for session work.
export function isPooled(config: { DATABASE_URL?: string; DATABASE_DIRECT_URL?: string }): boolean {
  return config.DATABASE_DIRECT_URL !== undefined && config.DATABASE_DIRECT_URL !== config.DATABASE_URL;
}

// The one options builder: the app, the TypeORM CLI and the tests all connect through it.
export function buildDataSourceOptions(input: DatabaseOptionsInput): PostgresOptions {
  return {
    type: 'postgres',
    url: input.url,
    // Ids are bigint identities; they stay far below 2^53, so they travel as JSON integers.
    parseInt8: true,
    synchronize: false,
    migrationsRun: false,
    migrations,
    migrationsTableName: 'migrations',
    poolSize: input.poolSize ?? 10,
    applicationName: input.applicationName ?? 'helpdesk-api',
    extra: {
      // Fail fast when the database is unreachable rather than hanging a request.
      connectionTimeoutMillis: 5000,
      ...(input.pooled ? {} : { statement_timeout: STATEMENT_TIMEOUT_MS }),
    },
  };
}
