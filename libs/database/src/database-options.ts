import { DataSourceOptions } from 'typeorm';
import { migrations } from './migrations';

export type PostgresOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

export interface DatabaseOptionsInput {
  url: string;
  poolSize?: number;
  applicationName?: string;
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
      statement_timeout: 30_000,
    },
  };
}
