import { Writable } from 'node:stream';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadAppConfig } from '@app/config';
import { createApp } from '../apps/api/src/create-app';
import { createTenant, TestTenant } from './support/factories';
import { FakePusher, startFakePusher } from './support/pusher-server';
import { ServiceProcess, startService } from './support/service-process';
import { createTestDatabaseEnv, TestApp, testAppOf } from './support/test-app';
import { waitFor } from './support/wait-for';

interface LogLine {
  level: number;
  msg?: string;
  context?: string;
  err?: unknown;
  req?: { url: string };
  res?: { statusCode: number };
  [key: string]: unknown;
}

const INFO = 30;
const WARN = 40;
const ERROR = 50;

const parseLines = (text: string): LogLine[] =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogLine);

describe('Logs of a real start (the production build)', () => {
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });

  it('should start in at most 15 lines at info, warn once of a missing Pusher, log 4xx at info and a 503 without a stack', async () => {
    // No PUSHER_* at all: the deployment has no Pusher app.
    service = await startService({ ...(await createTestDatabaseEnv()), LOG_LEVEL: 'info' });
    const startLines = parseLines(service.output());
    expect(startLines.length).toBeLessThanOrEqual(15);
    // Nest's module and route table is debug.
    expect(startLines.filter((line) => ['InstanceLoader', 'RoutesResolver', 'RouterExplorer'].includes(line.context ?? ''))).toEqual([]);

    const missing = await fetch(new URL('/desk/api/v2/me.json', service.url));
    expect(missing.status).toBe(401);
    for (let i = 0; i < 2; i++) {
      const auth = await fetch(new URL('/desk/api/v2/pusher/auth.json', service.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'socket_id=1.1&channel_name=private-tenant-1',
      });
      expect(auth.status).toBe(503);
      expect(auth.headers.get('x-error-code')).toBe('PUSHER_NOT_CONFIGURED');
    }
    const requestLines = await waitFor('the three request lines', () => {
      const lines = parseLines(service!.output()).filter((line) => line.req?.url.startsWith('/desk/api/v2/'));
      return lines.length >= 3 ? lines : null;
    });

    const lines = parseLines(service.output());
    const warnings = lines.filter((line) => line.level >= WARN && !line.req);
    // And no SMTP_URL: email is off, said once too.
    expect(warnings.map((line) => line.context).sort()).toEqual(['EmailDispatcher', 'OutboxDispatcher']);
    const pusherWarning = warnings.find((line) => line.context === 'OutboxDispatcher')!;
    expect(pusherWarning).toMatchObject({ level: WARN });
    expect(pusherWarning.msg).toContain('Pusher is not configured (PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET)');
    expect(warnings.find((line) => line.context === 'EmailDispatcher')!.msg).toContain('SMTP_URL is not set: email is off');

    const [clientError, ...unavailable] = requestLines;
    expect(clientError).toMatchObject({ level: INFO, res: { statusCode: 401 } });
    expect(unavailable).toHaveLength(2);
    for (const line of unavailable) {
      expect(line).toMatchObject({ level: ERROR, res: { statusCode: 503 } });
      expect(line).not.toHaveProperty('err');
      expect(JSON.stringify(line)).not.toMatch(/stack|\bat .*\.js:\d+/);
    }
  });
});

