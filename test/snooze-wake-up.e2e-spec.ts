import { SchedulerRegistry } from '@nestjs/schedule';
import { createContact, createTenant, TestTenant } from './support/factories';
import { ServiceProcess, startServiceProcess } from './support/service-processes';
import { createTestApp, TestApp } from './support/test-app';
import { itWithOwnProcesses } from './support/passes';

// More than one chunk of the job (500), so a run wakes them in several transactions.
const SNOOZED = 700;

// Snoozes wake up exactly once whatever the number of processes (docs/api.md, "Conversation
// workflow"): two service processes of the production build run the job every second on one
// database.
describe('SnoozeWakeUp across processes', () => {
  let t: TestApp;
  let acme: TestTenant;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    // Only the two service processes run the job: the in-process app's schedule is stopped.
    t.app.get(SchedulerRegistry).getCronJob('snooze-wake-up').stop();
    acme = await createTenant(t, 'Acme snoozes');
    const env = { ...t.databaseEnv, PUSHER_HOST: '127.0.0.1', PUSHER_PORT: '1', PUSHER_USE_TLS: 'false', LOG_LEVEL: 'warn' };
    services.push(...(await Promise.all([startServiceProcess(env), startServiceProcess(env)])));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await t?.close();
  });

  itWithOwnProcesses('should open each snoozed conversation once, within 5 s of its time, with one activity and one event for agents', async () => {
    const { contactId } = await createContact(t.db, acme.tenantId);
    const [{ until }] = await t.db.query(`SELECT now() + interval '2 seconds' AS until`);
    const rows: { id: number }[] = await t.db.query(
      `INSERT INTO conversations (tenant_id, contact_id, status, snoozed_until)
       SELECT $1, $2, 'snoozed', $3 FROM generate_series(1, $4) RETURNING id`,
      [acme.tenantId, contactId, until, SNOOZED],
    );
    const ids = rows.map((r) => r.id);

    const deadline = new Date(until).getTime() + 5_000;
    for (;;) {
      const [{ snoozed }] = await t.db.query(`SELECT count(*)::int AS snoozed FROM conversations WHERE id = ANY($1) AND status <> 'open'`, [ids]);
      if (snoozed === 0) break;
      if (Date.now() > deadline) throw new Error(`${snoozed} conversations still snoozed 5 s after their time`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    expect(await t.db.query(`SELECT count(*)::int AS n FROM conversations WHERE id = ANY($1) AND (snoozed_until IS NOT NULL OR updated_by IS NOT NULL)`, [ids])).toEqual([{ n: 0 }]);
    const activities: { conversation_id: number; n: number; late: boolean; early: boolean }[] = await t.db.query(
      `SELECT conversation_id, count(*)::int AS n, bool_or(created_at > $2::timestamptz + interval '5 seconds') AS late, bool_or(created_at < $2::timestamptz) AS early
         FROM conversation_activities
        WHERE tenant_id = $1 AND type = 'status' AND from_value = '"snoozed"' AND to_value = '"open"' AND actor_type = 'system' AND reason = 'snooze_expired'
        GROUP BY conversation_id`,
      [acme.tenantId, until],
    );
    expect(activities).toHaveLength(SNOOZED);
    expect(activities.every((a) => a.n === 1 && !a.late && !a.early)).toBe(true);
    expect(await t.db.query(`SELECT count(*)::int AS n FROM conversation_activities WHERE tenant_id = $1`, [acme.tenantId])).toEqual([{ n: SNOOZED }]);

    const events: { event: string; channel: string; id: number; n: number }[] = await t.db.query(
      `SELECT payload->>'event' AS event, payload->'channels'->>0 AS channel, (payload->'data'->>'id')::bigint AS id, count(*)::int AS n
         FROM outbox WHERE tenant_id = $1 AND topic = 'pusher' AND payload->>'event' = 'conversation.updated'
        GROUP BY 1, 2, 3`,
      [acme.tenantId],
    );
    expect(events).toHaveLength(SNOOZED);
    expect(events.every((e) => e.channel === `private-tenant-${acme.tenantId}` && e.n === 1 && ids.includes(e.id))).toBe(true);
    expect(await t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE tenant_id = $1 AND payload->'channels'->>0 LIKE 'private-conversation-%'`, [acme.tenantId])).toEqual([{ n: 0 }]);
  }, 60_000);
});
