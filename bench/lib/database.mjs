// The benchmark's own database: created fresh on BENCH_DATABASE_URL's server for one run, dropped
// at its end (whatever the end).
import { URL } from 'node:url';
import pg from 'pg';

// bigint ids travel as numbers, as the service reads them (TypeORM's parseInt8).
pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10));

export const DEFAULT_SERVER_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

// The URL of another database on the same server.
export function databaseUrl(serverUrl, name) {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export function benchDatabaseName(now = new Date()) {
  const stamp = now.toISOString().replace(/[-:TZ.]/g, '').slice(0, 17); // yyyymmddHHMMSSmmm
  return `helpdesk_bench_${stamp}`;
}

async function withAdmin(serverUrl, work) {
  const client = new pg.Client({ connectionString: serverUrl, application_name: 'helpdesk-bench' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(serverUrl, name) {
  if (!/^helpdesk_bench_\d+$/.test(name)) throw new Error(`refusing to create ${name}: not a benchmark database name`);
  await withAdmin(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
}

// Drops only databases this harness names, terminating whatever is still connected.
export async function dropDatabase(serverUrl, name) {
  if (!/^helpdesk_bench_\d+$/.test(name)) throw new Error(`refusing to drop ${name}: not a benchmark database name`);
  await withAdmin(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

// The harness's own connections (seeding, checks). Seeding grows tables from a few rows to 100,000s
// in one session, and PostgreSQL keeps the plans of its foreign-key checks per session: planned
// while a table was tiny they scan it whole, and the seeding turns quadratic. No sequential scans
// here keeps those lookups on the primary keys.
export function openPool(url, max = 4) {
  return new pg.Pool({ connectionString: url, max, application_name: 'helpdesk-bench-seed', options: '-c plan_cache_mode=force_custom_plan' });
}

export async function serverVersion(pool) {
  const { rows } = await pool.query('SHOW server_version');
  return rows[0].server_version;
}
