import { Client } from 'pg';

// Tests create and drop databases: refuse to touch any whose name does not say it is a test's.
export function assertTestDatabaseName(name: string): void {
  if (!/test/.test(name) || !/^[a-z0-9_]+$/.test(name)) {
    throw new Error(`refusing to use database "${name}": a test database's name must contain "test"`);
  }
}

export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(serverUrl: string, name: string, template?: string): Promise<void> {
  assertTestDatabaseName(name);
  if (template) assertTestDatabaseName(template);
  await withClient(serverUrl, (client) =>
    client.query(`CREATE DATABASE ${name}${template ? ` WITH TEMPLATE ${template}` : ''}`),
  );
}

export async function dropDatabases(serverUrl: string, prefix: string): Promise<void> {
  assertTestDatabaseName(prefix);
  await withClient(serverUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname`,
      [prefix],
    );
    for (const { datname } of rows) {
      assertTestDatabaseName(datname);
      await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
  });
}
