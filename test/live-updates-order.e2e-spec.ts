import { FakePusher, startFakePusher } from './support/pusher-server';
import { createTenant, TestTenant } from './support/factories';
import { itWithOwnProcesses } from './support/passes';
import { ServiceProcess, startServiceProcess } from './support/service-processes';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const TENANTS = 3;
// Written in this many transactions, each a run of every tenant's rows interleaved, while the two
// processes dispatch: claims race the writes and each other.
const WRITES = 12;
const ROWS_PER_WRITE = 30;

// One tenant's live updates reach Pusher in id order whatever the number of dispatching processes
// (docs/architecture.md, "Live updates: order and recovery"): two service processes of the
// production build share one outbox and one fake Pusher, which fails some requests on the way.
describe('Live updates in order across processes', () => {
  let pusher: FakePusher;
  let t: TestApp;
  let tenants: TestTenant[];
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    pusher = await startFakePusher({ appId: '1', key: 'key', secret: 'secret' });
    // The in-process app has no Pusher credentials: only the two processes dispatch.
    t = await createTestApp();
    tenants = await Promise.all(Array.from({ length: TENANTS }, (_, n) => createTenant(t, `Order ${n}`)));
    const env = { ...t.databaseEnv, ...pusher.env(), PUSHER_DISPATCH_INTERVAL_MS: '10', PUSHER_TIMEOUT_MS: '1000', LOG_LEVEL: 'warn' };
    services.push(...(await Promise.all([startServiceProcess(env), startServiceProcess(env)])));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await t?.close();
    await pusher?.close();
  });

  itWithOwnProcesses("should send each tenant's rows in id order, each once, with both processes sending", async () => {
    for (let write = 0; write < WRITES; write++) {
      const payloads = Array.from({ length: ROWS_PER_WRITE }, (_, n) => {
        const tenant = tenants[n % TENANTS];
        return { tenant: tenant.tenantId, payload: { event: 'conversation.updated', channels: [`private-tenant-${tenant.tenantId}`], data: { id: -7, write, n }, socketId: null } };
      });
      await t.db.query(
        `INSERT INTO outbox (tenant_id, topic, payload)
         SELECT (p ->> 'tenant')::bigint, 'pusher', p -> 'payload' FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(p, n) ORDER BY n`,
        [JSON.stringify(payloads)],
      );
      // A 503 now and then: the failed rows are retried and their tenants' later rows wait for them.
      if (write % 4 === 1) pusher.failNext(1, 503);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const total = WRITES * ROWS_PER_WRITE;
    await waitFor('every row delivered', async () => {
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'pusher' AND delivered_at IS NOT NULL AND payload -> 'data' ->> 'id' = '-7'`);
      return n === total;
    }, 15_000);

    const rows: { tenant_id: number; id: number; write: number; n: number; claimed_by: string | null; failed_at: Date | null }[] = await t.db.query(
      `SELECT tenant_id, id, (payload -> 'data' ->> 'write')::int AS write, (payload -> 'data' ->> 'n')::int AS n, claimed_by, failed_at
         FROM outbox WHERE topic = 'pusher' AND payload -> 'data' ->> 'id' = '-7' ORDER BY id`,
    );
    expect(rows).toHaveLength(total);
    expect(rows.filter((row) => row.failed_at !== null)).toEqual([]);
    // Both sent: the row names the process that delivered it.
    expect(new Set(rows.map((row) => row.claimed_by)).size).toBe(2);
    expect(rows.every((row) => row.claimed_by !== null)).toBe(true);
    // Something failed on the way (and was sent again).
    expect(pusher.requests.some((request) => request.status === 503)).toBe(true);

    const key = (write: number, n: number) => `${write}:${n}`;
    for (const tenant of tenants) {
      const expected = rows.filter((row) => row.tenant_id === tenant.tenantId).map((row) => key(row.write, row.n));
      const received = pusher.events
        .filter((event) => event.channels[0] === `private-tenant-${tenant.tenantId}` && (event.data as { id: number }).id === -7)
        .map((event) => key((event.data as { write: number }).write, (event.data as { n: number }).n));
      expect(received).toEqual(expected);
    }
  });
});
