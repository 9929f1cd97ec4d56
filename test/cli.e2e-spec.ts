import { loadAppConfig } from '@app/config';
import { parseCommand, runCommand, USAGE, UsageError } from '../apps/api/src/cli-commands';
import { createTestApp, TestApp } from './support/test-app';

// last_used_at is written off the request's path: poll briefly for it.
async function waitFor(read: () => Promise<string>): Promise<string> {
  let value = await read();
  for (let i = 0; i < 20 && value.includes('never used'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

const KEY = /^hdk_[0-9a-f]{16}[A-Za-z0-9_-]{43}$/;

describe('The command line (bootstrap, keys)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const run = async (...argv: string[]) => {
    const lines: string[] = [];
    await runCommand(argv, loadAppConfig(t.databaseEnv), { out: (line) => lines.push(line) });
    return lines;
  };

  it('should bootstrap a tenant with an admin agent and print a working key on the last line', async () => {
    const lines = await run('bootstrap', '--tenant', 'Acme', '--email', 'admin@acme.test', '--first-name', 'Ada');
    const key = lines.at(-1)!;
    expect(key).toMatch(KEY);
    expect(lines[0]).toMatch(/^tenant \d+ "Acme" created \(locationId [A-Za-z0-9]{20}\)$/);

    const [tenant] = await t.db.query(`SELECT id, name, state, location_id FROM tenants WHERE name = 'Acme'`);
    expect(lines[0]).toContain(tenant.location_id);
    const [admin] = await t.db.query(`SELECT id, email, role, first_name FROM users WHERE tenant_id = $1`, [tenant.id]);
    expect(admin).toMatchObject({ email: 'admin@acme.test', role: 'admin', first_name: 'Ada' });
    const [stored] = await t.db.query(`SELECT lookup, secret_hash FROM api_keys WHERE tenant_id = $1`, [tenant.id]);
    expect(stored.secret_hash).toHaveLength(32);
    expect(key).toContain(stored.lookup);
    expect(stored.secret_hash.toString('utf8')).not.toContain(key);

    const res = await t.http.get('/desk/api/v2/conversations.json').set('Authorization', `Bearer ${key}`);
    expect(res.status).toBe(200);
  });

  it('should create another key, list the keys, and revoke one so it gets 401', async () => {
    await run('bootstrap', '--tenant', 'Keys Ltd', '--email', 'keys@keys.test');
    const created = await run('create-key', '--email', 'keys@keys.test', '--name', 'dashboard');
    const second = created.at(-1)!;
    expect(second).toMatch(KEY);
    const keyId = Number(/^API key (\d+) /.exec(created[0])![1]);

    const listed = await run('list-keys', '--email', 'keys@keys.test');
    expect(listed).toHaveLength(2);
    expect(listed[1]).toMatch(new RegExp(`^${keyId}\\tactive\\t\\S+\\tnever used\\tdashboard$`));
    expect(listed.join('\n')).not.toContain(second);

    await t.http.get('/desk/api/v2/conversations.json').set('Authorization', `Bearer ${second}`).expect(200);
    const used = await waitFor(async () => (await run('list-keys', '--email', 'keys@keys.test'))[1]);
    expect(used).toMatch(new RegExp(`^${keyId}\\tactive\\t\\S+\\t\\d{4}-\\d{2}-\\d{2}T\\S+\\tdashboard$`));
    expect(await run('revoke-key', '--id', String(keyId))).toEqual([`API key ${keyId} revoked`]);
    const res = await t.http.get('/desk/api/v2/conversations.json').set('Authorization', `Bearer ${second}`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errors: { _: ['invalid or revoked API key'] } });
    expect((await run('list-keys', '--email', 'keys@keys.test'))[1]).toMatch(/\trevoked\t/);
  });

  it('should ask for --tenant-id when an email is an agent of several tenants', async () => {
    await run('bootstrap', '--tenant', 'One', '--email', 'shared@both.test');
    await run('bootstrap', '--tenant', 'Two', '--email', 'shared@both.test');
    await expect(run('create-key', '--email', 'shared@both.test')).rejects.toThrow(/pass --tenant-id/);
    const [two] = await t.db.query(`SELECT id FROM tenants WHERE name = 'Two'`);
    const lines = await run('create-key', '--email', 'shared@both.test', '--tenant-id', String(two.id));
    expect(lines[0]).toContain(`of tenant ${two.id}`);
  });

  it("should set a tenant's phone region at bootstrap and change it, national numbers then read in it", async () => {
    const lines = await run('bootstrap', '--tenant', 'Dial', '--email', 'dial@dial.test', '--phone-region', 'GB');
    expect(lines[0]).toMatch(/^tenant \d+ "Dial" created \(locationId [A-Za-z0-9]{20}, phone region GB\)$/);
    const [tenant] = await t.db.query(`SELECT id, default_phone_region FROM tenants WHERE name = 'Dial'`);
    expect(tenant.default_phone_region).toBe('GB');
    const customer = (phone: string) =>
      t.http.post('/desk/api/v2/customers.json').set('Authorization', `Bearer ${lines.at(-1)}`).send({ firstName: 'Pip', phone });
    expect((await customer('07700 900123')).body.customer.phone).toBe('+447700900123');

    expect(await run('set-phone-region', '--tenant-id', String(tenant.id), '--region', 'US')).toEqual([`tenant ${tenant.id} reads national phone numbers in US`]);
    expect((await customer('(212) 555-0123')).body.customer.phone).toBe('+12125550123');
    await run('set-phone-region', '--tenant-id', String(tenant.id), '--region', 'default');
    expect((await t.db.query(`SELECT default_phone_region FROM tenants WHERE id = $1`, [tenant.id]))[0].default_phone_region).toBeNull();
    // No region here (the tests set no DEFAULT_PHONE_REGION): a national number is a 400.
    expect((await customer('(212) 555-0124')).status).toBe(400);
  });

  it.each([
    [['bootstrap', '--email', 'a@b.test'], '--tenant is required'],
    [['bootstrap', '--tenant', 'X', '--email', 'not-an-email'], '--email must be a valid email address'],
    [['revoke-key', '--id', 'abc'], '--id must be a whole number'],
    [['revoke-key', '--id', '99999999'], 'no API key 99999999'],
    [['create-key', '--email', 'nobody@nowhere.test'], 'no active agent <nobody@nowhere.test>'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['bootstrap', '--tenant', 'X', '--email', 'x@x.test', '--phone-region', 'uk'], '--phone-region must be an ISO 3166-1 alpha-2 region in upper case, such as GB or US'],
    [['set-phone-region', '--tenant-id', '1', '--region', 'XX'], '--region must be an ISO 3166-1 alpha-2 region in upper case, such as GB or US'],
    [['set-phone-region', '--tenant-id', '99999999', '--region', 'GB'], 'no tenant 99999999'],
  ])('should refuse %j with a usage error', async (argv, message) => {
    const before = await t.db.query(`SELECT (SELECT count(*) FROM tenants) AS tenants, (SELECT count(*) FROM api_keys) AS keys`);
    await expect(run(...argv)).rejects.toThrow(new UsageError(message));
    expect(await t.db.query(`SELECT (SELECT count(*) FROM tenants) AS tenants, (SELECT count(*) FROM api_keys) AS keys`)).toEqual(before);
  });

  it('should answer help and refuse a bad command line before touching any database', async () => {
    expect(parseCommand([])).toBeNull();
    expect(parseCommand(['help'])).toBeNull();
    expect(parseCommand(['--help'])).toBeNull();
    expect(() => parseCommand(['frobnicate'])).toThrow(new UsageError('unknown command "frobnicate"'));
    expect(() => parseCommand(['list-keys', '--bogus'])).toThrow(expect.objectContaining({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }));
    expect(() => parseCommand(['list-keys', 'extra'])).toThrow(expect.objectContaining({ code: 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' }));
    // Help through runCommand needs no database either: an unresolvable one is never reached.
    const lines: string[] = [];
    await runCommand(['help'], loadAppConfig({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }), { out: (line) => lines.push(line) });
    expect(lines).toEqual([USAGE]);
  });
});
