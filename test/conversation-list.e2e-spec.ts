import { createContact, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const LIST = '/desk/api/v2/conversations.json';

describe('GET /conversations.json (the list language)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let ids: number[];
  let contactA: number;
  let contactB: number;

  // 30 conversations: ids ascending with createdAt, alternating between two contacts; three deleted.
  beforeAll(async () => {
    t = await createTestApp();
    acme = await createTenant(t);
    contactA = (await createContact(t.db, acme.tenantId)).contactId;
    contactB = (await createContact(t.db, acme.tenantId)).contactId;
    const rows: { id: number }[] = await t.db.query(
      `INSERT INTO conversations (tenant_id, contact_id, created_at, updated_at, created_by, updated_by)
       SELECT $1, CASE WHEN n % 2 = 0 THEN $2::bigint ELSE $3::bigint END,
              timestamptz '2026-01-01T00:00:00Z' + n * interval '1 hour',
              timestamptz '2026-01-01T00:00:00Z' + n * interval '1 hour', $4, $4
         FROM generate_series(1, 30) AS n ORDER BY n RETURNING id`,
      [acme.tenantId, contactA, contactB, acme.adminId],
    );
    ids = rows.map((r) => r.id);
    await t.db.query(
      `UPDATE conversations SET state = 'deleted', deleted_at = now(), deleted_by = $2 WHERE tenant_id = $1 AND id = ANY($3)`,
      [acme.tenantId, acme.adminId, ids.slice(0, 3)],
    );
  });
  afterAll(() => t.close());

  const list = (query: Record<string, string | number>) =>
    t.http.get(LIST).query(query).set('Authorization', acme.auth);
  const idsOf = (body: { conversations: { id: number }[] }) => body.conversations.map((c) => c.id);
  const active = () => ids.slice(3);

  // Follows nextCursor from the first page to the last; every id it saw, in order.
  async function walk(query: Record<string, string | number>): Promise<number[]> {
    const seen: number[] = [];
    let res = await list(query);
    for (let i = 0; i < 50; i++) {
      expect(res.status).toBe(200);
      seen.push(...idsOf(res.body));
      if (!res.body.meta.page.nextCursor) return seen;
      expect(res.body.meta.page.pageOffset === null).toBe(i > 0);
      res = await list({ ...query, cursor: res.body.meta.page.nextCursor });
    }
    throw new Error('cursor paging did not end');
  }

  describe('cursor paging', () => {
    it('should walk every active conversation once, in order, by cursor', async () => {
      expect(await walk({ pageSize: 4 })).toEqual([...active()].reverse());
      expect(await walk({ pageSize: 7, orderBy: 'id', orderMode: 'asc' })).toEqual(active());
    });

    it('should keep rows whose order key is null, where PostgreSQL puts them, both ways', async () => {
      // lastMessageAt: set on every third conversation only, in reverse id order.
      await t.db.query(
        `UPDATE conversations SET last_message_at = timestamptz '2026-06-01' - (id % 1000) * interval '1 minute'
          WHERE tenant_id = $1 AND id % 3 = 0`,
        [acme.tenantId],
      );
      try {
        const expected = async (direction: 'ASC' | 'DESC') =>
          (
            await t.db.query(
              `SELECT id FROM conversations WHERE tenant_id = $1 AND state = 'active' ORDER BY last_message_at ${direction}, id ${direction}`,
              [acme.tenantId],
            )
          ).map((r: { id: number }) => r.id);
        expect(await walk({ pageSize: 4, orderBy: 'lastMessageAt', orderMode: 'asc' })).toEqual(await expected('ASC'));
        expect(await walk({ pageSize: 4, orderBy: 'lastMessageAt', orderMode: 'desc' })).toEqual(await expected('DESC'));
        expect(await walk({ pageSize: 5, orderBy: 'ticket_id', orderMode: 'desc' })).toEqual([...active()].reverse());
      } finally {
        await t.db.query(`UPDATE conversations SET last_message_at = NULL WHERE tenant_id = $1`, [acme.tenantId]);
      }
    });

    it('should keep a cursor to the filter it was issued for', async () => {
      const filter = JSON.stringify({ contactId: contactA });
      const seen = await walk({ pageSize: 3, filter, orderBy: 'id', orderMode: 'asc' });
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1 AND contact_id = $2 AND state = 'active'`,
        [acme.tenantId, contactA],
      );
      expect(seen).toHaveLength(n);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    });
  });

  describe('paging', () => {
    it('should page newest first by default with meta.page', async () => {
      const res = await list({ pageSize: 10, page: 2 });
      expect(res.status).toBe(200);
      expect(idsOf(res.body)).toEqual([...active()].reverse().slice(10, 20));
      expect(res.body.meta).toEqual({ page: { count: 27, pageSize: 10, pageOffset: 10, pages: 3, hasMore: true, nextCursor: expect.any(String) } });
      expect(res.body.included).toEqual({});
    });

    it('should say hasMore false on the last page and return nothing past it', async () => {
      const last = await list({ pageSize: 10, page: 3 });
      expect(last.body.meta.page).toEqual({ count: 27, pageSize: 10, pageOffset: 20, pages: 3, hasMore: false, nextCursor: null });
      expect(last.body.conversations).toHaveLength(7);
      const past = await list({ pageSize: 10, page: 9 });
      expect(past.status).toBe(200);
      expect(past.body.conversations).toEqual([]);
      expect(past.body.meta.page.hasMore).toBe(false);
    });

    it('should clamp pageSize to 100', async () => {
      const res = await list({ pageSize: 500 });
      expect(res.status).toBe(200);
      expect(res.body.meta.page.pageSize).toBe(100);
      expect(res.body.conversations).toHaveLength(27);
    });

    it.each([
      [{ page: 0 }, { page: ['must be greater than 0'] }],
      [{ page: 'two' }, { page: ['must be a whole number'] }],
      [{ pageSize: -5 }, { pageSize: ['must be greater than 0'] }],
      [{ pageSize: '1.5' }, { pageSize: ['must be a whole number'] }],
    ])('should answer 400 for %j', async (query, errors) => {
      const res = await list(query);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
    });
  });

  describe('ordering', () => {
    it('should order by a whitelisted field in either direction', async () => {
      const asc = await list({ orderBy: 'id', orderMode: 'asc', pageSize: 100 });
      expect(idsOf(asc.body)).toEqual(active());
      const desc = await list({ orderBy: 'updatedAt', orderMode: 'desc', pageSize: 5 });
      expect(idsOf(desc.body)).toEqual([...active()].reverse().slice(0, 5));
    });

    it('should break ties by id so pages never overlap', async () => {
      const first = await list({ orderBy: 'contactId', orderMode: 'asc', pageSize: 14, page: 1 });
      const second = await list({ orderBy: 'contactId', orderMode: 'asc', pageSize: 14, page: 2 });
      const seen = [...idsOf(first.body), ...idsOf(second.body)];
      expect(new Set(seen).size).toBe(27);
    });

    it('should answer 400 for an orderBy outside the whitelist and a bad orderMode', async () => {
      const res = await list({ orderBy: 'token', orderMode: 'sideways' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        errors: {
          orderBy: ['must be one of ‘contactId, createdAt, deletedAt, id, lastMessageAt, state, ticket_id, updatedAt, waitingSince, firstReplyAt, resolvedAt, priority, snoozedUntil’'],
          orderMode: ['must be one of ‘asc, desc’'],
        },
      });
    });
  });

  describe('filter', () => {
    const filter = (value: unknown, extra: Record<string, string | number> = {}) =>
      list({ filter: JSON.stringify(value), orderBy: 'id', orderMode: 'asc', pageSize: 100, ...extra });

    it('should take a bare value as $eq', async () => {
      const res = await filter({ contactId: contactA });
      expect(res.status).toBe(200);
      expect(idsOf(res.body)).toEqual(active().filter((_, i) => (i + 4) % 2 === 0));
    });

    it('should apply $gt, $lte, $ne, $in and $nin', async () => {
      expect(idsOf((await filter({ id: { $gt: ids[25] } })).body)).toEqual(ids.slice(26));
      expect(idsOf((await filter({ id: { $gt: ids[5], $lte: ids[8] } })).body)).toEqual(ids.slice(6, 9));
      expect(idsOf((await filter({ id: { $in: [ids[4], ids[7], 999999999] } })).body)).toEqual([ids[4], ids[7]]);
      expect(idsOf((await filter({ id: { $nin: ids.slice(5) } })).body)).toEqual(ids.slice(3, 5));
      expect((await filter({ contactId: { $ne: contactA } })).body.conversations.every((c: { contactId: number }) => c.contactId === contactB)).toBe(true);
    });

    it('should compare dates', async () => {
      const res = await filter({ createdAt: { $lt: '2026-01-01T06:30:00Z' } });
      expect(idsOf(res.body)).toEqual(ids.slice(3, 6));
    });

    it('should combine with $or and $and', async () => {
      const res = await filter({ $or: [{ id: ids[3] }, { $and: [{ id: { $gte: ids[28] } }, { contactId: contactA }] }] });
      // ids[28] is contact B's (n = 29), ids[29] contact A's (n = 30).
      expect(idsOf(res.body)).toEqual([ids[3], ids[29]]);
    });

    it('should match null with $eq null and $ne null', async () => {
      expect((await filter({ ticket_id: null })).body.meta.page.count).toBe(27);
      expect((await filter({ ticket_id: { $ne: null } })).body.meta.page.count).toBe(0);
    });

    it('should show deleted conversations when the filter names state', async () => {
      expect(idsOf((await filter({ state: 'deleted' })).body)).toEqual(ids.slice(0, 3));
      expect((await filter({ deletedAt: { $ne: null }, state: { $in: ['active', 'deleted'] } })).body.meta.page.count).toBe(3);
    });

    it.each([
      ['malformed JSON', '{"id":', { filter: ['must be valid JSON'] }],
      ['not an object', '[1,2]', { filter: ['must be an object'] }],
      [
        'an unknown field',
        '{"token":"x"}',
        { filter: ["unknown field 'token'; use one of ‘contactId, createdAt, deletedAt, id, lastMessageAt, state, ticket_id, updatedAt, assignee, team, status, priority, labels, waitingSince, firstReplyAt, resolvedAt, snoozedUntil’"] },
      ],
      [
        'an unknown operator',
        '{"id":{"$like":"1%"}}',
        { filter: ["unknown operator '$like' on 'id'; use one of ‘$eq, $ne, $lt, $lte, $gt, $gte, $in, $nin’"] },
      ],
      ['a string for an integer field', '{"id":"1 OR 1=1"}', { filter: ['id must be a whole number'] }],
      ['a bad date', '{"createdAt":{"$gt":"yesterday"}}', { filter: ['createdAt.$gt must be a date as ‘2006-01-02T15:04:05Z’'] }],
      ['a state outside its values', '{"state":"archived"}', { filter: ['state must be one of ‘active, deleted’'] }],
      ['$in without an array', '{"id":{"$in":5}}', { filter: ['id.$in must be a non-empty array'] }],
      ['$or without an array', '{"$or":{"id":1}}', { filter: ['$or must be a non-empty array of filters'] }],
      ['null with $gt', '{"id":{"$gt":null}}', { filter: ['id.$gt must be set'] }],
      ['an SQL injection as a field', '{"id; DROP TABLE conversations":1}', {
        filter: ["unknown field 'id; DROP TABLE conversations'; use one of ‘contactId, createdAt, deletedAt, id, lastMessageAt, state, ticket_id, updatedAt, assignee, team, status, priority, labels, waitingSince, firstReplyAt, resolvedAt, snoozedUntil’"],
      }],
    ])('should answer 400 for %s', async (_case, raw, errors) => {
      const res = await list({ filter: raw });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM conversations`);
      expect(n).toBe(30);
    });

    it('should refuse filters nested too deeply', async () => {
      let deep: unknown = { id: 1 };
      for (let i = 0; i < 6; i++) deep = { $and: [deep] };
      const res = await list({ filter: JSON.stringify(deep) });
      expect(res.status).toBe(400);
      expect(res.body.errors.filter).toEqual(['$and[0].$and[0].$and[0].$and[0].$and[0] must not nest deeper than 5 levels']);
    });
  });

  describe('fields and includes', () => {
    it('should return only the requested fields of each conversation', async () => {
      const res = await list({ fields: 'state,ticket_id', pageSize: 2 });
      expect(res.status).toBe(200);
      for (const c of res.body.conversations) expect(Object.keys(c).sort()).toEqual(['id', 'state', 'ticket_id']);
    });

    it('should side-load each included object once', async () => {
      const res = await list({ includes: 'contacts,users', pageSize: 100 });
      expect(res.status).toBe(200);
      // Each once, by id, and whole: the contacts the conversations were shown with.
      expect(res.body.included.contacts.map((c: { id: number }) => c.id)).toEqual([contactA, contactB].sort((a, b) => a - b));
      const shown = new Map(res.body.conversations.map((c: { contact: { id: number } }) => [c.contact.id, c.contact]));
      expect(res.body.included.contacts).toEqual([...shown.keys()].sort((a, b) => Number(a) - Number(b)).map((id) => shown.get(id)));
      expect(res.body.included.users.map((u: { id: number }) => u.id)).toEqual([acme.adminId]);
      expect(res.body.included).not.toHaveProperty('customers');
    });

    it('should take includes=all', async () => {
      const res = await list({ includes: 'all', pageSize: 1 });
      expect(Object.keys(res.body.included).sort()).toEqual(['contacts', 'conversationmessages', 'customers', 'teams', 'users']);
    });

    it('should answer 400 for unknown fields and includes', async () => {
      const res = await list({ fields: 'id,password', includes: 'tickets' });
      expect(res.status).toBe(400);
      expect(res.body.errors.fields).toEqual([expect.stringMatching(/^must be one of ‘contact, contactId, /)]);
      expect(res.body.errors.includes).toEqual(['must be one of ‘contacts, conversationmessages, customers, teams, users, all’']);
    });
  });
});
