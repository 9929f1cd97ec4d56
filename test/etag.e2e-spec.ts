import { createHmac } from 'node:crypto';
import { Response } from 'supertest';
import { BASE } from './support/desk';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const PUSHER = { PUSHER_APP_ID: '1', PUSHER_KEY: 'app-key', PUSHER_SECRET: 'app-secret' };
// A strong entity tag: a quoted opaque string (RFC 9110 §8.8.3), never W/.
const STRONG_TAG = /^"[\x21\x23-\x7e]+"$/;

type Row = Record<string, unknown>;

// One Desk resource with optimistic concurrency: how to make one, and a body that changes it.
interface Resource {
  name: 'conversations' | 'customers' | 'tickets';
  envelope: string;
  // The POST's answer.
  post(tenant: TestTenant): Promise<Response>;
  change(n: number): object;
  // What its rows hold, to compare before and after a refused write.
  rows(id: number): Promise<Row[]>;
}

describe('ETag and If-Match on Desk conversations, customers and tickets', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;
  let counter = 0;

  beforeAll(async () => {
    t = await createTestApp({ ...PUSHER, HL_RATE_LIMIT_MAX: '100000' });
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
  });
  afterAll(() => t.close());

  const resources: Resource[] = [
    {
      name: 'conversations',
      envelope: 'conversation',
      post: async (tenant) => {
        const { contactId } = await createContact(t.db, tenant.tenantId);
        return t.http.post(`${BASE}/conversations.json`).set('Authorization', tenant.auth).send({ conversation: { contactId } });
      },
      change: (n) => ({ conversation: { socket_id: `1234.${n}` } }),
      rows: async (id) => [
        ...(await t.db.query(`SELECT * FROM conversations WHERE id = $1`, [id])),
        ...(await t.db.query(`SELECT * FROM conversation_users WHERE conversation_id = $1 ORDER BY user_id`, [id])),
      ],
    },
    {
      name: 'customers',
      envelope: 'customer',
      post: (tenant) =>
        t.http
          .post(`${BASE}/customers.json`)
          .set('Authorization', tenant.auth)
          .send({ customer: { firstName: 'Cora', email: `cora-${++counter}-${Date.now()}@example.test` } }),
      change: (n) => ({ customer: { firstName: `Cora ${n}` } }),
      rows: async (id) => [
        ...(await t.db.query(`SELECT * FROM customers WHERE id = $1`, [id])),
        ...(await t.db.query(`SELECT * FROM customer_contacts WHERE customer_id = $1 ORDER BY id`, [id])),
      ],
    },
    {
      name: 'tickets',
      envelope: 'ticket',
      post: async (tenant) => {
        const { customerId } = await createContact(t.db, tenant.tenantId);
        return t.http
          .post(`${BASE}/tickets.json`)
          .set('Authorization', tenant.auth)
          .send({ subject: 'Printer jam', message: 'It jams on every page.', customer: { id: customerId } });
      },
      change: (n) => ({ ticket: { subject: `Printer jam ${n}` } }),
      rows: async (id) => [
        ...(await t.db.query(`SELECT * FROM tickets WHERE id = $1`, [id])),
        ...(await t.db.query(`SELECT * FROM ticket_tags WHERE ticket_id = $1 ORDER BY tag_id`, [id])),
      ],
    },
  ];

  const create = async (r: Resource, tenant = acme): Promise<number> => {
    const res = await r.post(tenant);
    expect(res.status).toBe(201);
    return res.body[r.envelope].id;
  };
  const get = (r: Resource, id: number, headers: Record<string, string> = {}, tenant = acme) =>
    t.http.get(`${BASE}/${r.name}/${id}.json`).set('Authorization', tenant.auth).set(headers);
  const write = (method: 'patch' | 'put', r: Resource, id: number, body: object, ifMatch?: string, tenant = acme) => {
    const req = t.http[method](`${BASE}/${r.name}/${id}.json`).set('Authorization', tenant.auth);
    return (ifMatch === undefined ? req : req.set('If-Match', ifMatch)).send(body);
  };
  const tagOf = async (r: Resource, id: number): Promise<string> => {
    const res = await get(r, id);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toMatch(STRONG_TAG);
    return res.headers.etag;
  };
  const weak = (tag: string) => `W/${tag}`;
  const expectPreconditionFailed = (res: Response) => {
    expect(res.status).toBe(412);
    expect(res.headers['x-error-code']).toBe('PRECONDITION_FAILED');
    expect(res.headers.etag).toBeUndefined();
    expect(Object.keys(res.body)).toEqual(['errors']);
    expect(res.body.errors._).toEqual([expect.stringMatching(/has changed since the version given: nothing was written/)]);
  };

  describe.each(resources)('$name', (r) => {
    it('should answer POST with a strong ETag that GET shows until the next write, whatever fields it picks', async () => {
      const created = await r.post(acme);
      expect(created.status).toBe(201);
      expect(created.headers.etag).toMatch(STRONG_TAG);
      const id = created.body[r.envelope].id;

      const got = await get(r, id);
      expect(got.headers.etag).toBe(created.headers.etag);
      expect((await get(r, id)).headers.etag).toBe(created.headers.etag);
      const sparse = await t.http.get(`${BASE}/${r.name}/${id}.json?fields=id`).set('Authorization', acme.auth);
      expect(sparse.headers.etag).toBe(created.headers.etag);
      // A list is not one version of one thing.
      expect((await t.http.get(`${BASE}/${r.name}.json`).set('Authorization', acme.auth)).headers.etag).toBeUndefined();
    });

    it('should apply a PATCH whose If-Match is the current tag and answer the new tag a GET then shows', async () => {
      const id = await create(r);
      const tag = await tagOf(r, id);

      const res = await write('patch', r, id, r.change(1), tag);

      expect(res.status).toBe(200);
      expect(res.headers.etag).toMatch(STRONG_TAG);
      expect(res.headers.etag).not.toBe(tag);
      const after = await get(r, id);
      expect(after.headers.etag).toBe(res.headers.etag);
      expect(after.body[r.envelope]).toEqual(res.body[r.envelope]);
    });

    it('should refuse a stale If-Match with 412 in the Desk dialect and change nothing', async () => {
      const id = await create(r);
      const stale = await tagOf(r, id);
      expect((await write('patch', r, id, r.change(1), stale)).status).toBe(200);
      const before = await r.rows(id);
      const current = await tagOf(r, id);

      const res = await write('patch', r, id, r.change(2), stale);

      expectPreconditionFailed(res);
      expect(await r.rows(id)).toEqual(before);
      expect(await tagOf(r, id)).toBe(current);
    });

    it('should match * and a list holding the current tag, and never a weak tag', async () => {
      const id = await create(r);
      const before = await r.rows(id);
      const tag = await tagOf(r, id);

      expectPreconditionFailed(await write('patch', r, id, r.change(1), weak(tag)));
      expectPreconditionFailed(await write('patch', r, id, r.change(1), `${weak(tag)}, "nope"`));
      expectPreconditionFailed(await write('patch', r, id, r.change(1), 'not-a-tag'));
      expect(await r.rows(id)).toEqual(before);

      const listed = await write('patch', r, id, r.change(2), `"older", ${tag} , W/"other"`);
      expect(listed.status).toBe(200);
      const star = await write('patch', r, id, r.change(3), '*');
      expect(star.status).toBe(200);
      expect(star.headers.etag).not.toBe(listed.headers.etag);
      expect(await tagOf(r, id)).toBe(star.headers.etag);
    });

    it('should write without If-Match as before', async () => {
      const id = await create(r);
      const tag = await tagOf(r, id);
      const res = await write('patch', r, id, r.change(1));
      expect(res.status).toBe(200);
      expect(res.headers.etag).not.toBe(tag);
      expect(await tagOf(r, id)).toBe(res.headers.etag);
    });

    it('should let exactly one of concurrent PATCHes with the same If-Match through', async () => {
      const id = await create(r);
      const tag = await tagOf(r, id);

      const answers = await Promise.all([1, 2, 3, 4].map((n) => write('patch', r, id, r.change(n), tag)));

      const statuses = answers.map((res) => res.status).sort();
      expect(statuses).toEqual([200, 412, 412, 412]);
      const winner = answers.find((res) => res.status === 200)!;
      expect(await tagOf(r, id)).toBe(winner.headers.etag);
      expect((await get(r, id)).body[r.envelope]).toEqual(winner.body[r.envelope]);
    });

    it("should answer 404 for another tenant's id, with or without If-Match, and leave it alone", async () => {
      const theirs = await create(r, globex);
      const before = await r.rows(theirs);
      const theirTag = (await get(r, theirs, {}, globex)).headers.etag;
      expect((await get(r, theirs)).status).toBe(404);

      for (const ifMatch of [undefined, '*', theirTag]) {
        const res = await write('patch', r, theirs, r.change(9), ifMatch);
        expect(res.status).toBe(404);
        expect(res.headers.etag).toBeUndefined();
      }
      expect((await write('patch', r, 987654321, r.change(9), '*')).status).toBe(404);
      expect(await r.rows(theirs)).toEqual(before);
    });

    it('should answer If-None-Match naming the current tag with 304 and no body, and with 200 once it is stale', async () => {
      const id = await create(r);
      const tag = await tagOf(r, id);

      const notModified = await get(r, id, { 'If-None-Match': `"other", ${weak(tag)}` });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.etag).toBe(tag);
      expect(notModified.text).toBe('');
      // Side-loads change on their own: with includes the answer is always whole.
      const included = await t.http.get(`${BASE}/${r.name}/${id}.json?includes=all`).set('Authorization', acme.auth).set('If-None-Match', tag);
      expect(included.status).toBe(200);

      await write('patch', r, id, r.change(1));
      const changed = await get(r, id, { 'If-None-Match': tag });
      expect(changed.status).toBe(200);
      expect(changed.headers.etag).not.toBe(tag);
    });
  });

  describe('customers PUT', () => {
    const customers = resources[1];

    it('should replace over the current tag, refuse a stale one with 412 and change nothing', async () => {
      const id = await create(customers);
      const tag = await tagOf(customers, id);
      const email = `put-${Date.now()}@example.test`;

      const replaced = await write('put', customers, id, { customer: { firstName: 'Petra', lastName: 'Put', email } }, tag);
      expect(replaced.status).toBe(200);
      expect(replaced.headers.etag).not.toBe(tag);
      expect(await tagOf(customers, id)).toBe(replaced.headers.etag);

      const before = await customers.rows(id);
      expectPreconditionFailed(await write('put', customers, id, { customer: { firstName: 'Stale', email } }, tag));
      expect(await customers.rows(id)).toEqual(before);
      const star = await write('put', customers, id, { customer: { firstName: 'Star', email } }, '*');
      expect(star.status).toBe(200);
      expect(star.body.customer.firstName).toBe('Star');
    });
  });

  describe('changes by other paths', () => {
    const [conversations, customers, tickets] = resources;

    it("should make a conversation's tag stale when a message is posted to it", async () => {
      const id = await create(conversations);
      const tag = await tagOf(conversations, id);
      const posted = await t.http
        .post(`${BASE}/conversationmessages.json`)
        .set('Authorization', acme.auth)
        .send({ conversationmessage: { conversationId: id, message: 'Hello there' } });
      expect(posted.status).toBe(201);
      expect(await tagOf(conversations, id)).not.toBe(tag);
      expectPreconditionFailed(await write('patch', conversations, id, conversations.change(1), tag));
    });

    it("should make a conversation's tag stale after a HighLevel PUT", async () => {
      const id = await create(conversations);
      const tag = await tagOf(conversations, id);
      const put = await t.http.put(`/conversations/${id}`).set('Authorization', acme.auth).set('Version', '2021-07-28').send({ locationId: acme.locationId, starred: true });
      expect(put.status).toBe(200);
      expect(await tagOf(conversations, id)).not.toBe(tag);
      const before = await conversations.rows(id);
      expectPreconditionFailed(await write('patch', conversations, id, conversations.change(1), tag));
      expect(await conversations.rows(id)).toEqual(before);
    });

    it("should make a conversation's tag stale when it is converted to a ticket", async () => {
      const id = await create(conversations);
      await t.http
        .post(`${BASE}/conversationmessages.json`)
        .set('Authorization', acme.auth)
        .send({ conversationmessage: { conversationId: id, message: 'My order is lost' } })
        .expect(201);
      const tag = await tagOf(conversations, id);
      const converted = await t.http.post(`${BASE}/conversations/${id}/convert.json`).set('Authorization', acme.auth).send({});
      expect(converted.status).toBeLessThan(300);
      const before = await conversations.rows(id);
      expectPreconditionFailed(await write('patch', conversations, id, conversations.change(1), tag));
      expect(await conversations.rows(id)).toEqual(before);
    });

    it("should make a conversation's tag stale when Pusher says someone joined, though its row is unchanged", async () => {
      const id = await create(conversations);
      const agent = await createAgent(t, acme.tenantId);
      const tag = await tagOf(conversations, id);
      const [rowBefore] = await t.db.query(`SELECT * FROM conversations WHERE id = $1`, [id]);
      const raw = JSON.stringify({ time_ms: Date.now(), events: [{ name: 'member_added', channel: `presence-conversation-${id}`, user_id: `user-${agent.id}` }] });
      const signature = createHmac('sha256', PUSHER.PUSHER_SECRET).update(raw).digest('hex');
      const sent = await t.http
        .post(`${BASE}/conversationmessages/webhooks.json`)
        .set({ 'Content-Type': 'application/json', 'X-Pusher-Key': PUSHER.PUSHER_KEY, 'X-Pusher-Signature': signature })
        .send(raw);
      expect(sent.status).toBeLessThan(300);

      expect((await t.db.query(`SELECT * FROM conversations WHERE id = $1`, [id]))[0]).toEqual(rowBefore);
      const now = await get(conversations, id);
      expect(now.body.conversation.online.members).toEqual([`user-${agent.id}`]);
      expect(now.headers.etag).not.toBe(tag);
      expectPreconditionFailed(await write('patch', conversations, id, conversations.change(1), tag));
    });

    it("should make a customer's tag stale whatever writes it, even a statement outside the service", async () => {
      const id = await create(customers);
      const tag = await tagOf(customers, id);
      await t.db.query(`UPDATE customers SET job_title = 'Buyer' WHERE id = $1`, [id]);
      expect(await tagOf(customers, id)).not.toBe(tag);
      expectPreconditionFailed(await write('patch', customers, id, customers.change(1), tag));
    });

    it("should make a ticket's tag stale when a message is added to its thread", async () => {
      const id = await create(tickets);
      const tag = await tagOf(tickets, id);
      const reply = await t.http.post(`${BASE}/tickets/${id}/messages.json`).set('Authorization', acme.auth).send({ message: 'We are on it' });
      expect(reply.status).toBe(201);
      expect(await tagOf(tickets, id)).not.toBe(tag);
      expectPreconditionFailed(await write('patch', tickets, id, tickets.change(1), tag));
    });
  });

  describe('OpenAPI', () => {
    it('should document ETag, If-Match and the 412 on the writes, and If-None-Match on the reads', async () => {
      const doc = (await t.http.get('/docs-json')).body;
      for (const name of ['conversations', 'customers', 'tickets']) {
        const path = doc.paths[`/desk/api/v2/${name}/{id}.json`];
        const writes = name === 'customers' ? [path.patch, path.put] : [path.patch];
        for (const op of writes) {
          expect(op.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'If-Match', in: 'header', required: false })]));
          expect(op.responses['412'].content['application/json'].schema).toMatchObject({ required: ['errors'] });
          expect(op.responses['200'].headers.ETag).toBeDefined();
        }
        expect(path.get.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'If-None-Match', in: 'header' })]));
        expect(path.get.responses['200'].headers.ETag).toBeDefined();
        expect(path.get.responses['304']).toBeDefined();
        expect(doc.paths[`/desk/api/v2/${name}.json`].post.responses['201'].headers.ETag).toBeDefined();
      }
    });
  });
});
