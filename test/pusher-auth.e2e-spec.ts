import Pusher from 'pusher';
import type { PusherToken } from '../apps/api/src/live/pusher.service';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { BASE } from './support/desk';
import { createTestApp, TestApp } from './support/test-app';

const AUTH = `${BASE}/pusher/auth.json`;
const PUSHER_ENV = { PUSHER_APP_ID: '1', PUSHER_KEY: 'key', PUSHER_SECRET: 'secret' };
const FORBIDDEN = { errors: { _: ['not allowed to subscribe to this channel'] } };
const UNAVAILABLE = { errors: { _: ['live updates are not configured on this server'] } };
const REQUIRED = 'must be set';
const BAD_SOCKET_ID = 'must be a Pusher socket id, like 1234.5678';
const BAD_CHANNEL = 'must be a Pusher channel name: at most 164 letters, digits and _ - = @ , . ;';
const SOCKET = '1234.5678';

// The pusher package's own signer, which Pusher's servers check the answer with.
const signer = new (Pusher as unknown as { Token: new (key: string, secret: string) => PusherToken }).Token('key', 'secret');

interface Widget {
  id: number;
  token: string;
  contactId: number;
}

type Headers = Record<string, string>;
type Body = Record<string, unknown>;

describe('Pusher channel authorisation (POST /pusher/auth.json)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;

  beforeAll(async () => {
    t = await createTestApp(PUSHER_ENV);
    acme = await createTenant(t, 'Acme');
    globex = await createTenant(t, 'Globex');
  });
  afterAll(() => t.close());

  // A conversation with its widget token, issued through the API.
  const widget = async (tenant: TestTenant = acme): Promise<Widget> => {
    const { contactId } = await createContact(t.db, tenant.tenantId);
    const res = await t.http.post(`${BASE}/conversations/token.json`).set('Authorization', tenant.auth).send({ contactId });
    expect(res.status).toBe(201);
    return { id: res.body.conversation.id, token: res.body.conversation.token, contactId };
  };

  // As pusher-js posts it: urlencoded.
  const form = (body: Body, headers: Headers = {}) => t.http.post(AUTH).set(headers).type('form').send(body as Record<string, string>);
  const json = (body: unknown, headers: Headers = {}) => t.http.post(AUTH).set(headers).send(body as object);
  const asWidget = (token: string): Headers => ({ 'X-Conversation-Token': token });
  const asAgent = (auth: string): Headers => ({ Authorization: auth });

  // The answer Pusher accepts: `key:signature` over socket id, channel and (presence) channel data.
  const expectSigned = (res: { status: number; body: Record<string, string> }, socketId: string, channel: string) => {
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: expect.objectContaining({ auth: expect.any(String) }) });
    const [key, signature] = res.body.auth.split(':');
    expect(key).toBe('key');
    const signed = res.body.channel_data === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${res.body.channel_data}`;
    expect(signer.verify(signed, signature)).toBe(true);
    // And only over exactly that: another socket or channel does not verify.
    expect(signer.verify(signed.replace(socketId, `${socketId}1`), signature)).toBe(false);
  };

  const expectPrivate = (res: { status: number; body: Record<string, string> }, socketId: string, channel: string) => {
    expectSigned(res, socketId, channel);
    expect(Object.keys(res.body)).toEqual(['auth']);
  };

  const expectPresence = (res: { status: number; body: Record<string, string> }, socketId: string, channel: string, member: unknown) => {
    expectSigned(res, socketId, channel);
    expect(Object.keys(res.body).sort()).toEqual(['auth', 'channel_data']);
    expect(JSON.parse(res.body.channel_data)).toEqual(member);
  };

  const expectForbidden = (res: { status: number; body: unknown; headers: Record<string, string> }, label: string) => {
    expect({ label, status: res.status, body: res.body, code: res.headers['x-error-code'] }).toEqual({
      label,
      status: 403,
      body: FORBIDDEN,
      code: 'CHANNEL_FORBIDDEN',
    });
  };

  describe('with a conversation token (the widget)', () => {
    it('should sign its conversation’s private channel, posted urlencoded as pusher-js does', async () => {
      const w = await widget();
      const channel = `private-conversation-${w.id}`;
      expectPrivate(await form({ socket_id: SOCKET, channel_name: channel }, asWidget(w.token)), SOCKET, channel);
    });

    it('should sign its conversation’s presence channel as the contact', async () => {
      const w = await widget();
      const channel = `presence-conversation-${w.id}`;
      const res = await form({ socket_id: '98765.4321', channel_name: channel }, asWidget(w.token));
      expectPresence(res, '98765.4321', channel, { user_id: `contact-${w.contactId}`, user_info: { type: 'contact', id: w.contactId } });
    });

    it('should take the same fields as JSON', async () => {
      const w = await widget();
      const privateChannel = `private-conversation-${w.id}`;
      expectPrivate(await json({ socket_id: SOCKET, channel_name: privateChannel }, asWidget(w.token)), SOCKET, privateChannel);
      const presence = `presence-conversation-${w.id}`;
      expectPresence(await json({ socket_id: SOCKET, channel_name: presence }, asWidget(w.token)), SOCKET, presence, {
        user_id: `contact-${w.contactId}`,
        user_info: { type: 'contact', id: w.contactId },
      });
    });

    it('should ignore other fields of the form (a client’s own auth params)', async () => {
      const w = await widget();
      const channel = `private-conversation-${w.id}`;
      expectPrivate(await form({ socket_id: SOCKET, channel_name: channel, locale: 'en' }, asWidget(w.token)), SOCKET, channel);
    });

    it('should refuse another conversation’s channels, of its tenant or another', async () => {
      const mine = await widget();
      const sibling = await widget();
      const foreign = await widget(globex);
      for (const id of [sibling.id, foreign.id, 987654321]) {
        for (const kind of ['private', 'presence']) {
          const channel = `${kind}-conversation-${id}`;
          expectForbidden(await form({ socket_id: SOCKET, channel_name: channel }, asWidget(mine.token)), channel);
        }
      }
    });

    it('should refuse the tenant channel, its own tenant’s included', async () => {
      const w = await widget();
      for (const tenant of [acme, globex]) {
        const channel = `private-tenant-${tenant.tenantId}`;
        expectForbidden(await form({ socket_id: SOCKET, channel_name: channel }, asWidget(w.token)), channel);
      }
    });

    it('should refuse a wrong token', async () => {
      const w = await widget();
      const channel = `private-conversation-${w.id}`;
      const wrong = [
        'nonsense',
        '',
        `${w.token.slice(0, -1)}${w.token.endsWith('A') ? 'B' : 'A'}`,
        `hdc_${'0'.repeat(16)}${w.token.slice(20)}`,
        `hdk_${w.token.slice(4)}`,
      ];
      for (const token of wrong) {
        expectForbidden(await form({ socket_id: SOCKET, channel_name: channel }, asWidget(token)), token);
      }
    });

    it('should refuse a token rotated away, and sign with its successor', async () => {
      const w = await widget();
      const rotated = await t.http.post(`${BASE}/conversations/token.json`).set('Authorization', acme.auth).send({ id: w.id });
      expect(rotated.status).toBe(201);
      const channel = `private-conversation-${w.id}`;
      expectForbidden(await form({ socket_id: SOCKET, channel_name: channel }, asWidget(w.token)), 'old token');
      expectPrivate(await form({ socket_id: SOCKET, channel_name: channel }, asWidget(rotated.body.conversation.token)), SOCKET, channel);
    });

    it('should refuse the token of a deleted conversation', async () => {
      const w = await widget();
      const channel = `presence-conversation-${w.id}`;
      expect((await form({ socket_id: SOCKET, channel_name: channel }, asWidget(w.token))).status).toBe(200);
      await t.http.delete(`${BASE}/conversations/${w.id}.json`).set('Authorization', acme.auth).expect(204);
      expectForbidden(await form({ socket_id: SOCKET, channel_name: channel }, asWidget(w.token)), 'deleted');
    });

    it('should take the token as the credential even beside a valid API key', async () => {
      const w = await widget();
      const other = await widget();
      const both = { ...asWidget(w.token), ...asAgent(acme.auth) };
      // The key alone would be enough for these; with the token, the token decides.
      for (const channel of [`private-tenant-${acme.tenantId}`, `private-conversation-${other.id}`, `presence-conversation-${other.id}`]) {
        expectForbidden(await form({ socket_id: SOCKET, channel_name: channel }, both), channel);
      }
      expectForbidden(await form({ socket_id: SOCKET, channel_name: `private-conversation-${w.id}` }, { ...asWidget('nonsense'), ...asAgent(acme.auth) }), 'bad token');
      const presence = `presence-conversation-${w.id}`;
      expectPresence(await form({ socket_id: SOCKET, channel_name: presence }, both), SOCKET, presence, {
        user_id: `contact-${w.contactId}`,
        user_info: { type: 'contact', id: w.contactId },
      });
    });
  });

  describe('with an API key (an agent)', () => {
    it('should sign the private channel of any active conversation of its tenant', async () => {
      const w = await widget();
      const agent = await createAgent(t, acme.tenantId);
      const channel = `private-conversation-${w.id}`;
      expectPrivate(await form({ socket_id: SOCKET, channel_name: channel }, asAgent(acme.auth)), SOCKET, channel);
      expectPrivate(await json({ socket_id: SOCKET, channel_name: channel }, asAgent(agent.auth)), SOCKET, channel);
    });

    it('should sign the presence channel as the agent, with its name', async () => {
      const w = await widget();
      const agent = await createAgent(t, acme.tenantId);
      const [{ last_name: lastName }] = await t.db.query(`SELECT last_name FROM users WHERE id = $1`, [agent.id]);
      const channel = `presence-conversation-${w.id}`;

      expectPresence(await form({ socket_id: SOCKET, channel_name: channel }, asAgent(agent.auth)), SOCKET, channel, {
        user_id: `user-${agent.id}`,
        user_info: { type: 'user', id: agent.id, name: `Agent ${lastName}` },
      });
      expectPresence(await json({ socket_id: '1.2', channel_name: channel }, asAgent(acme.auth)), '1.2', channel, {
        user_id: `user-${acme.adminId}`,
        user_info: { type: 'user', id: acme.adminId, name: 'Ada Admin' },
      });
    });

    it('should sign its tenant’s own channel', async () => {
      const agent = await createAgent(t, acme.tenantId);
      const channel = `private-tenant-${acme.tenantId}`;
      expectPrivate(await form({ socket_id: SOCKET, channel_name: channel }, asAgent(agent.auth)), SOCKET, channel);
      const globexChannel = `private-tenant-${globex.tenantId}`;
      expectPrivate(await json({ socket_id: SOCKET, channel_name: globexChannel }, asAgent(globex.auth)), SOCKET, globexChannel);
    });

    it('should sign its tenant’s presence channel as the agent, and refuse another tenant’s', async () => {
      const agent = await createAgent(t, acme.tenantId);
      const [{ last_name: lastName }] = await t.db.query(`SELECT last_name FROM users WHERE id = $1`, [agent.id]);
      const channel = `presence-tenant-${acme.tenantId}`;
      expectPresence(await form({ socket_id: SOCKET, channel_name: channel }, asAgent(agent.auth)), SOCKET, channel, {
        user_id: `user-${agent.id}`,
        user_info: { type: 'user', id: agent.id, name: `Agent ${lastName}` },
      });
      for (const other of [`presence-tenant-${globex.tenantId}`, `presence-tenant-${globex.tenantId + 1000}`]) {
        expectForbidden(await form({ socket_id: SOCKET, channel_name: other }, asAgent(agent.auth)), other);
      }
      const gone = await createAgent(t, acme.tenantId, { state: 'deleted' });
      expectForbidden(await form({ socket_id: SOCKET, channel_name: channel }, asAgent(gone.auth)), 'deactivated');
    });

    it('should sign an agent’s own channel, and nobody else’s, admins included', async () => {
      const agent = await createAgent(t, acme.tenantId);
      const own = `private-user-${agent.id}`;
      expectPrivate(await form({ socket_id: SOCKET, channel_name: own }, asAgent(agent.auth)), SOCKET, own);
      expectForbidden(await form({ socket_id: SOCKET, channel_name: own }, asAgent(acme.auth)), 'the admin on an agent’s channel');
      expectForbidden(await form({ socket_id: SOCKET, channel_name: `private-user-${acme.adminId}` }, asAgent(agent.auth)), 'an agent on the admin’s');
      expectForbidden(await form({ socket_id: SOCKET, channel_name: own }, asAgent(globex.auth)), 'another tenant');
    });

    it('should take the key as Basic too, as the rest of the API does', async () => {
      const w = await widget();
      const basic = `Basic ${Buffer.from(`${acme.key}:x`).toString('base64')}`;
      const channel = `presence-conversation-${w.id}`;
      expectPresence(await form({ socket_id: SOCKET, channel_name: channel }, asAgent(basic)), SOCKET, channel, {
        user_id: `user-${acme.adminId}`,
        user_info: { type: 'user', id: acme.adminId, name: 'Ada Admin' },
      });
    });

    it('should refuse another tenant’s, a missing or a deleted conversation with the same 403', async () => {
      const foreign = await widget(globex);
      const deleted = await widget();
      await t.http.delete(`${BASE}/conversations/${deleted.id}.json`).set('Authorization', acme.auth).expect(204);
      const [{ max }] = await t.db.query(`SELECT max(id)::int AS max FROM conversations`);
      for (const id of [foreign.id, deleted.id, max + 1000]) {
        for (const kind of ['private', 'presence']) {
          const channel = `${kind}-conversation-${id}`;
          expectForbidden(await form({ socket_id: SOCKET, channel_name: channel }, asAgent(acme.auth)), channel);
        }
      }
      // The other tenant's own agents may.
      expectPrivate(await form({ socket_id: SOCKET, channel_name: `private-conversation-${foreign.id}` }, asAgent(globex.auth)), SOCKET, `private-conversation-${foreign.id}`);
    });

    it('should refuse another tenant’s tenant channel, and one of no tenant', async () => {
      for (const channel of [`private-tenant-${globex.tenantId}`, `private-tenant-${globex.tenantId + 1000}`]) {
        expectForbidden(await form({ socket_id: SOCKET, channel_name: channel }, asAgent(acme.auth)), channel);
      }
    });

    it('should refuse without a credential, or with a bad, malformed or revoked key', async () => {
      const w = await widget();
      const revoked = await createAgent(t, acme.tenantId);
      await t.db.query(`UPDATE api_keys SET state = 'deleted', deleted_at = now() WHERE tenant_id = $1 AND user_id = $2`, [acme.tenantId, revoked.id]);
      const credentials: [string, Headers][] = [
        ['none', {}],
        ['empty', asAgent('')],
        ['unknown key', asAgent('Bearer hdk_0000000000000000AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')],
        ['not a key', asAgent('Bearer not-a-key')],
        ['tampered key', asAgent(`Bearer ${acme.key.slice(0, -1)}${acme.key.endsWith('A') ? 'B' : 'A'}`)],
        ['malformed', asAgent('Token abc')],
        ['empty basic', asAgent('Basic ')],
        ['revoked key', asAgent(revoked.auth)],
      ];
      for (const channel of [`private-conversation-${w.id}`, `presence-conversation-${w.id}`, `private-tenant-${acme.tenantId}`]) {
        for (const [label, headers] of credentials) {
          expectForbidden(await form({ socket_id: SOCKET, channel_name: channel }, headers), `${label} on ${channel}`);
        }
      }
    });

    it('should refuse a deactivated agent’s key', async () => {
      const w = await widget();
      const gone = await createAgent(t, acme.tenantId, { state: 'deleted' });
      for (const channel of [`private-conversation-${w.id}`, `presence-conversation-${w.id}`, `private-tenant-${acme.tenantId}`]) {
        expectForbidden(await form({ socket_id: SOCKET, channel_name: channel }, asAgent(gone.auth)), channel);
      }
    });
  });

  describe('channels no one may join', () => {
    it('should refuse public, encrypted and unknown channels to both credentials, and agents’ channels to the widget', async () => {
      const w = await widget();
      for (const channel of [`presence-tenant-${acme.tenantId}`, `private-user-${acme.adminId}`, `private-tenant-${acme.tenantId}`]) {
        expectForbidden(await form({ socket_id: SOCKET, channel_name: channel }, asWidget(w.token)), `widget on ${channel}`);
      }
      const channels = [
        `conversation-${w.id}`,
        'my-channel',
        `private-encrypted-conversation-${w.id}`,
        `private-encrypted-tenant-${acme.tenantId}`,
        `presence-tenant-0`,
        `private-user-0`,
        `private-user-${acme.adminId}-x`,
        `private-conversation-0`,
        `private-conversation-0${w.id}`,
        `private-conversation-${w.id}-extra`,
        `private-conversations-${w.id}`,
        `private-tenant-${acme.tenantId}.x`,
        `presence-user-${acme.adminId}`,
      ];
      for (const channel of channels) {
        expectForbidden(await form({ socket_id: SOCKET, channel_name: channel }, asWidget(w.token)), `widget on ${channel}`);
        expectForbidden(await form({ socket_id: SOCKET, channel_name: channel }, asAgent(acme.auth)), `agent on ${channel}`);
      }
    });
  });

  describe('validation', () => {
    it('should answer 400 naming both fields when both are missing', async () => {
      const w = await widget();
      for (const res of [await form({}, asWidget(w.token)), await json({}, asAgent(acme.auth)), await t.http.post(AUTH).set(asAgent(acme.auth))]) {
        expect({ status: res.status, body: res.body }).toEqual({
          status: 400,
          body: { errors: { socket_id: [REQUIRED], channel_name: [REQUIRED] } },
        });
      }
    });

    it('should answer 400 naming the one field missing', async () => {
      const w = await widget();
      const noChannel = await form({ socket_id: SOCKET }, asWidget(w.token));
      expect({ status: noChannel.status, body: noChannel.body }).toEqual({ status: 400, body: { errors: { channel_name: [REQUIRED] } } });
      const noSocket = await json({ channel_name: `private-conversation-${w.id}`, socket_id: '' }, asWidget(w.token));
      expect({ status: noSocket.status, body: noSocket.body }).toEqual({ status: 400, body: { errors: { socket_id: [REQUIRED] } } });
    });

    it('should answer 400 for a socket id not in Pusher’s format', async () => {
      const w = await widget();
      const channel = `private-conversation-${w.id}`;
      for (const socketId of ['1234', '1234.', '.5678', 'abc.def', '1.2.3', '1234.5678 ', ' 1234.5678', '-1.2', '1234:5678', '123456789012345678901.1']) {
        const res = await form({ socket_id: socketId, channel_name: channel }, asWidget(w.token));
        expect({ socketId, status: res.status, body: res.body }).toEqual({ socketId, status: 400, body: { errors: { socket_id: [BAD_SOCKET_ID] } } });
      }
      const numeric = await json({ socket_id: 1234.5678, channel_name: channel }, asWidget(w.token));
      expect({ status: numeric.status, body: numeric.body }).toEqual({ status: 400, body: { errors: { socket_id: [BAD_SOCKET_ID] } } });
    });

    it('should answer 400 for a channel name not in Pusher’s format', async () => {
      const w = await widget();
      for (const channel of ['private-conversation-1 ', 'private conversation', 'private-conversation-1#x', `private-${'a'.repeat(157)}`, 'kanal-ü']) {
        const res = await form({ socket_id: SOCKET, channel_name: channel }, asWidget(w.token));
        expect({ channel, status: res.status, body: res.body }).toEqual({ channel, status: 400, body: { errors: { channel_name: [BAD_CHANNEL] } } });
      }
      const longest = `private-${'a'.repeat(156)}`;
      expect(longest).toHaveLength(164);
      expectForbidden(await form({ socket_id: SOCKET, channel_name: longest }, asWidget(w.token)), 'longest name, valid but unknown');
      const list = await json({ socket_id: SOCKET, channel_name: [`private-conversation-${w.id}`] }, asWidget(w.token));
      expect({ status: list.status, body: list.body }).toEqual({ status: 400, body: { errors: { channel_name: [BAD_CHANNEL] } } });
    });

    it('should report both fields’ errors at once', async () => {
      const res = await form({ socket_id: '1234', channel_name: 'no spaces allowed' }, asAgent(acme.auth));
      expect({ status: res.status, body: res.body }).toEqual({
        status: 400,
        body: { errors: { socket_id: [BAD_SOCKET_ID], channel_name: [BAD_CHANNEL] } },
      });
    });

    it('should refuse a repeated form field, which is no one value', async () => {
      const w = await widget();
      const res = await t.http
        .post(AUTH)
        .set(asWidget(w.token))
        .type('form')
        .send(`socket_id=${SOCKET}&socket_id=1.2&channel_name=private-conversation-${w.id}`);
      expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: { errors: { socket_id: [BAD_SOCKET_ID] } } });
    });

    it('should answer 400 for a JSON body that is not an object', async () => {
      const res = await json([{ socket_id: SOCKET, channel_name: `private-tenant-${acme.tenantId}` }], asAgent(acme.auth));
      expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: { errors: { _: ['the body must be an object'] } } });
    });

    it('should validate before it looks at the credential', async () => {
      for (const headers of [{}, asWidget('nonsense'), asAgent('Bearer not-a-key')]) {
        const res = await form({ socket_id: 'x', channel_name: 'private-tenant-1' }, headers);
        expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: { errors: { socket_id: [BAD_SOCKET_ID] } } });
      }
    });
  });

  describe('the API’s conventions', () => {
    it('should write nothing and need no Idempotency-Key', async () => {
      const channel = `private-tenant-${acme.tenantId}`;
      const count = async () => (await t.db.query(`SELECT count(*)::int AS n FROM idempotency_keys`))[0].n;
      const before = await count();
      const first = await form({ socket_id: SOCKET, channel_name: channel }, { ...asAgent(acme.auth), 'Idempotency-Key': 'pusher-1' });
      const second = await form({ socket_id: '5.6', channel_name: channel }, { ...asAgent(acme.auth), 'Idempotency-Key': 'pusher-1' });
      expectPrivate(first, SOCKET, channel);
      expectPrivate(second, '5.6', channel);
      expect(second.headers['idempotent-replayed']).toBeUndefined();
      expect(await count()).toBe(before);
    });

    it('should be documented in the OpenAPI document', async () => {
      const doc = await t.http.get('/docs-json');
      expect(doc.status).toBe(200);
      const operation = doc.body.paths[AUTH]?.post;
      expect(Object.keys(doc.body.paths[AUTH])).toEqual(['post']);
      expect(Object.keys(operation.responses).sort()).toEqual(['200', '400', '403', '409', '413', '415', '500', '503']);
      expect(operation.responses['200'].content['application/json'].schema.required).toEqual(['auth']);
      expect(Object.keys(operation.requestBody.content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
      expect(operation.requestBody.content['application/x-www-form-urlencoded'].schema.required).toEqual(['socket_id', 'channel_name']);
      expect(operation.parameters).toEqual([expect.objectContaining({ name: 'X-Conversation-Token', in: 'header', required: false })]);
      // Either credential, or (for the 403 it then gets) none.
      expect(operation.security).toEqual([{ bearer: [] }, { basic: [] }, {}]);
    });
  });

  describe('without Pusher configured', () => {
    let bare: TestApp;
    let tenant: TestTenant;

    beforeAll(async () => {
      bare = await createTestApp();
      tenant = await createTenant(bare, 'Bare');
    });
    afterAll(() => bare.close());

    it('should answer 503 to every credential', async () => {
      const { contactId } = await createContact(bare.db, tenant.tenantId);
      const issued = await bare.http.post(`${BASE}/conversations/token.json`).set('Authorization', tenant.auth).send({ contactId });
      expect(issued.status).toBe(201);
      const { id, token } = issued.body.conversation;
      const requests: [string, Headers][] = [
        [`presence-conversation-${id}`, { 'X-Conversation-Token': token }],
        [`private-conversation-${id}`, { Authorization: tenant.auth }],
        [`private-tenant-${tenant.tenantId}`, { Authorization: tenant.auth }],
        [`private-tenant-${tenant.tenantId}`, {}],
      ];
      for (const [channel, headers] of requests) {
        const res = await bare.http.post(AUTH).set(headers).type('form').send({ socket_id: SOCKET, channel_name: channel });
        expect({ channel, status: res.status, body: res.body, code: res.headers['x-error-code'] }).toEqual({
          channel,
          status: 503,
          body: UNAVAILABLE,
          code: 'PUSHER_NOT_CONFIGURED',
        });
      }
    });

    it('should still answer 400 first for a malformed request', async () => {
      const res = await bare.http.post(AUTH).set('Authorization', tenant.auth).send({ socket_id: 'nope' });
      expect({ status: res.status, body: res.body }).toEqual({
        status: 400,
        body: { errors: { socket_id: [BAD_SOCKET_ID], channel_name: [REQUIRED] } },
      });
    });
  });
});
