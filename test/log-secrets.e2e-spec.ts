import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE } from './support/desk';
import { createContact, createTenant } from './support/factories';
import { describeLeaks, findLeaks, needlesFor, RecordedSecret } from './support/secret-leaks';
import { createTestApp } from './support/test-app';

// The run's end greps every log line for every secret the tests used (test/global-teardown.ts).
// Here: that grep finds what it must, and the request logger gives it nothing to find.
describe('secrets in logs', () => {
  describe(findLeaks.name, () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'helpdesk-leaks-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    const key = `hdk_${randomBytes(8).toString('hex')}${randomBytes(32).toString('base64url')}`;
    const pusherSecret = `ps-${randomBytes(12).toString('hex')}+/=`;
    const secrets: RecordedSecret[] = [
      { kind: 'API key', value: key },
      { kind: 'PUSHER_SECRET', value: pusherSecret },
    ];
    const leaksIn = async (line: string) => {
      const file = join(dir, `${randomBytes(4).toString('hex')}.log`);
      await writeFile(file, `{"level":30,"msg":"before"}\n${line}\n{"level":30,"msg":"after"}\n`);
      const leaks = findLeaks(secrets, [file]);
      const report = describeLeaks(leaks);
      expect(report).not.toContain(key);
      expect(report).not.toContain(pusherSecret);
      return leaks.map(({ kind, form, line: at }) => ({ kind, form, line: at }));
    };

    it.each([
      ['as is, inside a URL', `{"req":{"url":"/x?k=${key}"}}`, 'API key', 'as is'],
      ['in a Bearer header', `{"authorization":"Bearer ${pusherSecret}"}`, 'PUSHER_SECRET', 'as is'],
      ['URL-encoded', `{"url":"/y?s=${encodeURIComponent(pusherSecret)}"}`, 'PUSHER_SECRET', 'URL-encoded'],
      ['base64 on its own', `{"v":"${Buffer.from(pusherSecret).toString('base64')}"}`, 'PUSHER_SECRET', 'base64'],
      ['as a Basic header, key:x', `{"authorization":"Basic ${Buffer.from(`${key}:x`).toString('base64')}"}`, 'API key', 'base64'],
      ['as a Basic password, user:secret', `"Basic ${Buffer.from(`app:${pusherSecret}`).toString('base64')}"`, 'PUSHER_SECRET', 'base64'],
      ['as a Basic password after a longer user', `"Basic ${Buffer.from(`someone:${pusherSecret}`).toString('base64')}"`, 'PUSHER_SECRET', 'base64'],
    ])('should find a secret %s, naming its kind and line but not the secret', async (_label, line, kind, form) => {
      expect(await leaksIn(line)).toContainEqual({ kind, form, line: 2 });
    });

    it.each([
      ['after %00', (secret: string) => `/t/%00${secret}.json`],
      ['inside another word', (secret: string) => `/t?q=word${secret}`],
      ['wholly percent-encoded', (secret: string) => `/t/${[...secret].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}`],
    ])('should find a recorded key %s', async (_label, place) => {
      expect(await leaksIn(`{"req":{"url":"${place(key)}"}}`)).toContainEqual({ kind: 'API key', form: expect.stringMatching(/^(as is|percent-encoded)$/), line: 2 });
    });

    it('should find one of our keys or tokens by its shape even when nobody recorded it', async () => {
      const token = `hdc_${randomBytes(8).toString('hex')}${randomBytes(32).toString('base64url')}`;
      const byShape = [{ kind: 'an API key or conversation token (by its shape)', form: 'as is', line: 2 }];
      expect(await leaksIn(`{"url":"/desk/api/v2/conversations/token/${token}.json"}`)).toEqual(byShape);
      expect(await leaksIn(`{"url":"/desk/api/v2/conversations/token/%00${token}.json"}`)).toEqual(byShape);
      expect(await leaksIn(`{"url":"/x?q=prefix${token}"}`)).toEqual(byShape);
      expect(await leaksIn(`{"url":"/x/%68dc_${token.slice(4)}"}`)).toEqual([{ ...byShape[0], form: 'percent-encoded' }]);
    });

    it('should find nothing in lines that hold only redacted forms and other text', async () => {
      expect(
        await leaksIn(
          `{"req":{"url":"/x/hdk_[REDACTED].json","headers":{"authorization":"[REDACTED]"}},"msg":"${pusherSecret.slice(0, 6)} ${Buffer.from(key.slice(0, 5)).toString('base64')}"}`,
        ),
      ).toEqual([]);
    });

    it('should cover every alignment of a secret inside base64 text', () => {
      const secret = 'correct horse battery staple';
      for (const prefix of ['', 'a', 'ab', 'abc:', 'user:']) {
        const encoded = Buffer.from(`${prefix}${secret}:x`).toString('base64');
        expect({ prefix, found: needlesFor(secret).some(({ needle }) => encoded.includes(needle)) }).toEqual({ prefix, found: true });
      }
    });
  });

  describe('the request logger', () => {
    it('should log every request at debug without any credential it carried, in any header, path or query', async () => {
      const metricsToken = `mt-${randomBytes(16).toString('hex')}`;
      const pusher = { PUSHER_APP_ID: '1', PUSHER_KEY: 'log-key', PUSHER_SECRET: `log-secret-${randomBytes(12).toString('hex')}` };
      // The test reads this process's log file: under E2E_PROCESSES its requests stay here.
      const t = await createTestApp({ ...pusher, METRICS_TOKEN: metricsToken }, { inProcessHttp: true });
      const acme = await createTenant(t, 'Acme');
      const { contactId } = await createContact(t.db, acme.tenantId);
      const issued = await t.http.post(`${BASE}/conversations/token.json`).set('Authorization', acme.auth).send({ conversation: { contactId } });
      expect(issued.status).toBe(201);
      const token: string = issued.body.conversation.token;
      const basic = `Basic ${Buffer.from(`${acme.key}:x`).toString('base64')}`;
      const raw = JSON.stringify({ time_ms: Date.now(), events: [] });
      const signature = createHmac('sha256', pusher.PUSHER_SECRET).update(raw).digest('hex');

      const answers = await Promise.all([
        t.http.get(`${BASE}/conversations.json`).set('Authorization', acme.auth),
        t.http.get(`${BASE}/conversations.json`).set('Authorization', basic),
        t.http.get(`${BASE}/conversations.json?api_key=${acme.key}&token=${token}`).set('Authorization', `Bearer ${acme.key}x`),
        t.http.get(`${BASE}/conversations/token/${token}.json`),
        t.http.get(`${BASE}/conversationmessages/history/${token}.json`),
        t.http.post(`${BASE}/pusher/auth.json`).set('X-Conversation-Token', token).type('form').send({ socket_id: '1.2', channel_name: 'private-conversation-1' }),
        t.http.post(`${BASE}/conversationmessages/webhooks.json`).set({ 'Content-Type': 'application/json', 'X-Pusher-Key': pusher.PUSHER_KEY, 'X-Pusher-Signature': signature }).send(raw),
        t.http.post(`${BASE}/conversations.json`).set({ Authorization: acme.auth, 'Idempotency-Key': `idem-${acme.key}` }).send({ contactId }),
        t.http.get('/metrics').set('Authorization', `Bearer ${metricsToken}`),
        t.http.get('/metrics').set('Authorization', `Bearer ${metricsToken}-wrong`),
        // Credentials in headers the service does not read, and keys and tokens where no word starts.
        t.http.get(`${BASE}/conversations.json`).set({ 'X-API-Key': acme.key, 'X-Auth-Token': token, 'X-Custom': `Bearer ${metricsToken} and ${acme.key}` }),
        t.http.get(`${BASE}/conversations/token/%00${token}.json`),
        t.http.get(`${BASE}/conversationmessages/history/x${token}.json`),
        t.http.get(`${BASE}/conversations.json?q=word${acme.key}&t=%E2%80%8B${token}`).set('Authorization', acme.auth),
        t.http.get(`${BASE}/conversations/token/${encodeURIComponent(token).replace(/[a-z]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}.json`),
        t.http.get(`${BASE}/tickets/x${acme.key}.json`).set('Referer', `https://widget.example/?k=${acme.key}`).set('Authorization', acme.auth),
      ]);
      expect(answers.map((res) => res.status)).toEqual([200, 200, 401, 200, 200, expect.any(Number), 201, 201, 200, 401, 401, 404, 404, 200, 200, 400]);
      await t.close();

      const log = await readFile(t.logFile!, 'utf8');
      const lines = log.split('\n').filter(Boolean).map((line) => JSON.parse(line));
      // The requests were logged, with their (redacted) headers.
      const requests = lines.filter((line) => line.req);
      expect(requests.length).toBeGreaterThanOrEqual(answers.length);
      expect(requests.some((line) => line.req.headers.authorization === '[REDACTED]')).toBe(true);
      expect(requests.some((line) => line.req.headers['x-api-key'] === '[REDACTED]' && line.req.headers['x-custom'] === 'Bearer [REDACTED] and hdk_[REDACTED]')).toBe(true);
      expect(requests.some((line) => line.req.url === `${BASE}/conversations/token/%00hdc_[REDACTED].json`)).toBe(true);
      // Answers with their own headers, without helmet's, which are the same on every one.
      expect(requests.every((line) => line.res.headers['x-request-id'] === line.req.id && !('content-security-policy' in line.res.headers))).toBe(true);
      const leaks = findLeaks(
        [
          { kind: 'API key', value: acme.key },
          { kind: 'conversation token', value: token },
          { kind: 'PUSHER_SECRET', value: pusher.PUSHER_SECRET },
          { kind: 'METRICS_TOKEN', value: metricsToken },
          { kind: 'webhook signature', value: signature },
        ],
        [t.logFile!],
      );
      expect(describeLeaks(leaks)).toBe('');
    });
  });
});
