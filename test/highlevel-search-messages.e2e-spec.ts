import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { BASE } from './support/desk';
import { createTestApp, TestApp } from './support/test-app';

// HighLevel's Conversations dialect: GET /conversations/search, the messages of a conversation,
// one message, and POST /conversations/messages, against a real PostgreSQL.

const VERSION = '2021-07-28';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// Every key of a search item; assignedTo only when an agent participates.
const SEARCH_ITEM_KEYS = [
  'contactId',
  'contactName',
  'dateAdded',
  'dateUpdated',
  'deleted',
  'email',
  'fullName',
  'id',
  'inbox',
  'lastMessageBody',
  'lastMessageDate',
  'lastMessageDirection',
  'lastMessageType',
  'locationId',
  'phone',
  'sort',
  'starred',
  'type',
  'unreadCount',
].sort();

// Every key of a message; userId only on an agent's, altId only with a client id.
const MESSAGE_KEYS = [
  'attachments',
  'body',
  'contactId',
  'contentType',
  'conversationId',
  'dateAdded',
  'direction',
  'id',
  'locationId',
  'messageType',
  'source',
  'status',
  'type',
].sort();

const unprocessable = (...message: string[]) => ({ statusCode: 422, message, error: 'Unprocessable Entity' });
const itemIds = (items: { id: string }[]) => items.map((item) => item.id);
const START_AFTER_PROBLEM = 'startAfterDate must be a number (the sort value of the last conversation), or the pair in its `sort`';

type Item = Record<string, unknown> & { id: string; sort: [number, number] };

interface ConversationFacts {
  id: number;
  contactId: number;
  state: string;
  createdAt: Date;
  updatedAt: Date;
  lastMessageAt: Date | null;
  unreadCount: number;
  starred: boolean;
  inbox: boolean;
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  mobile: string | null;
  organization: string | null;
  contactType: string;
  contactValue: string;
  lmBody: string | null;
  lmType: string | null;
  lmDirection: string | null;
  agents: number[] | null;
  assignee: number | null;
}

interface MessageFacts {
  id: number;
  conversationId: number;
  conversationContactId: number;
  userId: number | null;
  message: string;
  fileIds: number[];
  clientMessageId: string | null;
  createdAt: Date;
  direction: string;
  status: string;
  messageType: string;
  source: string;
}