// The dispatcher's warnings and counters, on an app of this file's own whose log lines are captured
// (the first app of this file: nestjs-pino writes lines outside a request with the first app's
// logger of a process). Its requests stay in this process, also under E2E_PROCESSES.
describe('Logs and metrics of failing live updates', () => {
  const METRICS_TOKEN = 'metrics-token-of-the-logs-spec';
  let pusher: FakePusher;
  let app: NestFastifyApplication;
  let t: TestApp;
  const lines: LogLine[] = [];

  beforeAll(async () => {
    pusher = await startFakePusher();
    const databaseEnv = await createTestDatabaseEnv();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...parseLines(chunk.toString()));
        done();
      },
    });
    const env = { ...databaseEnv, ...pusher.env(), LOG_LEVEL: 'info', PUSHER_DISPATCH_INTERVAL_MS: '50', PUSHER_TIMEOUT_MS: '1000', METRICS_TOKEN };
    app = await createApp(loadAppConfig(env), { logStream: sink });
    t = await testAppOf(app, databaseEnv);
  });
  afterAll(async () => {
    await app?.close();
    await pusher?.close();
  });

  const insertRows = async (tenant: TestTenant, count: number, attempts = 0): Promise<number[]> => {
    const rows: { id: number }[] = await t.db.query(
      `INSERT INTO outbox (tenant_id, topic, payload, attempts)
       SELECT $1, 'pusher', $2, $3 FROM generate_series(1, $4) RETURNING id`,
      [tenant.tenantId, { event: 'conversation.updated', channels: [`private-tenant-${tenant.tenantId}`], data: { id: -1 }, socketId: null }, attempts, count],
    );
    return rows.map((row) => Number(row.id));
  };
  const attemptsOf = async (ids: number[]): Promise<number[]> =>
    (await t.db.query(`SELECT attempts FROM outbox WHERE id = ANY($1) ORDER BY id`, [ids])).map((row: { attempts: number }) => row.attempts);
  const failureWarnings = (tenant: TestTenant) =>
    lines.filter((line) => line.level === WARN && line.context === 'OutboxDispatcher' && line.tenantId === tenant.tenantId);
  const scrape = async (): Promise<string> => {
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    return res.text;
  };
  const sample = (text: string, series: string): number => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    if (!line) throw new Error(`no sample ${series}`);
    return Number(line.split(' ')[1]);
  };

  it('should warn once a minute per tenant with the attempt and the next try, and count every failure and the backlog', async () => {
    const [acme, globex, initech] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex'), createTenant(t, 'Initech')]);
    // Pusher refuses every send (as an overloaded or misconfigured Pusher does).
    pusher.failNext(1_000_000, 500);
    const acmeRows = await insertRows(acme, 3);
    const globexRows = await insertRows(globex, 1);
    // On its last try: given up at the first failure.
    const initechRows = await insertRows(initech, 1, 9);

    // Acme's rows failed three times each (1 s, then 2 s apart), Globex's too.
    await waitFor('three failed attempts of every row', async () => (await attemptsOf([...acmeRows, ...globexRows])).every((n) => n >= 3), 20_000);
    const during = await scrape();
    expect(sample(during, 'helpdesk_outbox_backlog')).toBe(4);

    for (const tenant of [acme, globex]) {
      const warnings = failureWarnings(tenant);
      expect(warnings).toHaveLength(1);
      const [warning] = warnings;
      expect(warning).toMatchObject({ tenantId: tenant.tenantId, attempts: 1, maxAttempts: 10, skipped: 0, event: 'conversation.updated' });
      // The first retry is 0.5 to 1 s after the failure.
      const delay = Date.parse(warning.nextTryAt as string) - (warning.time as number);
      expect(delay).toBeGreaterThanOrEqual(450);
      expect(delay).toBeLessThanOrEqual(1_050);
      expect(warning.msg).toContain(`live update to Pusher failed for tenant ${tenant.tenantId}: Pusher answered 500: failing on purpose with 500`);
      expect(warning.msg).toContain(`attempt 1 of 10, next try at ${warning.nextTryAt as string}`);
    }
    const [givenUp] = failureWarnings(initech);
    expect(givenUp).toMatchObject({ tenantId: initech.tenantId, attempts: 10, nextTryAt: null });
    expect(givenUp.msg).toContain('attempt 10 of 10, given up');
    expect(failureWarnings(initech)).toHaveLength(1);
    const [initechRow] = await t.db.query(`SELECT attempts, failed_at FROM outbox WHERE id = $1`, [initechRows[0]]);
    expect(initechRow.attempts).toBe(10);
    expect(initechRow.failed_at).not.toBeNull();

    // Pusher is back: everything left is delivered, and the attempts are final.
    pusher.failNext(0, 500);
    // A row that failed a fifth time under a loaded machine waits up to 16 s for its next try.
    await waitFor('the outbox to drain', async () => {
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL`);
      return n === 0;
    }, 40_000);
    const after = await scrape();
    // Every attempt of a delivered row but its last failed.
    const retried = (await attemptsOf([...acmeRows, ...globexRows])).reduce((sum, n) => sum + n - 1, 0);
    expect(retried).toBeGreaterThanOrEqual(12);
    expect(sample(after, 'helpdesk_outbox_delivery_failures_total{outcome="retry"}')).toBe(retried);
    expect(sample(after, 'helpdesk_outbox_delivery_failures_total{outcome="given_up"}')).toBe(1);
    expect(sample(after, 'helpdesk_outbox_backlog')).toBe(0);
    // Still one line per tenant: the later failures were within the minute.
    expect(failureWarnings(acme)).toHaveLength(1);
    expect(failureWarnings(globex)).toHaveLength(1);
  });
});
