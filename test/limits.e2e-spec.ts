import { createHmac } from 'node:crypto';
import { connect, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Database, DeadlineExceededError, RequestDeadline, runWithDeadline } from '@app/database';
import { Client } from 'pg';
import { BASE } from './support/desk';
import { createContact, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const VERSION = '2021-07-28';
const PUSHER = { PUSHER_APP_ID: '1', PUSHER_KEY: 'app-key', PUSHER_SECRET: 'app-secret' };

const count = async (t: TestApp, sql: string, params: unknown[]) => ((await t.db.query(sql, params)) as { n: number }[])[0].n;

describe('Filter limits', () => {
  let t: TestApp;
  let acme: TestTenant;

  beforeAll(async () => {
    t = await createTestApp({ FILTER_MAX_DEPTH: '2', FILTER_MAX_CLAUSES: '3', ...PUSHER });
    acme = await createTenant(t);
  });
  afterAll(() => t.close());

  const list = (filter: string) =>
    t.http.get(`${BASE}/conversations.json`).query({ filter }).set('Authorization', acme.auth);

  it('should take FILTER_MAX_DEPTH and FILTER_MAX_CLAUSES: within them a 200, past either a 400 keyed by filter', async () => {
    expect((await list(JSON.stringify({ $or: [{ id: 1 }, { id: { $gt: 2, $lt: 9 } }] }))).status).toBe(200);

    const deep = await list(JSON.stringify({ $or: [{ $and: [{ id: 1 }] }] }));
    expect(deep.status).toBe(400);
    expect(deep.headers['x-error-code']).toBe('VALIDATION_FAILED');
    expect(deep.body).toEqual({ errors: { filter: ['$or[0].$and[0] must not nest deeper than 2 levels'] } });

    const long = await list(JSON.stringify({ id: { $gt: 1, $lt: 9, $ne: 4, $gte: 2 }, state: 'active' }));
    expect(long.status).toBe(400);
    expect(long.body).toEqual({ errors: { filter: ['must have at most 3 conditions'] } });
  });

  it('should answer JSON bombs in filter with one 400, as long as the URL fits', async () => {
    // Node takes a request line and headers of up to 16 KB in all; these stay under it, encoded.
    const bombs = [
      '['.repeat(2000) + ']'.repeat(2000),
      '{"$and":['.repeat(250) + '{}' + ']}'.repeat(250),
      '{"id":{"$in":' + '['.repeat(2000) + ']'.repeat(2000) + '}}',
      '['.repeat(4000),
      JSON.stringify({ $or: Array.from({ length: 1000 }, () => ({})) }),
    ];
    for (const bomb of bombs) {
      const res = await list(bomb);
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.errors)).toEqual(['filter']);
      expect(res.body.errors.filter).toHaveLength(1);
    }
  });

  it('should refuse a 100 KB filter before routing, past the 16 KB Node takes for the request line and headers: a 431', async () => {
    // Straight to the service: under E2E_PROCESSES the round-robin's own Node server would refuse it.
    const filter = JSON.stringify({ $or: Array.from({ length: 10_000 }, (_, i) => ({ id: i })) });
    const res = await t.inProcessHttp.get(`${BASE}/conversations.json`).query({ filter }).set('Authorization', acme.auth);
    expect(res.status).toBe(431);
    expect(res.body).toEqual({ statusCode: 431, error: 'Request Header Fields Too Large', message: 'Exceeded maximum allowed HTTP header size' });
  });

  it('should refuse JSON body bombs in either dialect and in a webhook with a 400, not a stack overflow', async () => {
    const nested = '['.repeat(300_000) + ']'.repeat(300_000);
    const bombs = [nested, '{"a":'.repeat(150_000) + '1' + '}'.repeat(150_000), `{"messages":${nested}}`, `{"contactId":1,"users":${nested}}`];
    const tooDeep = 'the body must not nest deeper than 32 levels';
    for (const bomb of bombs) {
      const desk = await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).set('Content-Type', 'application/json').send(bomb);
      expect(desk.status).toBe(400);
      expect(desk.headers['x-error-code']).toBe('BODY_TOO_DEEP');
      expect(desk.body).toEqual({ errors: { _: [tooDeep] } });
      const highLevel = await t.http
        .post('/conversations/')
        .set('Authorization', acme.auth)
        .set('Version', VERSION)
        .set('Content-Type', 'application/json')
        .send(bomb);
      expect(highLevel.status).toBe(400);
      expect(highLevel.body).toEqual({ statusCode: 400, message: tooDeep });
    }
    // The webhook reads its raw bytes itself, with its own checks of the batch's shape.
    const batch = `{"time_ms":${Date.now()},"events":[${'{"name":'.repeat(100_000)}1${'}'.repeat(100_000)}]}`;
    const webhook = await t.http
      .post(`${BASE}/conversationmessages/webhooks.json`)
      .set('Content-Type', 'application/json')
      .set('X-Pusher-Key', PUSHER.PUSHER_KEY)
      .set('X-Pusher-Signature', createHmac('sha256', PUSHER.PUSHER_SECRET).update(batch).digest('hex'))
      .send(batch);
    expect(webhook.status).toBe(400);
    expect(Object.keys(webhook.body)).toEqual(['errors']);
    expect(await count(t, `SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1`, [acme.tenantId])).toBe(0);
    expect(await count(t, `SELECT count(*)::int AS n FROM webhook_events`, [])).toBe(0);
  });

  it('should take a body nested to the limit as any other', async () => {
    let feedback: unknown = 'deep';
    for (let i = 0; i < 30; i++) feedback = { x: feedback };
    const res = await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId: 1, socket_id: 'x', users: [feedback] });
    expect(res.status).toBe(400);
    expect(res.headers['x-error-code']).not.toBe('BODY_TOO_DEEP');
    // One level more is past it.
    const tooDeep = await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId: 1, users: [{ x: feedback }] });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.headers['x-error-code']).toBe('BODY_TOO_DEEP');
  });

  it('should refuse text PostgreSQL cannot store in a key of the body as in a value', async () => {
    // JSON escapes in the body's text: the parsed key holds NUL, or half a surrogate pair.
    for (const [key, code] of [['a\\u0000', 'NUL_IN_BODY'], ['a\\ud800', 'LONE_SURROGATE_IN_BODY']]) {
      const res = await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).set('Content-Type', 'application/json').send(`{"contactId":1,"${key}":1}`);
      expect(res.status).toBe(400);
      expect(res.headers['x-error-code']).toBe(code);
    }
    expect(await count(t, `SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1`, [acme.tenantId])).toBe(0);
  });
});