describe('HighLevel conversations: search and messages', () => {
  let t: TestApp;
  let filesDir: string;

  beforeAll(async () => {
    filesDir = await mkdtemp(join(tmpdir(), 'helpdesk-hl-'));
    // The specs send far more than HighLevel's 100 requests per 10 s of one tenant.
    t = await createTestApp({ FILES_DIR: filesDir, HL_RATE_LIMIT_MAX: '1000000' });
  });
  afterAll(async () => {
    await t.close();
    await rm(filesDir, { recursive: true, force: true });
  });

  const hlGet = (path: string, query: Record<string, string | number> = {}, tenant: { auth: string }, version = VERSION) =>
    t.http.get(path).query(query).set('Authorization', tenant.auth).set('Version', version);
  const hlPost = (path: string, body: object, tenant: { auth: string }) =>
    t.http.post(path).set('Authorization', tenant.auth).set('Version', VERSION).send(body);

  // Facts of the tenant's conversations, written independently of the dialect's own query.
  async function conversationFacts(tenantId: number): Promise<ConversationFacts[]> {
    return t.db.query(
      `SELECT c.id, c.contact_id AS "contactId", c.state, c.created_at AS "createdAt", c.updated_at AS "updatedAt",
              c.last_message_at AS "lastMessageAt", c.unread_count AS "unreadCount", c.starred, c.inbox,
              p.first_name AS "firstName", p.last_name AS "lastName", p.email, p.phone, p.mobile, p.organization,
              cc.type AS "contactType", cc.value AS "contactValue",
              lm.message AS "lmBody", lm.message_type AS "lmType", lm.direction AS "lmDirection",
              (SELECT array_agg(cu.user_id ORDER BY cu.created_at, cu.user_id) FROM conversation_users cu
                WHERE cu.tenant_id = c.tenant_id AND cu.conversation_id = c.id) AS agents,
              c.assignee_id AS assignee
         FROM conversations c
         JOIN customer_contacts cc ON cc.tenant_id = c.tenant_id AND cc.id = c.contact_id
         JOIN customers p ON p.tenant_id = cc.tenant_id AND p.id = cc.customer_id
         LEFT JOIN (SELECT DISTINCT ON (conversation_id) conversation_id, message, message_type, direction
                      FROM conversation_messages WHERE tenant_id = $1 AND state = 'active' AND NOT private
                     ORDER BY conversation_id, created_at DESC, id DESC) lm ON lm.conversation_id = c.id
        WHERE c.tenant_id = $1`,
      [tenantId],
    );
  }

  const sortMs = (c: ConversationFacts) => (c.lastMessageAt ?? c.createdAt).getTime();
  const byDesc = (a: ConversationFacts, b: ConversationFacts) => sortMs(b) - sortMs(a) || b.id - a.id;
  const byAsc = (a: ConversationFacts, b: ConversationFacts) => -byDesc(a, b);

  // A search item as HighLevel's ConversationSchema shows it.
  function expectedItem(c: ConversationFacts, locationId: string): Record<string, unknown> {
    const fullName = `${c.firstName} ${c.lastName}`.trim();
    return {
      id: String(c.id),
      contactId: String(c.contactId),
      locationId,
      lastMessageBody: c.lmBody,
      lastMessageType: c.lmType,
      lastMessageDirection: c.lmDirection,
      lastMessageDate: c.lastMessageAt === null ? null : c.lastMessageAt.getTime(),
      type: 'TYPE_PHONE',
      unreadCount: c.unreadCount,
      fullName,
      contactName: fullName || c.organization || c.contactValue,
      email: c.email ?? (c.contactType === 'email' ? c.contactValue : null),
      phone: c.phone ?? c.mobile ?? (c.contactType === 'phone' || c.contactType === 'mobile' ? c.contactValue : null),
      ...(c.assignee === null ? {} : { assignedTo: String(c.assignee) }),
      starred: c.starred,
      inbox: c.inbox,
      deleted: false,
      dateAdded: c.createdAt.getTime(),
      dateUpdated: c.updatedAt.getTime(),
      sort: [sortMs(c), c.id],
    };
  }

  describe('GET /conversations/search', () => {
    let acme: TestTenant;
    let globex: TestTenant;
    let agent1: number;
    let agent2: number;
    let facts: ConversationFacts[];
    let active: ConversationFacts[];
    let globexIds: Set<string>;
    const special: Record<string, number> = {};

    const search = (query: Record<string, string | number> = {}, tenant: TestTenant = acme) =>
      hlGet('/conversations/search', { locationId: tenant.locationId, ...query }, tenant);

    // Every page from the first, each continued from the last item's `sort` pair.
    async function walk(query: Record<string, string | number>, limit: number): Promise<{ items: Item[]; pages: number[]; totals: number[] }> {
      const items: Item[] = [];
      const pages: number[] = [];
      const totals: number[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 100; page++) {
        const res = await search({ ...query, limit, ...(cursor === undefined ? {} : { startAfterDate: cursor }) });
        expect(res.status).toBe(200);
        const batch = res.body.conversations as Item[];
        items.push(...batch);
        pages.push(batch.length);
        totals.push(res.body.total);
        if (batch.length < limit) break;
        const last = batch.at(-1)!;
        cursor = `${last.sort[0]},${last.sort[1]}`;
      }
      return { items, pages, totals };
    }

    const idsOf = (list: ConversationFacts[]) => list.map((c) => String(c.id));

    // Seeds the tenant's bulk: `count` customers, each with one contact and one conversation. Sort
    // times repeat in threes and fours (37g mod 97 seconds after the base), shared to the
    // microsecond, by conversations without messages (their created_at) and by last messages.
    async function seedBulk(tenantId: number, adminId: number, agents: number[], count: number): Promise<void> {
      const base = `'2025-01-01T00:00:00Z'::timestamptz`;
      // Sort times repeat every 97 conversations, so a tie mixes conversations with and without messages.
      const sortAt = `(${base} + ((x.g * 37) % 97) * interval '1 second')`;
      await t.db.query(
        `INSERT INTO customers (tenant_id, first_name, last_name, email, phone, mobile, organization, external_id)
         SELECT $1,
                CASE WHEN g % 50 = 7 THEN '' ELSE 'Seed' END,
                CASE WHEN g % 50 = 7 THEN '' ELSE 'Person' || g END,
                CASE WHEN g % 10 = 9 THEN NULL ELSE 'seed' || g || '@bulk.test' END,
                CASE WHEN g % 2 = 0 THEN '+1555' || lpad(g::text, 6, '0') END,
                CASE WHEN g % 3 = 0 THEN '+1666' || lpad(g::text, 6, '0') END,
                CASE WHEN g % 100 = 7 THEN 'Org' || g END,
                'bulk-' || g
           FROM generate_series(1, $2::int) g`,
        [tenantId, count],
      );
      await t.db.query(
        `INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main)
         SELECT $1, p.id, CASE WHEN x.g % 10 = 9 THEN 'phone' ELSE 'email' END,
                CASE WHEN x.g % 10 = 9 THEN '+1777' || lpad(x.g::text, 6, '0') ELSE 'contact' || x.g || '@bulk.test' END, true
           FROM customers p, LATERAL (SELECT substr(p.external_id, 6)::int AS g) x
          WHERE p.tenant_id = $1 AND p.external_id LIKE 'bulk-%'`,
        [tenantId],
      );
      await t.db.query(
        `INSERT INTO conversations (tenant_id, contact_id, created_at, updated_at, unread_count, starred, state, deleted_at, inbox)
         SELECT $1, cc.id,
                CASE WHEN x.g % 4 = 0 THEN ${sortAt} ELSE ${base} - interval '1 day' + x.g * interval '1 second' END,
                ${base} + interval '2 days' + x.g * interval '1 millisecond',
                x.g % 5, x.g % 7 = 0,
                CASE WHEN x.g % 25 = 0 THEN 'deleted' ELSE 'active' END,
                CASE WHEN x.g % 25 = 0 THEN ${base} + interval '3 days' END,
                x.g % 25 <> 0
           FROM customer_contacts cc
           JOIN customers p ON p.tenant_id = cc.tenant_id AND p.id = cc.customer_id,
                LATERAL (SELECT substr(p.external_id, 6)::int AS g) x
          WHERE cc.tenant_id = $1 AND p.external_id LIKE 'bulk-%'`,
        [tenantId],
      );
      // 1 to 3 messages to the conversations with g not a multiple of 4; the last at the sort time.
      await t.db.query(
        `INSERT INTO conversation_messages (tenant_id, conversation_id, user_id, contact_id, message, status, message_type, created_at, updated_at)
         SELECT $1, c.id,
                CASE WHEN (x.g + n.j) % 2 = 0 THEN $2::bigint END,
                CASE WHEN (x.g + n.j) % 2 = 1 THEN c.contact_id END,
                CASE WHEN n.j = 0 THEN 'last body ' || x.g ELSE 'older body ' || x.g || '-' || n.j END,
                CASE WHEN (x.g + n.j) % 2 = 0 THEN 'sent' ELSE 'delivered' END,
                CASE WHEN n.j = 0 AND x.g % 8 = 1 THEN 'TYPE_CUSTOM_PROVIDER_SMS' ELSE 'TYPE_LIVE_CHAT' END,
                ${sortAt} - n.j * interval '1 minute',
                ${sortAt} - n.j * interval '1 minute'
           FROM conversations c
           JOIN customer_contacts cc ON cc.tenant_id = c.tenant_id AND cc.id = c.contact_id
           JOIN customers p ON p.tenant_id = cc.tenant_id AND p.id = cc.customer_id,
                LATERAL (SELECT substr(p.external_id, 6)::int AS g) x,
                LATERAL generate_series(0, x.g % 3) AS n(j)
          WHERE c.tenant_id = $1 AND p.external_id LIKE 'bulk-%' AND x.g % 4 <> 0`,
        [tenantId, adminId],
      );
      // Participants: the first agent is the one that joined first.
      if (agents.length === 2) {
        await t.db.query(
          `INSERT INTO conversation_users (tenant_id, conversation_id, user_id, created_at)
           SELECT $1, c.id, a.user_id, ${base} + a.n * interval '1 second'
             FROM conversations c
             JOIN customer_contacts cc ON cc.tenant_id = c.tenant_id AND cc.id = c.contact_id
             JOIN customers p ON p.tenant_id = cc.tenant_id AND p.id = cc.customer_id,
                  LATERAL (SELECT substr(p.external_id, 6)::int AS g) x,
                  LATERAL (VALUES (1, $2::bigint, 0), (2, $3::bigint, 0), (3, $3::bigint, 0), (3, $2::bigint, 1), (4, $4::bigint, 0))
                    AS a(slot, user_id, n)
            WHERE c.tenant_id = $1 AND p.external_id LIKE 'bulk-%' AND x.g % 6 = a.slot`,
          [tenantId, agents[0], agents[1], adminId],
        );
        // The assignee: the agent who joined last, so that it is not always the first participant.
        await t.db.query(
          `UPDATE conversations c SET assignee_id = (
             SELECT cu.user_id FROM conversation_users cu WHERE cu.tenant_id = c.tenant_id AND cu.conversation_id = c.id
              ORDER BY cu.created_at DESC, cu.user_id DESC LIMIT 1)
            WHERE c.tenant_id = $1`,
          [tenantId],
        );
      }
      await syncLastMessageAt(tenantId);
    }

    // What the service keeps with every message it stores, for the rows seeded here by SQL:
    // conversations.last_message_at and last_message_text are the latest active message's.
    const syncLastMessageAt = (tenantId: number) =>
      t.db.query(
        `UPDATE conversations c SET last_message_at = lm.created_at, last_message_text = lm.message
           FROM conversations c2
           LEFT JOIN LATERAL (SELECT m.created_at, m.message FROM conversation_messages m
                               WHERE m.tenant_id = c2.tenant_id AND m.conversation_id = c2.id AND m.state = 'active'
                               ORDER BY m.created_at DESC, m.id DESC LIMIT 1) lm ON true
          WHERE c.tenant_id = $1 AND c2.tenant_id = c.tenant_id AND c2.id = c.id`,
        [tenantId],
      );

    async function customer(tenantId: number, fields: Record<string, string | null>, contacts: { type: string; value: string; state?: string }[]) {
      const [{ id: customerId }] = await t.db.query(
        `INSERT INTO customers (tenant_id, first_name, last_name, email, phone, mobile) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [tenantId, fields.firstName ?? '', fields.lastName ?? '', fields.email ?? null, fields.phone ?? null, fields.mobile ?? null],
      );
      const contactIds: number[] = [];
      for (const [index, contact] of contacts.entries()) {
        const deleted = contact.state === 'deleted';
        const [{ id }] = await t.db.query(
          `INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main, state, deleted_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
          [tenantId, customerId, contact.type, contact.value, index === 0, deleted ? 'deleted' : 'active', deleted ? new Date() : null],
        );
        contactIds.push(id);
      }
      return { customerId, contactIds };
    }

    async function conversationWith(
      tenantId: number,
      contactId: number,
      at: string,
      messages: { text: string; userId?: number; offsetSeconds: number }[],
      extra: { state?: 'deleted'; unreadCount?: number; starred?: boolean } = {},
    ): Promise<number> {
      const deleted = extra.state === 'deleted';
      const [{ id }] = await t.db.query(
        `INSERT INTO conversations (tenant_id, contact_id, created_at, updated_at, state, deleted_at, inbox, unread_count, starred)
         VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [tenantId, contactId, at, deleted ? 'deleted' : 'active', deleted ? at : null, !deleted, extra.unreadCount ?? 0, extra.starred ?? false],
      );
      for (const m of messages) {
        await t.db.query(
          `INSERT INTO conversation_messages (tenant_id, conversation_id, user_id, contact_id, message, status, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz + $8 * interval '1 second', $7::timestamptz + $8 * interval '1 second')`,
          [tenantId, id, m.userId ?? null, m.userId === undefined ? contactId : null, m.text, m.userId === undefined ? 'delivered' : 'sent', at, m.offsetSeconds],
        );
      }
      return id;
    }

    beforeAll(async () => {
      [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
      agent1 = (await createAgent(t, acme.tenantId)).id;
      agent2 = (await createAgent(t, acme.tenantId)).id;
      const globexAgent = (await createAgent(t, globex.tenantId)).id;
      await seedBulk(acme.tenantId, acme.adminId, [agent1, agent2], 300);
      // The other tenant: the same names, bodies and times, none of which may ever show.
      await seedBulk(globex.tenantId, globex.adminId, [globexAgent, globex.adminId], 40);

      // Crafted conversations of acme for the query filter.
      const zelda = await customer(acme.tenantId, { firstName: 'Zelda', lastName: 'Quixote', email: 'zq@birdhouse.test', phone: '+44 7700 900123' }, [
        { type: 'email', value: 'zq-main@contact-value.test' },
        { type: 'facebook', value: 'handle-marmoset' },
        { type: 'twitter', value: 'ghost-pangolin', state: 'deleted' },
      ]);
      special.zelda = await conversationWith(acme.tenantId, zelda.contactIds[0], '2025-01-01T00:00:30.5Z', [
        { text: 'the flamingo arrives', offsetSeconds: 1 },
        { text: 'see you at the xylograph', userId: agent1, offsetSeconds: 2 },
      ]);
      const yorick = await customer(acme.tenantId, { firstName: 'Yorick', lastName: 'Mobile', mobile: '+33 612 345 678' }, [
        { type: 'phone', value: '+33 1 23 45 67 89' },
      ]);
      special.yorick = await conversationWith(acme.tenantId, yorick.contactIds[0], '2025-01-01T00:00:40.25Z', [], { unreadCount: 3, starred: true });
      const wild = await customer(acme.tenantId, { firstName: 'Wild', lastName: 'Card 100%', email: 'wild_card@percent.test' }, [
        { type: 'email', value: 'wild-main@percent.test' },
      ]);
      special.wild = await conversationWith(acme.tenantId, wild.contactIds[0], '2025-01-01T00:00:50.75Z', []);
      const vanished = await customer(acme.tenantId, { firstName: 'Vanished', lastName: 'Person' }, [{ type: 'email', value: 'vanished@gone.test' }]);
      special.vanishedContact = vanished.contactIds[0];
      special.vanished = await conversationWith(acme.tenantId, vanished.contactIds[0], '2025-01-01T00:01:00Z', [{ text: 'should never show', offsetSeconds: 1 }], {
        state: 'deleted',
      });
      const xena = await customer(acme.tenantId, { firstName: 'Xena', lastName: 'Twice' }, [{ type: 'email', value: 'xena@twice.test' }]);
      special.xenaContact = xena.contactIds[0];
      special.xenaOld = await conversationWith(acme.tenantId, xena.contactIds[0], '2025-01-01T00:00:10Z', [{ text: 'first visit', offsetSeconds: 1 }]);
      special.xenaNew = await conversationWith(acme.tenantId, xena.contactIds[0], '2025-01-01T00:01:10Z', [{ text: 'second visit', offsetSeconds: 1 }]);
      const gZelda = await customer(globex.tenantId, { firstName: 'Zelda', lastName: 'Quixote', email: 'zq@birdhouse.test' }, [
        { type: 'email', value: 'zq-main@contact-value.test' },
      ]);
      special.globexZelda = await conversationWith(globex.tenantId, gZelda.contactIds[0], '2025-01-01T00:00:30.5Z', [
        { text: 'see you at the xylograph', offsetSeconds: 2 },
      ]);
      await syncLastMessageAt(acme.tenantId);
      await syncLastMessageAt(globex.tenantId);

      // Fresh tables have no statistics until autovacuum gets to them; without these the planner
      // takes them for empty and nests loops over every pair of customers and conversations.
      await t.db.query(`ANALYZE customers, customer_contacts, conversations, conversation_messages, conversation_users`);

      facts = await conversationFacts(acme.tenantId);
      active = facts.filter((c) => c.state === 'active').sort(byDesc);
      globexIds = new Set((await conversationFacts(globex.tenantId)).map((c) => String(c.id)));
    });

    it('should have seeded a few hundred conversations with ties, without messages, deleted and foreign ones', () => {
      expect(facts.length).toBe(306);
      expect(active.length).toBe(293);
      const withoutMessages = active.filter((c) => c.lastMessageAt === null);
      expect(withoutMessages.length).toBeGreaterThan(50);
      const sortValues = active.map(sortMs);
      expect(new Set(sortValues).size).toBeLessThan(sortValues.length - 100);
      // A tie that mixes a conversation without messages and one with.
      const mixed = active.some((a) => a.lastMessageAt === null && active.some((b) => b.lastMessageAt !== null && sortMs(b) === sortMs(a)));
      expect(mixed).toBe(true);
      expect(globexIds.size).toBe(41);
    });

    it('should answer the first 20 by last message date, newest first, with every field of each item', async () => {
      const res = await search();
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['conversations', 'total']);
      expect(res.body.total).toBe(active.length);
      expect(res.body.conversations).toHaveLength(20);
      expect(res.body.conversations).toEqual(active.slice(0, 20).map((c) => expectedItem(c, acme.locationId)));

      for (const item of res.body.conversations as Item[]) {
        const keys = Object.keys(item).sort();
        if ('assignedTo' in item) {
          expect(keys).toEqual([...SEARCH_ITEM_KEYS, 'assignedTo'].sort());
          expect(typeof item.assignedTo).toBe('string');
        } else {
          expect(keys).toEqual(SEARCH_ITEM_KEYS);
        }
        expect(typeof item.id).toBe('string');
        expect(typeof item.contactId).toBe('string');
        expect(item.locationId).toBe(acme.locationId);
        expect(item.type).toBe('TYPE_PHONE');
        expect(item.deleted).toBe(false);
        expect(typeof item.unreadCount).toBe('number');
        expect(typeof item.starred).toBe('boolean');
        expect(typeof item.inbox).toBe('boolean');
        expect(Number.isInteger(item.dateAdded)).toBe(true);
        expect(Number.isInteger(item.dateUpdated)).toBe(true);
        expect(item.lastMessageDate === null || Number.isInteger(item.lastMessageDate)).toBe(true);
        expect(item.sort).toEqual([expect.any(Number), Number(item.id)]);
        if (item.lastMessageDate !== null) {
          expect(item.lastMessageType === 'TYPE_LIVE_CHAT' || item.lastMessageType === 'TYPE_CUSTOM_PROVIDER_SMS').toBe(true);
          expect(['inbound', 'outbound']).toContain(item.lastMessageDirection);
          expect(item.sort[0]).toBe(item.lastMessageDate);
        } else {
          expect(item.lastMessageBody).toBeNull();
          expect(item.lastMessageType).toBeNull();
          expect(item.lastMessageDirection).toBeNull();
          expect(item.sort[0]).toBe(item.dateAdded);
        }
      }
    });

    it('should show the items of every shape exactly as stored: no messages, no names, email or phone from the contact, agents', async () => {
      const { items } = await walk({}, 100);
      const expected = active.map((c) => expectedItem(c, acme.locationId));
      expect(items).toEqual(expected);

      const shown = new Map(items.map((item) => [item.id, item]));
      const pick = (predicate: (c: ConversationFacts) => boolean) => shown.get(String(active.find(predicate)!.id))!;
      // A conversation without messages sorts by its created_at.
      const silent = pick((c) => c.lastMessageAt === null);
      expect(silent).toMatchObject({ lastMessageDate: null, lastMessageBody: null, lastMessageType: null, lastMessageDirection: null });
      expect(silent.sort[0]).toBe(silent.dateAdded);
      // A customer without names is shown by its organization, else its contact's value.
      expect(pick((c) => c.contactValue === 'contact7@bulk.test')).toMatchObject({ fullName: '', contactName: 'Org7', email: 'seed7@bulk.test' });
      expect(pick((c) => c.contactValue === 'contact57@bulk.test')).toMatchObject({ fullName: '', contactName: 'contact57@bulk.test' });
      // No email, phone or mobile of its own: a phone contact's value is its phone, and no email.
      expect(pick((c) => c.contactValue === '+1777000019')).toMatchObject({ fullName: 'Seed Person19', email: null, phone: '+1777000019' });
      // A mobile stands in for a missing phone.
      expect(pick((c) => c.contactValue === 'contact3@bulk.test')).toMatchObject({ email: 'seed3@bulk.test', phone: '+1666000003' });
      expect(shown.get(String(special.yorick))).toMatchObject({ phone: '+33 612 345 678', email: null, unreadCount: 3, starred: true });
      expect(shown.get(String(special.zelda))).toMatchObject({
        fullName: 'Zelda Quixote',
        email: 'zq@birdhouse.test',
        lastMessageBody: 'see you at the xylograph',
        lastMessageDirection: 'outbound',
        lastMessageType: 'TYPE_LIVE_CHAT',
      });
      // assignedTo: the assignee, not the first participant; none, none shown.
      const both = active.find((c) => c.agents?.length === 2)!;
      expect(both.agents![0]).toBe(agent2);
      expect(shown.get(String(both.id))!.assignedTo).toBe(String(agent1));
      expect(items.filter((item) => 'assignedTo' in item)).toHaveLength(active.filter((c) => c.assignee !== null).length);
      expect(items.some((item) => item.lastMessageType === 'TYPE_CUSTOM_PROVIDER_SMS')).toBe(true);
      expect(items.some((item) => item.lastMessageDirection === 'inbound')).toBe(true);
    });

    it.each([
      ['desc', 100],
      ['desc', 37],
      ['asc', 100],
      ['asc', 37],
    ] as const)('should page sort=%s with limit %d by the sort pair: every conversation once, in order', async (sort, limit) => {
      const { items, pages, totals } = await walk({ sort }, limit);
      const expected = sort === 'desc' ? [...active] : [...active].sort(byAsc);
      expect(itemIds(items)).toEqual(idsOf(expected));
      expect(new Set(itemIds(items)).size).toBe(active.length);
      expect(pages.slice(0, -1).every((n) => n === limit)).toBe(true);
      expect(pages.at(-1)).toBe(active.length % limit);
      expect(totals.every((total) => total === active.length)).toBe(true);
      expect(items.some((item) => globexIds.has(item.id))).toBe(false);

      // The same order as PostgreSQL gives by the sort time and the id.
      const rows: { id: number }[] = await t.db.query(
        `SELECT id FROM conversations WHERE tenant_id = $1 AND state = 'active'
          ORDER BY coalesce(last_message_at, created_at) ${sort === 'desc' ? 'DESC' : 'ASC'}, id ${sort === 'desc' ? 'DESC' : 'ASC'}`,
        [acme.tenantId],
      );
      expect(itemIds(items)).toEqual(rows.map((row) => String(row.id)));
    });

    it('should accept sortBy=last_message_date and another accepted Version', async () => {
      const res = await hlGet('/conversations/search', { locationId: acme.locationId, sortBy: 'last_message_date', limit: 5 }, acme, '2023-02-21');
      expect(res.status).toBe(200);
      expect(itemIds(res.body.conversations)).toEqual(idsOf(active.slice(0, 5)));
    });

    it('should skip the rest of a millisecond with the single-number startAfterDate, and not with the pair', async () => {
      // The first conversation of a tie, in each order.
      for (const [sort, ordered] of [
        ['desc', [...active]],
        ['asc', [...active].sort(byAsc)],
      ] as const) {
        const index = ordered.findIndex((c, i) => i + 2 < ordered.length && sortMs(ordered[i + 1]) === sortMs(c) && (i === 0 || sortMs(ordered[i - 1]) !== sortMs(c)));
        expect(index).toBeGreaterThanOrEqual(0);
        const tie = ordered[index];
        const afterTie = ordered.findIndex((c) => (sort === 'desc' ? sortMs(c) < sortMs(tie) : sortMs(c) > sortMs(tie)));

        const pair = await search({ sort, limit: 3, startAfterDate: `${sortMs(tie)},${tie.id}` });
        expect(pair.status).toBe(200);
        expect(itemIds(pair.body.conversations)).toEqual(idsOf(ordered.slice(index + 1, index + 4)));
        expect(pair.body.total).toBe(active.length);

        const single = await search({ sort, limit: 3, startAfterDate: String(sortMs(tie)) });
        expect(single.status).toBe(200);
        expect(itemIds(single.body.conversations)).toEqual(idsOf(ordered.slice(afterTie, afterTie + 3)));
        expect(itemIds(single.body.conversations)).not.toContain(String(ordered[index + 1].id));
      }
    });

    it('should answer an empty page after the last conversation', async () => {
      const last = active.at(-1)!;
      const res = await search({ startAfterDate: `${sortMs(last)},${last.id}` });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ conversations: [], total: active.length });
    });

    describe('filters', () => {
      const expectIds = async (query: Record<string, string | number>, expected: ConversationFacts[]) => {
        const { items, totals } = await walk(query, 100);
        expect(itemIds(items)).toEqual(idsOf(expected));
        expect(totals[0]).toBe(expected.length);
      };
      const only = (predicate: (c: ConversationFacts) => boolean) => active.filter(predicate);
      const named = (...keys: string[]) => keys.map((key) => active.find((c) => c.id === special[key])!).sort(byDesc);

      it('should find the conversations of a contactId, and none for a contact of a deleted conversation or another tenant', async () => {
        const someone = active[10];
        await expectIds({ contactId: String(someone.contactId) }, [someone]);
        await expectIds({ contactId: String(special.xenaContact) }, named('xenaNew', 'xenaOld'));
        await expectIds({ contactId: String(special.vanishedContact) }, []);
        const [foreign] = await t.db.query(`SELECT contact_id FROM conversations WHERE tenant_id = $1 LIMIT 1`, [globex.tenantId]);
        await expectIds({ contactId: String(foreign.contact_id) }, []);
        await expectIds({ contactId: 'not-an-id' }, []);
      });

      it('should find one conversation by id, and none for a deleted one, another tenant’s or a non-id', async () => {
        const someone = active[42];
        const res = await search({ id: String(someone.id) });
        expect(res.body).toEqual({ conversations: [expectedItem(someone, acme.locationId)], total: 1 });
        await expectIds({ id: String(special.vanished) }, []);
        await expectIds({ id: String(special.globexZelda) }, []);
        await expectIds({ id: 'abc' }, []);
      });

      it('should filter by assignedTo: one agent, two, unassigned, and an agent or unassigned', async () => {
        const has = (c: ConversationFacts, id: number) => c.assignee === id;
        await expectIds({ assignedTo: String(agent1) }, only((c) => has(c, agent1)));
        await expectIds({ assignedTo: `${agent1},${agent2}` }, only((c) => has(c, agent1) || has(c, agent2)));
        await expectIds({ assignedTo: `${agent1}, ${acme.adminId}` }, only((c) => has(c, agent1) || has(c, acme.adminId)));
        await expectIds({ assignedTo: 'unassigned' }, only((c) => c.assignee === null));
        await expectIds({ assignedTo: `unassigned,${agent2}` }, only((c) => c.assignee === null || has(c, agent2)));
        expect(only((c) => has(c, agent1)).length).toBeGreaterThan(50);
        // An agent who takes part without being assigned is not matched.
        expect(only((c) => (c.agents ?? []).includes(agent2) && !has(c, agent2)).length).toBeGreaterThan(0);
        await expectIds({ assignedTo: String(agent2) }, only((c) => has(c, agent2)));
      });

      it('should answer an empty page, not an error, for an assignedTo that names no agent', async () => {
        for (const assignedTo of ['nobody', '0']) {
          const res = await search({ assignedTo });
          expect(res.status).toBe(200);
          expect(res.body).toEqual({ conversations: [], total: 0 });
        }
      });

      it('should filter by status: all, read, unread, starred, recents', async () => {
        await expectIds({ status: 'all' }, active);
        await expectIds({ status: 'read' }, only((c) => c.unreadCount === 0));
        await expectIds({ status: 'unread' }, only((c) => c.unreadCount > 0));
        await expectIds({ status: 'starred' }, only((c) => c.starred));
        await expectIds({ status: 'recents' }, only((c) => c.lastMessageAt !== null));
      });

      it('should filter by lastMessageType and lastMessageDirection: those of the latest public message, a note never', async () => {
        const types = new Set(active.map((c) => c.lmType));
        expect(types).toEqual(new Set([null, 'TYPE_LIVE_CHAT', 'TYPE_CUSTOM_PROVIDER_SMS']));
        // Notes newer than every public message, of another type (zelda's last is an agent's live chat)
        // and another direction (xenaNew's last is the customer's): they must not count.
        const note = (conversationId: number, type: string) =>
          t.db.query(
            `INSERT INTO conversation_messages (tenant_id, conversation_id, user_id, message, status, message_type, private, created_at, updated_at)
             VALUES ($1, $2, $3, 'a note', 'sent', $4, true, now(), now()) RETURNING id`,
            [acme.tenantId, conversationId, agent1, type],
          );
        const notes = [...(await note(special.zelda, 'TYPE_CUSTOM_PROVIDER_SMS')), ...(await note(special.xenaNew, 'TYPE_LIVE_CHAT'))];
        try {
          expect(named('zelda')[0]).toMatchObject({ lmType: 'TYPE_LIVE_CHAT', lmDirection: 'outbound' });
          expect(named('xenaNew')[0]).toMatchObject({ lmDirection: 'inbound' });
          await expectIds({ lastMessageType: 'TYPE_LIVE_CHAT' }, only((c) => c.lmType === 'TYPE_LIVE_CHAT'));
          await expectIds({ lastMessageType: 'TYPE_CUSTOM_PROVIDER_SMS' }, only((c) => c.lmType === 'TYPE_CUSTOM_PROVIDER_SMS'));
          await expectIds({ lastMessageType: 'TYPE_INTERNAL_COMMENT' }, []);
          await expectIds({ lastMessageDirection: 'inbound' }, only((c) => c.lmDirection === 'inbound'));
          await expectIds({ lastMessageDirection: 'outbound' }, only((c) => c.lmDirection === 'outbound'));
          expect(only((c) => c.lmDirection === 'outbound').length).toBeGreaterThan(10);
          expect(only((c) => c.lmDirection === 'inbound').length).toBeGreaterThan(10);
          await expectIds(
            { lastMessageDirection: 'inbound', lastMessageType: 'TYPE_CUSTOM_PROVIDER_SMS', assignedTo: 'unassigned' },
            only((c) => c.lmDirection === 'inbound' && c.lmType === 'TYPE_CUSTOM_PROVIDER_SMS' && c.assignee === null),
          );
          await expectIds({ lastMessageDirection: 'outbound', query: 'xylograph' }, named('zelda'));
        } finally {
          await t.db.query(`DELETE FROM conversation_messages WHERE tenant_id = $1 AND id = ANY($2::bigint[])`, [acme.tenantId, notes.map((n: { id: number }) => n.id)]);
        }
      });

      it.each([
        ['the first name', 'zelda', ['zelda']],
        ['the last name', 'QUIXOTE', ['zelda']],
        ['the full name', 'Zelda Quixote', ['zelda']],
        ['the email', 'birdhouse', ['zelda']],
        ['the phone', '7700 900', ['zelda']],
        ['the mobile', '612 345', ['yorick']],
        ['the main contact value', 'contact-value', ['zelda']],
        ['another contact value', 'marmoset', ['zelda']],
        ['the last message', 'XyLoGraph', ['zelda']],
        ['an older message (no match)', 'flamingo', []],
        ['a deleted contact value (no match)', 'pangolin', []],
        ['a deleted conversation (no match)', 'Vanished', []],
        ['a literal %', '100%', ['wild']],
        ['a lone %', '%', ['wild']],
        ['a lone _', '_', ['wild']],
        ['a literal _ between letters', 'd_c', ['wild']],
        ['% as no wildcard', 'd%c', []],
        ['_ as no wildcard', 'Wil_', []],
      ])('should match the query on %s', async (_what, query, keys) => {
        await expectIds({ query }, named(...keys));
      });

      it('should match the query against the bulk: names, emails, phones and last bodies, and not the other tenant', async () => {
        await expectIds({ query: 'Seed Person1' }, only((c) => `${c.firstName} ${c.lastName}`.includes('Seed Person1')));
        await expectIds({ query: 'seed12@bulk' }, only((c) => c.email === 'seed12@bulk.test'));
        await expectIds({ query: 'contact13@bulk.test' }, only((c) => c.contactValue === 'contact13@bulk.test'));
        await expectIds({ query: '+1555000014' }, only((c) => c.phone === '+1555000014'));
        await expectIds({ query: 'last body 21' }, only((c) => (c.lmBody ?? '').includes('last body 21')));
        await expectIds({ query: 'older body' }, []);
        await expectIds({ query: '   ' }, active);
      });

      it('should combine filters', async () => {
        const has = (c: ConversationFacts, id: number) => c.assignee === id;
        await expectIds(
          { status: 'unread', assignedTo: String(agent1) },
          only((c) => c.unreadCount > 0 && has(c, agent1)),
        );
        await expectIds(
          { query: 'Seed Person1', status: 'starred', sort: 'asc' },
          only((c) => `${c.firstName} ${c.lastName}`.includes('Seed Person1') && c.starred).sort(byAsc),
        );
        await expectIds({ query: 'zelda', assignedTo: String(agent1) }, []);
        await expectIds({ query: 'zelda', status: 'recents', contactId: String(active.find((c) => c.id === special.zelda)!.contactId) }, named('zelda'));
        await expectIds(
          { assignedTo: 'unassigned', status: 'recents', query: 'Person2' },
          only((c) => c.assignee === null && c.lastMessageAt !== null && c.lastName.includes('Person2')),
        );

        // Paged through with the filters held.
        const expected = only((c) => c.unreadCount > 0 && c.assignee === null).sort(byAsc);
        const { items, totals } = await walk({ status: 'unread', assignedTo: 'unassigned', sort: 'asc' }, 13);
        expect(itemIds(items)).toEqual(idsOf(expected));
        expect(totals.every((total) => total === expected.length)).toBe(true);
      });

      it('should never show deleted conversations or another tenant’s', async () => {
        const { items } = await walk({}, 100);
        const deletedIds = facts.filter((c) => c.state === 'deleted').map((c) => String(c.id));
        expect(deletedIds.length).toBe(13);
        expect(itemIds(items).filter((id) => deletedIds.includes(id))).toEqual([]);
        expect(itemIds(items).filter((id) => globexIds.has(id))).toEqual([]);
        const theirs = await search({ query: 'zelda' }, globex);
        expect(itemIds(theirs.body.conversations)).toEqual([String(special.globexZelda)]);
      });
    });

    describe('bad input', () => {
      it.each([
        ['limit 0', { limit: '0' }, ['limit must not be less than 1']],
        ['limit 101', { limit: '101' }, ['limit must not be greater than 100']],
        ['limit abc', { limit: 'abc' }, ['limit must be an integer number']],
        ['sort up', { sort: 'up' }, ['sort must be one of the following values: asc, desc']],
        ['status x', { status: 'x' }, ['status must be one of the following values: all, read, unread, starred, recents']],
        [
          'sortBy score_profile',
          { sortBy: 'score_profile' },
          ['sortBy score_profile is not supported: this service keeps no score profiles or manual-message dates; use last_message_date'],
        ],
        ['sortBy nope', { sortBy: 'nope' }, ['sortBy must be one of the following values: last_message_date, score_profile, last_manual_message_date']],
        ['startAfterDate abc', { startAfterDate: 'abc' }, [START_AFTER_PROBLEM]],
        ['startAfterDate 1,2,3', { startAfterDate: '1,2,3' }, [START_AFTER_PROBLEM]],
        ['an unknown parameter', { foo: '1' }, ['property foo should not exist']],
        ['lastMessageType TYPE_NOPE', { lastMessageType: 'TYPE_NOPE' }, ['lastMessageType must be a message type (like TYPE_LIVE_CHAT)']],
        ['lastMessageDirection sideways', { lastMessageDirection: 'sideways' }, ['lastMessageDirection must be one of the following values: inbound, outbound']],
        ['lastMessageAction manual', { lastMessageAction: 'manual' }, ['lastMessageAction is not supported: this service sends no automated messages, so every message is manual']],
        [
          'startDate and endDate',
          { startDate: '1700000000000', endDate: '1800000000000' },
          [
            'startDate is not supported: HighLevel does not say which date it bounds; page with startAfterDate',
            'endDate is not supported: HighLevel does not say which date it bounds; page with startAfterDate',
          ],
        ],
        ['a query with a control character', { query: 'cora\u001fsmith' }, ['query must not contain control characters']],
        ['a query over 200 characters', { query: 'x'.repeat(201) }, ['query must be shorter than or equal to 200 characters']],
        [
          'several problems',
          { foo: 'x', limit: '0', sort: 'up' },
          ['property foo should not exist', 'sort must be one of the following values: asc, desc', 'limit must not be less than 1'],
        ],
      ])('should answer 422 for %s', async (_case, query, messages) => {
        const res = await search(query);
        expect(res.status).toBe(422);
        expect(res.body).toEqual(unprocessable(...messages));
      });

      it('should answer 422 for a query parameter given twice', async () => {
        const res = await hlGet(`/conversations/search?locationId=${acme.locationId}&query=a&query=b`, {}, acme);
        expect(res.status).toBe(422);
        expect(res.body).toEqual(unprocessable('query must be a string'));
      });

      it('should answer 422 without a locationId', async () => {
        const res = await hlGet('/conversations/search', {}, acme);
        expect(res.status).toBe(422);
        expect(res.body).toEqual(unprocessable('locationId should not be empty'));
      });

      it('should answer 403 for another tenant’s locationId', async () => {
        const res = await hlGet('/conversations/search', { locationId: globex.locationId }, acme);
        expect(res.status).toBe(403);
        expect(res.body).toEqual({ statusCode: 403, message: 'The token does not have access to this location', error: 'Forbidden' });
      });
    });
  });

  describe('search ties inside one millisecond', () => {
    // Conversations whose sort times share a millisecond but differ in microseconds, in the
    // opposite order to their ids: the `sort` pair ([ms, id]) must still page through all of them.
    let hooli: TestTenant;
    let ids: string[];

    beforeAll(async () => {
      hooli = await createTenant(t, 'Hooli');
      ids = [];
      for (const micros of ['900', '700', '500', '300']) {
        const { contactId } = await createContact(t.db, hooli.tenantId);
        const [{ id }] = await t.db.query(
          `INSERT INTO conversations (tenant_id, contact_id, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id`,
          [hooli.tenantId, contactId, `2025-02-01T10:00:00.123${micros}Z`],
        );
        ids.push(String(id));
      }
    });

    it.each(['desc', 'asc'])('should page sort=%s one at a time by the pair and find every conversation once', async (sort) => {
      const all = await hlGet('/conversations/search', { locationId: hooli.locationId, sort, limit: 100 }, hooli);
      expect(all.status).toBe(200);
      expect([...itemIds(all.body.conversations)].sort()).toEqual([...ids].sort());
      expect(all.body.conversations.every((item: Item) => item.sort[0] === Date.parse('2025-02-01T10:00:00.123Z'))).toBe(true);

      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 6; page++) {
        const res = await hlGet(
          '/conversations/search',
          { locationId: hooli.locationId, sort, limit: 1, ...(cursor === undefined ? {} : { startAfterDate: cursor }) },
          hooli,
        );
        expect(res.status).toBe(200);
        if (res.body.conversations.length === 0) break;
        const [item] = res.body.conversations as Item[];
        seen.push(item.id);
        cursor = `${item.sort[0]},${item.sort[1]}`;
      }
      expect([...seen].sort()).toEqual([...ids].sort());
      expect(seen).toEqual(itemIds(all.body.conversations));
    });
  });

  describe('messages of a conversation and one message', () => {
    let initech: TestTenant;
    let globex: TestTenant;
    let agentId: number;
    let contactId: number;
    let conversationId: number;
    let otherConversationId: number;
    let otherMessageId: number;
    let deletedIds: number[];
    let globexConversationId: number;
    let globexMessageId: number;
    let fileIds: number[];
    let expected: MessageFacts[];

    const list = (id: number | string, query: Record<string, string | number> = {}, tenant: TestTenant = initech) =>
      hlGet(`/conversations/${id}/messages`, query, tenant);

    async function messageFacts(tenantId: number, conversation: number): Promise<MessageFacts[]> {
      return t.db.query(
        `SELECT m.id, m.conversation_id AS "conversationId", c.contact_id AS "conversationContactId", m.user_id AS "userId",
                m.message, m.file_ids AS "fileIds", m.client_message_id AS "clientMessageId", m.created_at AS "createdAt",
                m.direction, m.status, m.message_type AS "messageType", m.source
           FROM conversation_messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
          WHERE m.tenant_id = $1 AND m.conversation_id = $2 AND m.state = 'active'
          ORDER BY m.created_at DESC, m.id DESC`,
        [tenantId, conversation],
      );
    }

    // GetMessageResponseDto as HighLevel shows it.
    function expectedMessage(m: MessageFacts, locationId: string) {
      return {
        id: String(m.id),
        ...(m.clientMessageId === null ? {} : { altId: m.clientMessageId }),
        type: m.messageType === 'TYPE_LIVE_CHAT' ? 29 : 22,
        messageType: m.messageType,
        locationId,
        contactId: String(m.conversationContactId),
        conversationId: String(m.conversationId),
        dateAdded: m.createdAt.toISOString(),
        body: m.message,
        direction: m.userId === null ? 'inbound' : 'outbound',
        status: m.userId === null ? 'delivered' : 'sent',
        contentType: 'text/plain',
        attachments: m.fileIds.map((fileId) => expect.stringMatching(new RegExp(`^http://[^/]+/desk/api/v2/files/${fileId}/download$`))),
        source: m.source,
        ...(m.userId === null ? {} : { userId: String(m.userId) }),
      };
    }

    async function fakeFile(tenantId: number): Promise<number> {
      const [{ id }] = await t.db.query(
        `INSERT INTO files (tenant_id, filename, mime_type, size, sha256, storage_key)
         VALUES ($1, 'a.txt', 'text/plain', 1, repeat('a', 64), 'test/a') RETURNING id`,
        [tenantId],
      );
      return id;
    }

    beforeAll(async () => {
      [initech, globex] = await Promise.all([createTenant(t, 'Initech'), createTenant(t, 'Globex Two')]);
      agentId = (await createAgent(t, initech.tenantId)).id;
      ({ contactId } = await createContact(t.db, initech.tenantId));
      fileIds = [await fakeFile(initech.tenantId), await fakeFile(initech.tenantId)];
      [{ id: conversationId }] = await t.db.query(
        `INSERT INTO conversations (tenant_id, contact_id, created_at, updated_at) VALUES ($1, $2, '2025-03-01', '2025-03-01') RETURNING id`,
        [initech.tenantId, contactId],
      );
      await t.db.query(
        `INSERT INTO conversation_messages
           (tenant_id, conversation_id, user_id, contact_id, message, status, message_type, client_message_id, file_ids, source, created_at, updated_at)
         SELECT $1, $2, CASE WHEN i % 3 = 0 THEN $3::bigint END, CASE WHEN i % 3 <> 0 THEN $4::bigint END,
                'message ' || i, CASE WHEN i % 3 = 0 THEN 'sent' ELSE 'delivered' END,
                CASE WHEN i % 4 = 0 THEN 'TYPE_CUSTOM_PROVIDER_SMS' ELSE 'TYPE_LIVE_CHAT' END,
                CASE WHEN i % 5 = 0 THEN 'client-' || i END,
                CASE WHEN i = 10 THEN $5::bigint[] WHEN i = 42 THEN $6::bigint[] ELSE '{}' END,
                CASE WHEN i % 7 = 0 THEN 'app' ELSE 'api' END,
                '2025-03-01T09:00:00Z'::timestamptz + i * interval '1 second' + (i % 3) * interval '1 millisecond',
                '2025-03-01T09:00:00Z'::timestamptz + i * interval '1 second'
           FROM generate_series(1, 45) i`,
        [initech.tenantId, conversationId, agentId, contactId, fileIds, [fileIds[1]]],
      );
      // Deleted messages: the newest of all and one in the middle, both by the customer.
      deletedIds = (
        await t.db.query(
          `INSERT INTO conversation_messages (tenant_id, conversation_id, contact_id, message, state, deleted_at, created_at)
           VALUES ($1, $2, $3, 'deleted newest', 'deleted', now(), '2025-03-01T10:00:00Z'),
                  ($1, $2, $3, 'deleted middle', 'deleted', now(), '2025-03-01T09:00:20.5Z') RETURNING id`,
          [initech.tenantId, conversationId, contactId],
        )
      ).map((row: { id: number }) => row.id);
      await t.db.query(
        `UPDATE conversations SET last_message_at = (SELECT max(created_at) FROM conversation_messages WHERE conversation_id = $1 AND state = 'active') WHERE id = $1`,
        [conversationId],
      );

      const other = await createContact(t.db, initech.tenantId);
      [{ id: otherConversationId }] = await t.db.query(`INSERT INTO conversations (tenant_id, contact_id) VALUES ($1, $2) RETURNING id`, [
        initech.tenantId,
        other.contactId,
      ]);
      [{ id: otherMessageId }] = await t.db.query(
        `INSERT INTO conversation_messages (tenant_id, conversation_id, contact_id, message) VALUES ($1, $2, $3, 'elsewhere') RETURNING id`,
        [initech.tenantId, otherConversationId, other.contactId],
      );

      const foreign = await createContact(t.db, globex.tenantId);
      [{ id: globexConversationId }] = await t.db.query(`INSERT INTO conversations (tenant_id, contact_id) VALUES ($1, $2) RETURNING id`, [
        globex.tenantId,
        foreign.contactId,
      ]);
      [{ id: globexMessageId }] = await t.db.query(
        `INSERT INTO conversation_messages (tenant_id, conversation_id, contact_id, message) VALUES ($1, $2, $3, 'foreign') RETURNING id`,
        [globex.tenantId, globexConversationId, foreign.contactId],
      );

      expected = await messageFacts(initech.tenantId, conversationId);
    });

    it('should have seeded 45 active messages of both authors and both types', () => {
      expect(expected).toHaveLength(45);
      expect(expected.filter((m) => m.userId !== null)).toHaveLength(15);
      expect(expected.filter((m) => m.messageType === 'TYPE_CUSTOM_PROVIDER_SMS')).toHaveLength(11);
    });

    it('should page 20, 20, 5 newest first by lastMessageId, in HighLevel’s nested shape', async () => {
      const pages: { lastMessageId: string | null; nextPage: boolean; messages: Record<string, unknown>[] }[] = [];
      let lastMessageId: string | undefined;
      for (let i = 0; i < 3; i++) {
        const res = await list(conversationId, { limit: 20, ...(lastMessageId === undefined ? {} : { lastMessageId }) });
        expect(res.status).toBe(200);
        expect(Object.keys(res.body)).toEqual(['messages']);
        expect(Object.keys(res.body.messages).sort()).toEqual(['lastMessageId', 'messages', 'nextPage']);
        pages.push(res.body.messages);
        lastMessageId = res.body.messages.lastMessageId;
      }
      expect(pages.map((page) => page.messages.length)).toEqual([20, 20, 5]);
      expect(pages.map((page) => page.nextPage)).toEqual([true, true, false]);
      for (const page of pages) expect(page.lastMessageId).toBe(page.messages.at(-1)!.id);

      const union = pages.flatMap((page) => page.messages);
      expect(union).toEqual(expected.map((m) => expectedMessage(m, initech.locationId)));
      expect(new Set(union.map((m) => m.id)).size).toBe(45);
      for (const id of deletedIds) expect(union.map((m) => m.id)).not.toContain(String(id));

      // After the last page: nothing more.
      const after = await list(conversationId, { lastMessageId: lastMessageId! });
      expect(after.status).toBe(200);
      expect(after.body).toEqual({ messages: { lastMessageId: null, nextPage: false, messages: [] } });
    });

    it('should show each message with exactly its keys and values', async () => {
      const res = await list(conversationId, { limit: 100 });
      expect(res.status).toBe(200);
      expect(res.body.messages.nextPage).toBe(false);
      for (const message of res.body.messages.messages as Record<string, unknown>[]) {
        const facts = expected.find((m) => String(m.id) === message.id)!;
        const keys = [...MESSAGE_KEYS, ...(facts.userId === null ? [] : ['userId']), ...(facts.clientMessageId === null ? [] : ['altId'])].sort();
        expect(Object.keys(message).sort()).toEqual(keys);
        expect(message.dateAdded).toMatch(ISO);
        expect(message.contactId).toBe(String(contactId));
        expect(message.conversationId).toBe(String(conversationId));
      }
      const byBody = (body: string) => (res.body.messages.messages as Record<string, unknown>[]).find((m) => m.body === body)!;
      expect(byBody('message 45')).toMatchObject({
        type: 29,
        messageType: 'TYPE_LIVE_CHAT',
        direction: 'outbound',
        status: 'sent',
        userId: String(agentId),
        altId: 'client-45',
      });
      expect(byBody('message 44')).toMatchObject({ type: 22, messageType: 'TYPE_CUSTOM_PROVIDER_SMS', direction: 'inbound', status: 'delivered' });
      expect(byBody('message 44')).not.toHaveProperty('userId');
      expect(byBody('message 44')).not.toHaveProperty('altId');
      expect(byBody('message 14').source).toBe('app');
      expect(byBody('message 10').attachments).toEqual([
        expect.stringMatching(new RegExp(`/desk/api/v2/files/${fileIds[0]}/download$`)),
        expect.stringMatching(new RegExp(`/desk/api/v2/files/${fileIds[1]}/download$`)),
      ]);
      expect(byBody('message 1').attachments).toEqual([]);
    });

    it('should page 20 by default', async () => {
      const res = await list(conversationId);
      expect(res.status).toBe(200);
      expect(res.body.messages.messages.map((m: { id: string }) => m.id)).toEqual(expected.slice(0, 20).map((m) => String(m.id)));
      expect(res.body.messages.nextPage).toBe(true);
      expect(res.body.messages.lastMessageId).toBe(String(expected[19].id));
    });

    it('should filter by type, paging within the type', async () => {
      const live = expected.filter((m) => m.messageType === 'TYPE_LIVE_CHAT');
      const custom = expected.filter((m) => m.messageType === 'TYPE_CUSTOM_PROVIDER_SMS');
      const liveRes = await list(conversationId, { type: 'TYPE_LIVE_CHAT', limit: 100 });
      expect(liveRes.status).toBe(200);
      expect(liveRes.body.messages.messages).toEqual(live.map((m) => expectedMessage(m, initech.locationId)));
      expect(liveRes.body.messages.nextPage).toBe(false);

      const seen: string[] = [];
      const nextPages: boolean[] = [];
      let lastMessageId: string | undefined;
      for (let i = 0; i < 3; i++) {
        const res = await list(conversationId, { type: 'TYPE_CUSTOM_PROVIDER_SMS', limit: 5, ...(lastMessageId === undefined ? {} : { lastMessageId }) });
        expect(res.status).toBe(200);
        for (const m of res.body.messages.messages) expect(m).toMatchObject({ type: 22, messageType: 'TYPE_CUSTOM_PROVIDER_SMS' });
        seen.push(...res.body.messages.messages.map((m: { id: string }) => m.id));
        nextPages.push(res.body.messages.nextPage);
        lastMessageId = res.body.messages.lastMessageId;
      }
      expect(seen).toEqual(custom.map((m) => String(m.id)));
      expect(nextPages).toEqual([true, true, false]);

      const both = await list(conversationId, { type: 'TYPE_LIVE_CHAT, TYPE_CUSTOM_PROVIDER_SMS', limit: 100 });
      expect(both.body.messages.messages).toHaveLength(45);
      const none = await list(conversationId, { type: 'TYPE_SMS' });
      expect(none.status).toBe(200);
      expect(none.body).toEqual({ messages: { lastMessageId: null, nextPage: false, messages: [] } });
    });

    it('should page through messages created within one millisecond', async () => {
      const { contactId: c } = await createContact(t.db, initech.tenantId);
      const [{ id }] = await t.db.query(`INSERT INTO conversations (tenant_id, contact_id) VALUES ($1, $2) RETURNING id`, [initech.tenantId, c]);
      for (const micros of ['100', '200', '300', '400']) {
        await t.db.query(`INSERT INTO conversation_messages (tenant_id, conversation_id, contact_id, message, created_at) VALUES ($1, $2, $3, $4, $5)`, [
          initech.tenantId,
          id,
          c,
          `same ms ${micros}`,
          `2025-03-02T10:00:00.123${micros}Z`,
        ]);
      }
      const seen: string[] = [];
      let lastMessageId: string | undefined;
      for (let i = 0; i < 6; i++) {
        const res = await list(id, { limit: 1, ...(lastMessageId === undefined ? {} : { lastMessageId }) });
        expect(res.status).toBe(200);
        seen.push(...res.body.messages.messages.map((m: { body: string }) => m.body));
        if (!res.body.messages.nextPage) break;
        lastMessageId = res.body.messages.lastMessageId;
      }
      expect(seen).toEqual(['same ms 400', 'same ms 300', 'same ms 200', 'same ms 100']);
    });

    it.each([
      [
        'a lastMessageId of another conversation',
        () => ({ lastMessageId: String(otherMessageId) }),
        () => [`lastMessageId ${otherMessageId} is not a message of this conversation`],
      ],
      ['a deleted lastMessageId', () => ({ lastMessageId: String(deletedIds[1]) }), () => [`lastMessageId ${deletedIds[1]} is not a message of this conversation`]],
      ['a lastMessageId of another tenant', () => ({ lastMessageId: String(globexMessageId) }), () => [`lastMessageId ${globexMessageId} is not a message of this conversation`]],
      ['a lastMessageId that is no id', () => ({ lastMessageId: 'abc' }), () => ['lastMessageId abc is not a message of this conversation']],
      ['limit 101', () => ({ limit: '101' }), () => ['limit must not be greater than 100']],
      ['limit 0', () => ({ limit: '0' }), () => ['limit must not be less than 1']],
      [
        'an unknown type',
        () => ({ type: 'TYPE_LIVE_CHAT,TYPE_PIGEON' }),
        () => ['type must be a comma-separated list of message types (like TYPE_LIVE_CHAT); unknown: TYPE_PIGEON'],
      ],
      ['an unknown parameter', () => ({ page: '2' }), () => ['property page should not exist']],
    ])('should answer 422 for %s', async (_case, query, messages) => {
      const res = await list(conversationId, query());
      expect(res.status).toBe(422);
      expect(res.body).toEqual(unprocessable(...messages()));
    });

    it('should answer 400 Conversation not found for another tenant’s conversation and unknown ids', async () => {
      for (const id of [globexConversationId, 999_999_999, 'abc']) {
        const res = await list(id);
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ statusCode: 400, message: 'Conversation not found' });
      }
      // Its own tenant sees it.
      expect((await list(globexConversationId, {}, globex)).status).toBe(200);
    });

    describe('GET /conversations/messages/{id}', () => {
      it('should show one message as the list does', async () => {
        // With attachments; an agent's with a client id; a customer's Custom one.
        for (const facts of ['message 10', 'message 45', 'message 44'].map((body) => expected.find((m) => m.message === body)!)) {
          const res = await hlGet(`/conversations/messages/${facts.id}`, {}, initech);
          expect(res.status).toBe(200);
          expect(res.body).toEqual(expectedMessage(facts, initech.locationId));
        }
      });

      it('should answer 400 Message not found for another tenant’s, an unknown and a deleted message', async () => {
        for (const id of [globexMessageId, 999_999_999, deletedIds[0], 'abc']) {
          const res = await hlGet(`/conversations/messages/${id}`, {}, initech);
          expect(res.status).toBe(400);
          expect(res.body).toEqual({ statusCode: 400, message: 'Message not found' });
        }
      });
    });
  });

  describe('POST /conversations/messages', () => {
    let umbrella: TestTenant;
    let globex: TestTenant;
    let agent: { id: number; auth: string };

    const send = (body: object, tenant: { auth: string } = agent) => hlPost('/conversations/messages', body, tenant);
    const conversationsOf = (contactId: number) =>
      t.db.query(`SELECT * FROM conversations WHERE tenant_id = $1 AND contact_id = $2 ORDER BY id`, [umbrella.tenantId, contactId]);
    const messagesOf = (conversationId: number | string) =>
      t.db.query(`SELECT * FROM conversation_messages WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY id`, [umbrella.tenantId, conversationId]);
    const counts = async () => {
      const [row] = await t.db.query(
        `SELECT (SELECT count(*)::int FROM conversations WHERE tenant_id = $1) AS conversations,
                (SELECT count(*)::int FROM conversation_messages WHERE tenant_id = $1) AS messages`,
        [umbrella.tenantId],
      );
      return row;
    };
    const upload = (content: string, auth: string) =>
      t.http.post(`${BASE}/files.json`).set('Authorization', auth).attach('file', Buffer.from(content), { filename: 'note.txt', contentType: 'text/plain' });

    beforeAll(async () => {
      [umbrella, globex] = await Promise.all([createTenant(t, 'Umbrella'), createTenant(t, 'Globex Three')]);
      agent = await createAgent(t, umbrella.tenantId);
    });

    it('should start a conversation for a contact without one, and reuse it after', async () => {
      const { contactId } = await createContact(t.db, umbrella.tenantId);
      expect(await conversationsOf(contactId)).toEqual([]);

      const res = await send({ type: 'Live_Chat', contactId: String(contactId), message: 'Hello from HighLevel' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ conversationId: expect.stringMatching(/^\d+$/), messageId: expect.stringMatching(/^\d+$/), msg: 'Message queued successfully.' });

      const [conversation] = await conversationsOf(contactId);
      expect(conversation).toMatchObject({ id: Number(res.body.conversationId), state: 'active', ticket_id: null, unread_count: 0 });
      const [message] = await messagesOf(conversation.id);
      expect(message).toMatchObject({
        id: Number(res.body.messageId),
        user_id: agent.id,
        contact_id: null,
        message: 'Hello from HighLevel',
        direction: 'outbound',
        status: 'sent',
        message_type: 'TYPE_LIVE_CHAT',
        source: 'api',
        file_ids: [],
        client_message_id: null,
        state: 'active',
      });
      expect(conversation.last_message_at).toEqual(message.created_at);

      const again = await send({ type: 'Live_Chat', contactId: String(contactId), message: 'Still there?' });
      expect(again.status).toBe(200);
      expect(again.body.conversationId).toBe(res.body.conversationId);
      const named = await send({ type: 'Live_Chat', contactId: String(contactId), conversationId: res.body.conversationId, message: 'By name' });
      expect(named.status).toBe(200);
      expect(named.body.conversationId).toBe(res.body.conversationId);
      expect(await conversationsOf(contactId)).toHaveLength(1);
      expect((await messagesOf(conversation.id)).map((m: { message: string }) => m.message)).toEqual(['Hello from HighLevel', 'Still there?', 'By name']);

      const shown = await hlGet(`/conversations/messages/${named.body.messageId}`, {}, agent);
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({
        id: named.body.messageId,
        conversationId: res.body.conversationId,
        contactId: String(contactId),
        type: 29,
        messageType: 'TYPE_LIVE_CHAT',
        direction: 'outbound',
        status: 'sent',
        body: 'By name',
        userId: String(agent.id),
        source: 'api',
        attachments: [],
        locationId: umbrella.locationId,
      });
    });

    it('should refuse the conversationId of another contact’s conversation and write nothing', async () => {
      const mine = await createContact(t.db, umbrella.tenantId);
      const theirs = await createContact(t.db, umbrella.tenantId);
      const started = await send({ type: 'Live_Chat', contactId: String(theirs.contactId), message: 'theirs' });
      expect(started.status).toBe(200);
      const before = await counts();

      const res = await send({ type: 'Live_Chat', contactId: String(mine.contactId), conversationId: started.body.conversationId, message: 'misdirected' });
      expect(res.status).toBe(422);
      expect(res.body).toEqual(unprocessable(`conversationId ${started.body.conversationId} is not an active conversation of contactId ${mine.contactId}`));
      expect(await counts()).toEqual(before);
      expect(await conversationsOf(mine.contactId)).toEqual([]);
    });

    it('should refuse a deleted conversation by conversationId, and start a new one without it', async () => {
      const { contactId } = await createContact(t.db, umbrella.tenantId);
      const started = await send({ type: 'Live_Chat', contactId: String(contactId), message: 'first' });
      const removed = await t.http.delete(`/conversations/${started.body.conversationId}`).set('Authorization', agent.auth).set('Version', VERSION);
      expect(removed.status).toBe(200);
      expect(removed.body).toEqual({ success: true });
      const before = await counts();

      const res = await send({ type: 'Live_Chat', contactId: String(contactId), conversationId: started.body.conversationId, message: 'anyone?' });
      expect(res.status).toBe(422);
      expect(res.body).toEqual(unprocessable(`conversationId ${started.body.conversationId} is not an active conversation of contactId ${contactId}`));
      expect(await counts()).toEqual(before);

      const fresh = await send({ type: 'Live_Chat', contactId: String(contactId), message: 'anyone?' });
      expect(fresh.status).toBe(200);
      expect(fresh.body.conversationId).not.toBe(started.body.conversationId);
      expect((await conversationsOf(contactId)).map((c: { state: string }) => c.state)).toEqual(['deleted', 'active']);
      expect(await messagesOf(started.body.conversationId)).toHaveLength(1);
    });

    it('should store a Custom message as TYPE_CUSTOM_PROVIDER_SMS', async () => {
      const { contactId } = await createContact(t.db, umbrella.tenantId);
      const res = await send({ type: 'Custom', contactId: String(contactId), message: 'via provider', conversationProviderId: 'prov-1' });
      expect(res.status).toBe(200);
      const [row] = await messagesOf(res.body.conversationId);
      expect(row).toMatchObject({ message_type: 'TYPE_CUSTOM_PROVIDER_SMS', user_id: agent.id, direction: 'outbound', status: 'sent' });
      const shown = await hlGet(`/conversations/messages/${res.body.messageId}`, {}, agent);
      expect(shown.body).toMatchObject({ type: 22, messageType: 'TYPE_CUSTOM_PROVIDER_SMS' });
    });

    describe('refusals that write nothing', () => {
      let contactId: number;
      let foreignFileId: number;
      let foreignContactId: number;

      beforeAll(async () => {
        ({ contactId } = await createContact(t.db, umbrella.tenantId));
        const uploaded = await upload('globex secret', globex.auth);
        expect(uploaded.status).toBe(201);
        foreignFileId = uploaded.body.file.id;
        ({ contactId: foreignContactId } = await createContact(t.db, globex.tenantId));
      });

      it.each([
        ['type SMS', () => ({ type: 'SMS', message: 'x' }), () => ['type SMS cannot be delivered by this service: it sends Live_Chat and Custom messages']],
        ['type Email', () => ({ type: 'Email', message: 'x' }), () => ['type Email cannot be delivered by this service: it sends Live_Chat and Custom messages']],
        ['an unknown type', () => ({ type: 'Pigeon', message: 'x' }), () => ['type must be one of the following values: SMS, Email, WhatsApp, IG, FB, Custom, Live_Chat']],
        [
          'a scheduledTimestamp',
          () => ({ type: 'Live_Chat', message: 'x', scheduledTimestamp: 1_800_000_000 }),
          () => ['scheduledTimestamp is not supported: messages are sent at once'],
        ],
        ['an empty message', () => ({ type: 'Live_Chat', message: '   ' }), () => ['message must not be empty when there are no attachments']],
        ['no message at all', () => ({ type: 'Live_Chat' }), () => ['message must not be empty when there are no attachments']],
        [
          'an attachment URL not of a download',
          () => ({ type: 'Live_Chat', message: 'x', attachments: ['https://cdn.example.com/files/1/download'] }),
          () => ['attachments.0 must be the URL of a file uploaded to this service'],
        ],
        [
          'another tenant’s file',
          () => ({ type: 'Live_Chat', message: 'x', attachments: [`https://desk.example.com/desk/api/v2/files/${foreignFileId}/download`] }),
          () => ['attachments.0 is not a file of this location'],
        ],
        ['an unknown contactId', () => ({ type: 'Live_Chat', message: 'x', contactId: '999999999' }), () => ['contactId 999999999 is not a contact of this location']],
        [
          'another tenant’s contactId',
          () => ({ type: 'Live_Chat', message: 'x', contactId: String(foreignContactId) }),
          () => [`contactId ${foreignContactId} is not a contact of this location`],
        ],
        ['an unknown field', () => ({ type: 'Live_Chat', message: 'x', priority: 'high' }), () => ['property priority should not exist']],
      ])('should answer 422 for %s', async (_case, body, messages) => {
        const before = await counts();
        const res = await send({ contactId: String(contactId), ...body() });
        expect(res.status).toBe(422);
        expect(res.body).toEqual(unprocessable(...messages()));
        expect(await counts()).toEqual(before);
        expect(await conversationsOf(contactId)).toEqual([]);
        expect((await t.db.query(`SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1 AND contact_id = $2`, [globex.tenantId, foreignContactId]))[0].n).toBe(0);
      });
    });

    it('should attach an uploaded file by its download URL and show it back as one', async () => {
      const { contactId } = await createContact(t.db, umbrella.tenantId);
      const uploaded = await upload('the attached bytes', agent.auth);
      expect(uploaded.status).toBe(201);
      const fileId: number = uploaded.body.file.id;

      const res = await send({ type: 'Live_Chat', contactId: String(contactId), message: '', attachments: [`http://anything.example/desk/api/v2/files/${fileId}/download`] });
      expect(res.status).toBe(200);
      const [row] = await messagesOf(res.body.conversationId);
      expect(row).toMatchObject({ id: Number(res.body.messageId), file_ids: [fileId], message: '' });

      const shown = await hlGet(`/conversations/messages/${res.body.messageId}`, {}, agent);
      expect(shown.status).toBe(200);
      expect(shown.body.attachments).toEqual([expect.stringMatching(new RegExp(`^http://[^/]+/desk/api/v2/files/${fileId}/download$`))]);
      const download = await t.http.get(new URL(shown.body.attachments[0]).pathname).set('Authorization', agent.auth);
      expect(download.status).toBe(200);
      expect(download.text).toBe('the attached bytes');

      // The path alone names it too.
      const byPath = await send({ type: 'Live_Chat', contactId: String(contactId), message: 'again', attachments: [`/desk/api/v2/files/${fileId}/download`] });
      expect(byPath.status).toBe(200);
      expect((await messagesOf(res.body.conversationId)).map((m: { file_ids: number[] }) => m.file_ids)).toEqual([[fileId], [fileId]]);
    });

    it('should start exactly one conversation for five first messages at once', async () => {
      const { contactId } = await createContact(t.db, umbrella.tenantId);
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map((n) => send({ type: 'Live_Chat', contactId: String(contactId), message: `at once ${n}` })),
      );
      expect(results.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
      expect(new Set(results.map((res) => res.body.conversationId)).size).toBe(1);
      const conversations = await conversationsOf(contactId);
      expect(conversations).toHaveLength(1);
      const messages = await messagesOf(conversations[0].id);
      expect(messages.map((m: { message: string }) => m.message).sort()).toEqual(['at once 1', 'at once 2', 'at once 3', 'at once 4', 'at once 5']);
      expect(new Set(results.map((res) => res.body.messageId))).toEqual(new Set(messages.map((m: { id: number }) => String(m.id))));
    });

    it('should count a customer’s Desk messages as unread and read them with an agent’s message', async () => {
      const { contactId } = await createContact(t.db, umbrella.tenantId);
      const started = await send({ type: 'Live_Chat', contactId: String(contactId), message: 'How can we help?' });
      const id = Number(started.body.conversationId);
      const unread = async () => (await conversationsOf(contactId))[0].unread_count;
      expect(await unread()).toBe(0);

      for (const message of ['I have a problem', 'Hello?']) {
        const res = await t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', umbrella.auth).send({ conversationId: id, contactId, message });
        expect(res.status).toBe(201);
      }
      expect(await unread()).toBe(2);
      const item = await hlGet('/conversations/search', { locationId: umbrella.locationId, id: String(id) }, umbrella);
      expect(item.body.conversations[0]).toMatchObject({ unreadCount: 2, lastMessageBody: 'Hello?', lastMessageDirection: 'inbound' });
      const unreadIds = await hlGet('/conversations/search', { locationId: umbrella.locationId, status: 'unread', limit: 100 }, umbrella);
      expect(itemIds(unreadIds.body.conversations)).toContain(String(id));
      const [inbound] = (await messagesOf(id)).slice(-1);
      expect(inbound).toMatchObject({ contact_id: contactId, user_id: null, direction: 'inbound', status: 'delivered' });

      const reply = await send({ type: 'Live_Chat', contactId: String(contactId), message: 'On it' });
      expect(reply.status).toBe(200);
      expect(await unread()).toBe(0);
      const read = await hlGet('/conversations/search', { locationId: umbrella.locationId, status: 'unread', limit: 100 }, umbrella);
      expect(itemIds(read.body.conversations)).not.toContain(String(id));
    });
  });

  describe("the last message the search matches, kept by every write", () => {
    let hooli: TestTenant;
    beforeAll(async () => {
      hooli = await createTenant(t, 'Hooli');
    });

    const lastText = async (id: number | string) =>
      (await t.db.query(`SELECT last_message_text FROM conversations WHERE tenant_id = $1 AND id = $2`, [hooli.tenantId, id]))[0].last_message_text;
    const found = async (query: string) =>
      itemIds((await hlGet('/conversations/search', { locationId: hooli.locationId, query }, hooli)).body.conversations);

    it('should follow posts in either dialect, edits, deletes and restores of the latest message', async () => {
      const { contactId } = await createContact(t.db, hooli.tenantId);
      const sent = await hlPost('/conversations/messages', { type: 'Live_Chat', contactId: String(contactId), message: 'alpha kiwi' }, hooli);
      expect(sent.status).toBe(200);
      const id = sent.body.conversationId;
      expect(await lastText(id)).toBe('alpha kiwi');
      expect(await found('kiwi')).toEqual([id]);

      const desk = (body: object) => t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', hooli.auth).send(body);
      const latest = await desk({ conversationId: Number(id), contactId, message: 'bravo mango' });
      expect(latest.status).toBe(201);
      expect(await lastText(id)).toBe('bravo mango');
      expect(await found('kiwi')).toEqual([]);
      expect(await found('mango')).toEqual([id]);

      const path = `${BASE}/conversationmessages/${latest.body.conversationmessage.id}.json`;
      expect((await t.http.patch(path).set('Authorization', hooli.auth).send({ message: 'charlie papaya' })).status).toBe(200);
      expect(await lastText(id)).toBe('charlie papaya');
      expect(await found('mango')).toEqual([]);

      expect((await t.http.delete(path).set('Authorization', hooli.auth)).status).toBe(204);
      expect(await lastText(id)).toBe('alpha kiwi');
      expect(await found('papaya')).toEqual([]);
      expect(await found('kiwi')).toEqual([id]);

      expect((await t.http.patch(path).set('Authorization', hooli.auth).send({ state: 'active' })).status).toBe(200);
      expect(await lastText(id)).toBe('charlie papaya');
      expect(await found('papaya')).toEqual([id]);
    });

    it('should serve the query and the order from their indexes, not by reading every conversation', async () => {
      // One connection, and the planner told that a full read or a sort costs too much: on tables
      // this small it may otherwise read a neighbouring index and sort, which proves nothing.
      const plan = (sql: string) =>
        t.db.transaction(async (manager) => {
          await manager.query('SET LOCAL enable_seqscan = off');
          await manager.query('SET LOCAL enable_sort = off');
          return JSON.stringify(await manager.query(`EXPLAIN (FORMAT JSON) ${sql}`));
        });
      // The expressions the repository writes, as the indexes hold them: a drift would show here.
      // (Without the tenant, so that no other index can stand in on these small tables.)
      const searched = await plan(
        `SELECT mp.id FROM customers mp WHERE (mp.first_name || ' ' || mp.last_name || E'\\x1f' || coalesce(mp.email, '') || E'\\x1f' || coalesce(mp.phone, '') || E'\\x1f' || coalesce(mp.mobile, '')) ILIKE '%kiwi%'`,
      );
      expect(searched).toContain('ix_customers_search');
      expect(await plan(`SELECT id FROM conversations WHERE last_message_text ILIKE '%kiwi%'`)).toContain('ix_conversations_last_message_text');
      const ordered = await plan(
        `SELECT c.id FROM conversations c WHERE c.tenant_id = 1 AND c.state = 'active'
          ORDER BY date_trunc('milliseconds', coalesce(c.last_message_at, c.created_at) AT TIME ZONE 'UTC') DESC, c.id DESC LIMIT 20`,
      );
      expect(ordered).toContain('ix_conversations_search_order');
    });
  });
});

