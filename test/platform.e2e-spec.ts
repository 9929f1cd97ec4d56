import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadAppConfig } from '@app/config';
import { createApp } from '../apps/api/src/create-app';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { createTestApp, createTestDatabaseEnv, TestApp, testAppOf } from './support/test-app';

describe('Around the API', () => {
  let t: TestApp;
  let acme: TestTenant;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await createTenant(t);
  });
  afterAll(() => t.close());

  describe('health', () => {
    it('should answer liveness and readiness without credentials', async () => {
      const live = await t.http.get('/health');
      expect(live.status).toBe(200);
      expect(live.body.status).toBe('ok');
      const ready = await t.http.get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    });
  });

  describe('OpenAPI', () => {
    it('should serve the document generated from the code at /docs-json and the UI at /docs', async () => {
      const doc = await t.http.get('/docs-json');
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.body.paths)).toEqual(
        expect.arrayContaining([
          '/desk/api/v2/conversations.json',
          '/desk/api/v2/conversations/{id}.json',
          '/desk/api/v2/conversations/token.json',
          '/desk/api/v2/conversations/token/{token}.json',
          '/desk/api/v2/conversations/{id}/messages.json',
          '/desk/api/v2/conversationmessages.json',
          '/desk/api/v2/conversationmessages/{id}.json',
          '/desk/api/v2/conversationmessages/history/{token}.json',
          '/desk/api/v2/customers/{id}/conversations.json',
          '/desk/api/v2/customers.json',
          '/desk/api/v2/customers/{id}.json',
          '/desk/api/v2/users.json',
          '/desk/api/v2/users/{id}.json',
          '/desk/api/v2/me.json',
          '/desk/api/v2/files.json',
          '/desk/api/v2/files/{id}.json',
          '/desk/api/v2/files/{id}/download',
          '/health',
          '/health/ready',
        ]),
      );
      expect(Object.keys(doc.body.paths['/desk/api/v2/conversations/{id}.json']).sort()).toEqual(['delete', 'get', 'patch']);
      expect(doc.body.components.securitySchemes).toHaveProperty('bearer');
      const create = doc.body.paths['/desk/api/v2/conversations.json'].post;
      expect(Object.keys(create.responses).sort()).toEqual(['201', '400', '401', '409', '413', '415', '429', '500', '503']);
      expect(create.responses['201'].content['application/json'].schema.properties.conversation.properties).toHaveProperty('socket_id');
      expect(create.responses['400'].content['application/json'].schema.required).toEqual(['errors']);
      const list = doc.body.paths['/desk/api/v2/conversations.json'].get;
      expect(list.parameters.map((p: { name: string }) => p.name).sort()).toEqual(
        ['cursor', 'fields', 'filter', 'includes', 'orderBy', 'orderMode', 'page', 'pageSize'],
      );
      // Every endpoint that creates something takes an Idempotency-Key. Pusher's two are not the
      // API's: its webhook is deduplicated event by event, and channel authorisation writes nothing.
      // A customer's upload by token has no API key to own a key: a retry stores a second file.
      const pusherOwn = [
        '/desk/api/v2/conversationmessages/webhooks.json',
        '/desk/api/v2/pusher/auth.json',
        '/desk/api/v2/conversations/token/{token}/files.json',
      ];
      const posts = Object.entries(doc.body.paths as Record<string, { post?: { parameters?: { name: string; in: string }[] } }>)
        .filter(([path, operations]) => operations.post && !pusherOwn.includes(path))
        .map(([path, operations]) => [path, operations.post!.parameters?.some((p) => p.in === 'header' && p.name === 'Idempotency-Key')]);
      expect(posts.length).toBeGreaterThanOrEqual(6);
      expect(posts).toEqual(posts.map(([path]) => [path, true]));
      const ui = await t.http.get('/docs').redirects(1);
      expect(ui.status).toBe(200);
      expect(ui.text).toContain('swagger-ui');
    });
  });

  describe('OpenAPI lint', () => {
    interface LintProblem {
      ruleId: string;
      severity: 'error' | 'warn';
      message: string;
      location: { pointer: string }[];
    }

    // Redocly's CLI with its recommended rules, on the document as served. Offline: no telemetry,
    // no update check.
    async function lint(document: unknown): Promise<LintProblem[]> {
      const dir = await mkdtemp(join(tmpdir(), 'openapi-lint-'));
      try {
        const file = join(dir, 'openapi.json');
        await writeFile(file, JSON.stringify(document));
        const cli = join(__dirname, '../node_modules/@redocly/cli/bin/cli.js');
        const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
        // Exit status 1 when there are errors; the report is on stdout either way.
        const { stdout } = await promisify(execFile)(process.execPath, [cli, 'lint', '--extends', 'recommended', '--format', 'json', file], { env, cwd: dir })
          .catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
        return (JSON.parse(stdout) as { problems: LintProblem[] }).problems;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    const summary = (problems: LintProblem[]) => problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}`).sort();

    it('should pass Redocly’s recommended rules with no error, and only the warnings the service cannot help', async () => {
      const doc = (await t.http.get('/docs-json').expect(200)).body;
      const problems = await lint(doc);
      expect(summary(problems.filter((p) => p.severity === 'error'))).toEqual([]);
      // HighLevel's own paths (its documentation's); the health checks have no 4xx answer; the
      // license is UNLICENSED, with no page to link.
      expect(summary(problems)).toEqual([
        'warn info-license-strict #/info/license/url',
        'warn no-ambiguous-paths #/paths/~1conversations~1{conversationId}~1messages',
        'warn operation-4xx-response #/paths/~1health/get/responses',
        'warn operation-4xx-response #/paths/~1health~1ready/get/responses',
      ]);
    });

    it('should find the errors it is there to find', async () => {
      const doc = (await t.http.get('/docs-json').expect(200)).body;
      delete doc.paths['/metrics'].get.summary;
      doc.servers = [];
      expect(summary((await lint(doc)).filter((p) => p.severity === 'error'))).toEqual([
        'error no-empty-servers #/servers',
        'error operation-summary #/paths/~1metrics/get/summary',
      ]);
    });

    it('should document /metrics: Prometheus text behind METRICS_TOKEN, 401 without it, 404 when metrics are off', async () => {
      const doc = (await t.http.get('/docs-json').expect(200)).body;
      const scrape = doc.paths['/metrics'].get;
      expect(scrape.security).toEqual([{ metrics: [] }]);
      expect(doc.components.securitySchemes.metrics).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(Object.keys(scrape.responses).sort()).toEqual(['200', '401', '404', '500', '503']);
      expect(Object.keys(scrape.responses['200'].content)).toEqual(['text/plain; version=0.0.4; charset=utf-8']);
      expect(scrape.parameters ?? []).toEqual([]);
    });
  });

  describe('request ids', () => {
    it('should answer every request with an X-Request-Id, keeping a sane one the caller sent', async () => {
      const generated = await t.http.get('/health');
      expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const kept = await t.http.get('/health').set('X-Request-Id', 'trace-abc.123');
      expect(kept.headers['x-request-id']).toBe('trace-abc.123');
      const replaced = await t.http.get('/health').set('X-Request-Id', 'bad id with spaces');
      expect(replaced.headers['x-request-id']).not.toBe('bad id with spaces');
    });
  });

  describe('errors', () => {
    it('should answer an unknown Desk route with a Desk 404', async () => {
      const res = await t.http.get('/desk/api/v2/nothing-here.json').set('Authorization', acme.auth);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ errors: { _: ['Cannot GET /desk/api/v2/nothing-here.json'] } });
    });

    it('should answer an unknown route elsewhere with NestJS’s default body', async () => {
      const res = await t.http.get('/nothing-here');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, message: 'Cannot GET /nothing-here', error: 'Not Found' });
    });

    it('should answer a body over the limit with 413 in the Desk dialect', async () => {
      const res = await t.http
        .post('/desk/api/v2/conversations.json')
        .set('Authorization', acme.auth)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ socket_id: 'x'.repeat(1024 * 1024 + 10) }));
      expect(res.status).toBe(413);
      expect(Object.keys(res.body)).toEqual(['errors']);
      expect(res.body.errors._).toHaveLength(1);
    });

    it('should take HTTP_BODY_MAX_BYTES as the limit: 413 in either dialect one byte over it, writing nothing', async () => {
      const small = await createTestApp({ HTTP_BODY_MAX_BYTES: '4096' });
      try {
        const tenant = await createTenant(small);
        const { contactId } = await createContact(small.db, tenant.tenantId);
        // A body of exactly `bytes` bytes: the contact and a padding field the endpoints refuse anyway.
        const body = (bytes: number, contact: unknown) => {
          const shell = JSON.stringify({ contactId: contact, pad: '' });
          return JSON.stringify({ contactId: contact, pad: 'x'.repeat(bytes - shell.length) });
        };
        const desk = (text: string) =>
          small.http.post('/desk/api/v2/conversations.json').set('Authorization', tenant.auth).set('Content-Type', 'application/json').send(text);
        const highLevel = (text: string) =>
          small.http.post('/conversations/').set('Authorization', tenant.auth).set('Version', '2021-07-28').set('Content-Type', 'application/json').send(text);

        const deskOver = await desk(body(4097, contactId));
        expect(deskOver.status).toBe(413);
        expect(deskOver.body).toEqual({ errors: { _: ['Request body is too large'] } });
        const hlOver = await highLevel(body(4097, String(contactId)));
        expect(hlOver.status).toBe(413);
        expect(hlOver.body).toEqual({ statusCode: 413, message: 'Request body is too large', error: 'Payload Too Large' });
        expect((await small.db.query(`SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1`, [tenant.tenantId]))[0].n).toBe(0);
        // A form body (Pusher's channel authorisation) is held to the same limit.
        const formOver = await small.http
          .post('/desk/api/v2/pusher/auth.json')
          .set('Authorization', tenant.auth)
          .type('form')
          .send(`socket_id=1.1&channel_name=private-tenant-${tenant.tenantId}&pad=${'x'.repeat(4096)}`);
        expect(formOver.status).toBe(413);
        expect(formOver.body).toEqual({ errors: { _: ['Request body is too large'] } });

        // At the limit the body is read, and refused for what it says (the padding field), not its size.
        const deskAt = await desk(body(4096, contactId));
        expect(deskAt.status).toBe(400);
        expect(deskAt.body.errors).toHaveProperty('pad');
        const hlAt = await highLevel(body(4096, String(contactId)));
        expect(hlAt.status).toBe(422);
        expect(hlAt.body.message).toContain('property pad should not exist');
      } finally {
        await small.close();
      }
    });

    it('should answer an unsupported content type with 415 in the Desk dialect', async () => {
      const res = await t.http
        .post('/desk/api/v2/conversations.json')
        .set('Authorization', acme.auth)
        .set('Content-Type', 'application/xml')
        .send('<conversation/>');
      expect(res.status).toBe(415);
      expect(res.body.errors._).toHaveLength(1);
    });
  });
});

describe('Unexpected errors and logs', () => {
  let app: NestFastifyApplication;
  let t: TestApp;
  let lines: Record<string, unknown>[];
  let raw: string;

  beforeAll(async () => {
    lines = [];
    raw = '';
    const databaseEnv = await createTestDatabaseEnv();
    const sink = new Writable({
      write(chunk, _encoding, done) {
        raw += chunk.toString();
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    // The same app, with its log lines captured instead of printed: its requests stay in this
    // process (also under E2E_PROCESSES), since the tests read this app's own log.
    const config = loadAppConfig({ ...databaseEnv, LOG_LEVEL: 'info' });
    app = await createApp(config, { logStream: sink });
    t = await testAppOf(app, databaseEnv);
  });
  afterAll(async () => {
    await app.close();
  });

  it('should answer 500 naming the request id, leak nothing, and log the stack', async () => {
    const acme = await createTenant(t);
    const { contactId } = await createContact(t.db, acme.tenantId);
    const agent = await createAgent(t, acme.tenantId);
    // A real fault: the table disappears under the running service.
    await t.db.query(`ALTER TABLE conversation_users RENAME TO conversation_users_gone`);
    try {
      const res = await t.http.post('/desk/api/v2/conversations.json').set('Authorization', acme.auth).send({ contactId, users: [{ id: agent.id }] });
      expect(res.status).toBe(500);
      const requestId = res.headers['x-request-id'];
      expect(res.body).toEqual({ errors: { _: [`internal error; request id ${requestId}`] } });
      expect(JSON.stringify(res.body)).not.toMatch(/conversation_users|relation|stack/);
      const logged = lines.find((line) => line.level === 50 && JSON.stringify(line).includes('conversation_users'));
      expect(logged).toMatchObject({ service: 'helpdesk-api', pid: process.pid });
      expect(JSON.stringify(logged)).toContain(requestId);
      expect(JSON.stringify(logged)).toMatch(/at .*\.ts/);
      // Nothing was half-written: the conversation's insert rolled back with its participants' insert.
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM conversations`);
      expect(n).toBe(0);
    } finally {
      await t.db.query(`ALTER TABLE conversation_users_gone RENAME TO conversation_users`);
    }
  });

  it('should never write an API key or a conversation token into a log line', async () => {
    const acme = await createTenant(t);
    const { contactId } = await createContact(t.db, acme.tenantId);
    const issued = await t.http.post('/desk/api/v2/conversations/token.json').set('Authorization', acme.auth).send({ contactId });
    const token: string = issued.body.conversation.token;
    await t.http.get(`/desk/api/v2/conversations/token/${token}.json`).expect(200);
    await t.http.get('/desk/api/v2/conversations.json').set('Authorization', `Basic ${Buffer.from(`${acme.key}:x`).toString('base64')}`).expect(200);
    await t.http.get('/desk/api/v2/conversations.json').set('Authorization', `Bearer ${acme.key}x`).expect(401);

    expect(raw.length).toBeGreaterThan(0);
    expect(raw).not.toContain(acme.key);
    expect(raw).not.toContain(token);
    expect(raw).not.toContain(token.slice(4));
    expect(raw).toContain('hdc_[REDACTED]');
    expect(lines.some((line) => (line.req as { id?: string } | undefined)?.id)).toBe(true);
  });
});