describe('Slow clients', () => {
  let t: TestApp;
  let acme: TestTenant;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp({ HTTP_HEADERS_TIMEOUT_MS: '400', HTTP_BODY_TIMEOUT_MS: '800' });
    acme = await createTenant(t);
    // Raw sockets need a real port; supertest's own server would not do.
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  // Writes `parts` and waits, without sending more, until the server closes the socket.
  function stall(parts: string[]): Promise<{ answer: string; ms: number }> {
    return new Promise((resolve, reject) => {
      const socket: Socket = connect(port, '127.0.0.1');
      const started = Date.now();
      let answer = '';
      socket.on('connect', () => parts.forEach((part) => socket.write(part)));
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ answer, ms: Date.now() - started }));
      setTimeout(() => {
        socket.destroy();
        reject(new Error(`still open after 5 s; got ${JSON.stringify(answer)}`));
      }, 5000).unref();
    });
  }

  it('should close with a 408 a client that stalls in its headers, or sends nothing, after HTTP_HEADERS_TIMEOUT_MS', async () => {
    for (const parts of [[`POST ${BASE}/conversations.json HTTP/1.1\r\nHost: x\r\nAuthorization: ${acme.auth}\r\n`], []]) {
      const { answer, ms } = await stall(parts);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(ms).toBeGreaterThanOrEqual(350);
      expect(ms).toBeLessThan(2000);
    }
  });

  it('should close with a 408 a client that stalls in its body, after HTTP_BODY_TIMEOUT_MS, and write nothing', async () => {
    const { contactId } = await createContact(t.db, acme.tenantId);
    const body = JSON.stringify({ contactId, socket_id: 'x'.repeat(200) });
    const head =
      `POST ${BASE}/conversations.json HTTP/1.1\r\nHost: x\r\nAuthorization: ${acme.auth}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { answer, ms } = await stall([head, body.slice(0, 50)]);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeGreaterThanOrEqual(750);
    expect(ms).toBeLessThan(2500);
    expect(await count(t, `SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1`, [acme.tenantId])).toBe(0);

    // The whole body in time is served as ever.
    const whole = await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId });
    expect(whole.status).toBe(201);
  });
});

describe('Request deadline (HTTP_REQUEST_TIMEOUT_MS)', () => {
  const TIMEOUT_MS = 1000;
  let t: TestApp;
  let acme: TestTenant;
  // The test's own connection, holding locks the app's requests then wait on.
  let locker: Client;

  beforeAll(async () => {
    t = await createTestApp({ HTTP_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), DATABASE_POOL_SIZE: '3', ...PUSHER });
    acme = await createTenant(t);
    locker = new Client({ connectionString: t.databaseUrl });
    await locker.connect();
  });
  afterAll(async () => {
    await locker.end();
    await t.close();
  });

  async function conversation(): Promise<{ id: number; contactId: number }> {
    const { contactId } = await createContact(t.db, acme.tenantId);
    const res = await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId });
    expect(res.status).toBe(201);
    return { id: res.body.conversation.id, contactId };
  }

  // Runs `request` while the test holds `lock` in its own transaction; releases it after the answer
  // and, when `cancelled`, once PostgreSQL has cancelled the app's statement waiting on it.
  async function whileLocked<T>(
    lock: string,
    params: readonly unknown[],
    request: () => PromiseLike<T>,
    { cancelled = true } = {},
  ): Promise<{ res: T; ms: number }> {
    await locker.query('BEGIN');
    try {
      await locker.query(lock, [...params]);
      const started = Date.now();
      const res = await request();
      const ms = Date.now() - started;
      if (cancelled) expect(await lockWaitsAfter(500)).toBe(0);
      return { res, ms };
    } finally {
      await locker.query('ROLLBACK');
    }
  }

  // Statements of this database waiting on a lock, once they have had `ms` to go.
  async function lockWaitsAfter(ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      const { rows } = await locker.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows[0].n === 0 || Date.now() > deadline) return rows[0].n;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  const lockConversation = (id: number) => [`SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [acme.tenantId, id]] as const;
  // Long enough for a cancelled request, had it gone on, to have committed.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

  it('should answer a Desk write stuck on a row lock 503 REQUEST_TIMEOUT, and write nothing of it', async () => {
    const c = await conversation();
    const before = (await t.db.query(`SELECT * FROM conversations WHERE id = $1`, [c.id]))[0];
    const { res, ms } = await whileLocked(...lockConversation(c.id), () =>
      t.http
        .post(`${BASE}/conversationmessages.json`)
        .set('Authorization', acme.auth)
        .set('Idempotency-Key', `deadline-${c.id}`)
        .send({ conversationId: c.id, message: 'never stored' }),
    );
    expect(res.status).toBe(503);
    expect(res.headers['x-error-code']).toBe('REQUEST_TIMEOUT');
    expect(res.body).toEqual({ errors: { _: ['the request took too long and was cancelled; nothing was written'] } });
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + 1500);

    await settle();
    expect(await count(t, `SELECT count(*)::int AS n FROM conversation_messages WHERE tenant_id = $1 AND conversation_id = $2`, [acme.tenantId, c.id])).toBe(0);
    expect(await count(t, `SELECT count(*)::int AS n FROM idempotency_keys WHERE tenant_id = $1`, [acme.tenantId])).toBe(0);
    expect((await t.db.query(`SELECT * FROM conversations WHERE id = $1`, [c.id]))[0]).toEqual(before);

    // The same request, sent again with the lock gone, is executed: the key was not spent.
    const again = await t.http
      .post(`${BASE}/conversationmessages.json`)
      .set('Authorization', acme.auth)
      .set('Idempotency-Key', `deadline-${c.id}`)
      .send({ conversationId: c.id, message: 'stored now' });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
  });

  it('should answer a HighLevel write stuck on a row lock 503 in its dialect, and write nothing of it', async () => {
    const c = await conversation();
    const before = (await t.db.query(`SELECT * FROM conversations WHERE id = $1`, [c.id]))[0];
    const { res } = await whileLocked(...lockConversation(c.id), () =>
      t.http.put(`/conversations/${c.id}`).set('Authorization', acme.auth).set('Version', VERSION).send({ locationId: acme.locationId, starred: true, unreadCount: 3 }),
    );
    expect(res.status).toBe(503);
    expect(res.headers['x-error-code']).toBe('REQUEST_TIMEOUT');
    expect(res.body).toEqual({
      statusCode: 503,
      message: 'the request took too long and was cancelled; nothing was written',
      error: 'Service Unavailable',
    });
    await settle();
    expect((await t.db.query(`SELECT * FROM conversations WHERE id = $1`, [c.id]))[0]).toEqual(before);
  });

  it('should answer a Pusher webhook batch stuck on a lock 503, storing none of its events, so that Pusher retries it', async () => {
    const c = await conversation();
    const raw = JSON.stringify({
      time_ms: Date.now(),
      events: [
        {
          name: 'client_event',
          channel: `private-conversation-${c.id}`,
          event: 'client-message',
          data: JSON.stringify({ message: 'from the widget', clientMessageId: `widget-${c.id}` }),
          socket_id: '123.456',
        },
      ],
    });
    const webhook = () =>
      t.http
        .post(`${BASE}/conversationmessages/webhooks.json`)
        .set('Content-Type', 'application/json')
        .set('X-Pusher-Key', PUSHER.PUSHER_KEY)
        .set('X-Pusher-Signature', createHmac('sha256', PUSHER.PUSHER_SECRET).update(raw).digest('hex'))
        .send(raw);
    const { res } = await whileLocked(...lockConversation(c.id), webhook);
    expect(res.status).toBe(503);
    expect(res.body.errors._).toHaveLength(1);
    await settle();
    expect(await count(t, `SELECT count(*)::int AS n FROM webhook_events WHERE tenant_id = $1`, [acme.tenantId])).toBe(0);
    expect(await count(t, `SELECT count(*)::int AS n FROM conversation_messages WHERE conversation_id = $1`, [c.id])).toBe(0);

    const retried = await webhook();
    expect(retried.status).toBe(201);
    expect(await count(t, `SELECT count(*)::int AS n FROM conversation_messages WHERE conversation_id = $1`, [c.id])).toBe(1);
  });

  it('should answer a read stuck outside any transaction 503 too', async () => {
    const c = await conversation();
    // The read itself waits on until the lock goes (or the pool's own statement_timeout, 30 s).
    const { res } = await whileLocked(
      `LOCK TABLE conversations IN ACCESS EXCLUSIVE MODE`,
      [],
      () => t.http.get(`${BASE}/conversations/${c.id}.json`).set('Authorization', acme.auth),
      { cancelled: false },
    );
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ errors: { _: ['the request took too long and was cancelled; nothing was written'] } });
  });

  it('should roll back, not commit, a transaction whose request the deadline answered while it ran', async () => {
    const db = t.app.get(Database);
    const { contactId } = await createContact(t.db, acme.tenantId);
    const deadline = new RequestDeadline(Date.now() + 60_000);
    const written = runWithDeadline(deadline, () =>
      db.transaction(async () => {
        await db.query(`UPDATE customer_contacts SET value = 'changed@example.test' WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, contactId]);
        // The timer fires between two statements: the request is answered 503 now.
        expect(deadline.expire()).toBe(true);
      }),
    );
    await expect(written).rejects.toBeInstanceOf(DeadlineExceededError);
    expect((await t.db.query(`SELECT value FROM customer_contacts WHERE id = $1`, [contactId]))[0].value).not.toBe('changed@example.test');
    // And once answered, the request's further transactions do not even start.
    await expect(runWithDeadline(deadline, () => db.transaction(async () => 'never'))).rejects.toBeInstanceOf(DeadlineExceededError);
  });

  it('should leave the pool healthy: every connection serves again, with its own statement_timeout', async () => {
    // More requests at once than the pool has connections, each through one of them.
    const c = await conversation();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', acme.auth).send({ conversationId: c.id, message: `after ${i}` }),
      ),
    );
    expect(answers.map((res) => res.status)).toEqual(Array(8).fill(201));
    const timeouts = await Promise.all(Array.from({ length: 3 }, () => t.db.query(`SHOW statement_timeout`)));
    // The session's own: 30 s set at connect, or, through a transaction pooler (E2E_PGBOUNCER), none
    // (the timeout is set per transaction there); never the deadline's SET LOCAL.
    const own = t.databaseEnv.DATABASE_DIRECT_URL ? '0' : '30s';
    expect(timeouts.map(([row]) => row.statement_timeout)).toEqual([own, own, own]);
  });

  it('should answer a request done in time as ever', async () => {
    const c = await conversation();
    const started = Date.now();
    const res = await t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', acme.auth).send({ conversationId: c.id, message: 'in time' });
    expect(res.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS);
  });

  it('should not answer 503 once the transaction has begun to commit: a COMMIT outlasting the deadline is answered as it ends', async () => {
    const c = await conversation();
    // The conversation's UPDATE takes 0.6 s and its COMMIT 0.6 s more (a deferred trigger): the
    // deadline passes while COMMIT runs, which its statement_timeout (the time left when the
    // transaction began) lets finish as long as the request took under 0.4 s to get there.
    await t.db.query(`
      CREATE FUNCTION test_sleep() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(TG_ARGV[0]::float); RETURN NEW; END $$`);
    await t.db.query(`CREATE TRIGGER test_slow_update BEFORE UPDATE ON conversations FOR EACH ROW WHEN (NEW.id = ${c.id}) EXECUTE FUNCTION test_sleep('0.6')`);
    await t.db.query(
      `CREATE CONSTRAINT TRIGGER test_slow_commit AFTER UPDATE ON conversations DEFERRABLE INITIALLY DEFERRED
       FOR EACH ROW WHEN (NEW.id = ${c.id}) EXECUTE FUNCTION test_sleep('0.6')`,
    );
    try {
      const started = Date.now();
      const res = await t.http.put(`/conversations/${c.id}`).set('Authorization', acme.auth).set('Version', VERSION).send({ locationId: acme.locationId, starred: true });
      const ms = Date.now() - started;
      expect(res.status).toBe(200);
      expect(res.body.conversation.starred).toBe(true);
      expect(ms).toBeGreaterThan(TIMEOUT_MS);
      expect((await t.db.query(`SELECT starred FROM conversations WHERE id = $1`, [c.id]))[0].starred).toBe(true);
    } finally {
      await t.db.query(`DROP TRIGGER test_slow_commit ON conversations; DROP TRIGGER test_slow_update ON conversations; DROP FUNCTION test_sleep()`);
    }
  });
});
