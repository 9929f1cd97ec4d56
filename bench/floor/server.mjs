// The FLOOR: for each benchmarked endpoint, the least any implementation must do to answer it the
// way the service does: authenticate the key (one lookup, a hash compare), run the very statements
// the service runs (bench/floor/statements.mjs), in the same transactions and with the same
// parallelism, and write a minimal JSON answer. node:http and a pg Pool of the service's size;
// no framework, no validation library, no ORM, no logging. The service divided by this is the
// share of the achievable the service achieves on this machine, in this run.
//
// Env: PORT, HOST, DATABASE_URL, DATABASE_POOL_SIZE, PUSHER_KEY, PUSHER_SECRET.
import { Buffer } from 'node:buffer';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import process from 'node:process';
import { URL } from 'node:url';
import pg from 'pg';
import * as sql from './statements.mjs';

pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10));

const env = process.env;
const pool = new pg.Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.DATABASE_POOL_SIZE ?? 10),
  application_name: 'helpdesk-bench-floor',
  connectionTimeoutMillis: 5000,
  statement_timeout: 30_000,
});

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// --- authentication: the service's key lookup, hash compare and once-a-minute touch --------------

const KEY_PATTERN = /^hdk_([0-9a-f]{16})[A-Za-z0-9_-]{43}$/;

async function authenticate(req) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  const presented = match?.[1] ?? '';
  const lookup = KEY_PATTERN.exec(presented)?.[1];
  if (!lookup) throw new HttpError(401, 'invalid API key');
  const { rows } = await pool.query(sql.KEY_LOOKUP, [lookup]);
  const row = rows[0];
  const hash = createHash('sha256').update(presented, 'utf8').digest();
  if (!row || row.secret_hash.length !== hash.length || !timingSafeEqual(row.secret_hash, hash)) throw new HttpError(401, 'invalid API key');
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
    pool.query(sql.KEY_TOUCH, [row.tenant_id, row.id]).catch(() => undefined);
  }
  return { tenantId: row.tenant_id, userId: row.user_id, locationId: row.location_id };
}

async function transaction(work) {
  const client = await pool.connect();
  try {
    await client.query('START TRANSACTION');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

// The floor's live updates go to the outbox like the service's, under a topic of their own: the
// service's dispatcher (which claims topic 'pusher') must not spend the floor's phase sending them.
const OUTBOX_TOPIC = 'bench-floor';

// The customer's view the service writes for the conversation's channel: an allowlist of the keys
// of the agents' JSON (customer-view.presenter.ts), picked here as cheaply.
const CUSTOMER_KEYS = ['id', 'conversationId', 'userId', 'contactId', 'message', 'files', 'clientMessageId', 'state', 'converted', 'contact', 'lastMessageAt', 'createdAt', 'updatedAt'];
const customerView = (data) => Object.fromEntries(CUSTOMER_KEYS.filter((key) => key in data).map((key) => [key, data[key]]));

// As LiveEvents.publish: one row a channel; conversation and message events also reach the
// conversation's channel as the customer's view (never a change's activities), ticket events and
// lone activities only the tenant's.
function outboxRows(events) {
  return JSON.stringify(
    events.flatMap((e) => {
      const row = (channel, data, agents) => ({
        tenant_id: e.tenantId,
        created_by: e.actorId ?? null,
        agents,
        payload: { event: e.name, channels: [channel], data, socketId: e.socketId ?? null },
      });
      const agents = row(`private-tenant-${e.tenantId}`, e.data, true);
      return e.name.startsWith('ticket.') || e.name === 'conversation.activity'
        ? [agents]
        : [row(`private-conversation-${e.conversationId}`, customerView(e.data), false), agents];
    }),
  );
}

// --- POST /desk/api/v2/conversationmessages.json -------------------------------------------------

async function postMessage(req, body) {
  const principal = await authenticate(req);
  const input = JSON.parse(body);
  const m = input.conversationmessage ?? input;
  const conversationId = m.conversationId;
  if (!Number.isSafeInteger(conversationId) || typeof m.message !== 'string' || m.message.trim() === '') {
    throw new HttpError(400, 'conversationId and message are required');
  }
  const { tenantId, userId } = principal;
  const message = await transaction(async (client) => {
    const { rows: found } = await client.query(sql.MESSAGE_CONVERSATION, [tenantId, conversationId]);
    if (!found[0] || found[0].state !== 'active') throw new HttpError(400, 'conversationId: not found');
    const { rows: inserted } = await client.query(sql.MESSAGES_INSERT, [
      sql.newMessages([
        { tenant_id: tenantId, conversation_id: conversationId, user_id: userId, contact_id: null, message: m.message, file_ids: [], client_message_id: m.clientMessageId ?? null },
      ]),
      null,
      userId,
      'api',
    ]);
    const [created] = inserted;
    await client.query(sql.MESSAGES_TOUCH_CONVERSATIONS, [sql.touchedConversations(inserted), null, userId]);
    await client.query(sql.OUTBOX_INSERT, [
      outboxRows([{ tenantId, actorId: userId, name: 'message.created', conversationId, data: created }]),
      OUTBOX_TOPIC,
    ]);
    return created;
  });
  return [201, { conversationmessage: message }];
}

// --- GET /desk/api/v2/conversations/{id}.json?includes=contacts,users ---------------------------

const distinct = (values) => [...new Set(values.filter((v) => v !== null && v !== undefined))];

async function getConversation(req, id, url) {
  const { tenantId } = await authenticate(req);
  const { rows } = await pool.query(sql.CONVERSATION_BY_ID, [tenantId, id]);
  const conversation = rows[0];
  if (!conversation) throw new HttpError(404, `conversation ${id} not found`);
  // ConversationsService.views: four independent reads at once on the pool.
  const [contacts, participants, latest, online] = await Promise.all([
    pool.query(sql.CONTACTS_BY_IDS, [tenantId, [conversation.contact_id]]),
    pool.query(sql.PARTICIPANTS_OF, [tenantId, [id]]),
    pool.query(sql.LATEST_MESSAGE_IDS, [tenantId, [id], 100]),
    pool.query(sql.ONLINE_MEMBERS, [tenantId, [id]]),
  ]);
  const userIds = participants.rows.map((r) => r.user_id);
  const includes = new Set((url.searchParams.get('includes') ?? '').split(',').filter(Boolean));
  const included = {};
  // IncludedLoader: one query per type, at once.
  const jobs = [];
  // The contacts the views already hold are not read again.
  if (includes.has('contacts')) included.contacts = contacts.rows;
  if (includes.has('users')) {
    const ids = distinct([...userIds, conversation.created_by, conversation.updated_by, conversation.deleted_by]);
    if (ids.length > 0) jobs.push(pool.query(sql.USERS_BY_IDS, [tenantId, ids]).then((r) => (included.users = r.rows)));
  }
  await Promise.all(jobs);
  return [
    200,
    {
      conversation: {
        ...conversation,
        contact: contacts.rows[0],
        users: userIds,
        messages: latest.rows.filter((r) => !r.public).map((r) => r.id),
        online: online.rows.map((r) => r.member),
      },
      included,
    },
  ];
}

// --- GET /desk/api/v2/conversations/{id}/messages.json[?cursor=…] -------------------------------

function decodeCursor(text) {
  const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  if (!Array.isArray(parsed) || parsed.length !== 6) throw new HttpError(400, 'cursor: not a valid cursor');
  return { value: parsed[3], id: parsed[4] };
}

async function listMessages(req, conversationId, url) {
  const { tenantId } = await authenticate(req);
  const pageSize = Math.min(Number(url.searchParams.get('pageSize') ?? 50) || 50, 100);
  const page = Number(url.searchParams.get('page') ?? 1) || 1;
  const cursorText = url.searchParams.get('cursor');
  // ConversationsService.assertExists, then runList: the page and the count at once.
  const { rows: found } = await pool.query(sql.CONVERSATION_BY_ID, [tenantId, conversationId]);
  if (!found[0]) throw new HttpError(404, `conversation ${conversationId} not found`);
  let pageQuery;
  if (cursorText) {
    const cursor = decodeCursor(cursorText);
    pageQuery = pool.query(sql.messagesPageAfter(pageSize + 1), [tenantId, conversationId, cursor.value, cursor.id]);
  } else {
    pageQuery = pool.query(sql.messagesPage(pageSize + 1, (page - 1) * pageSize), [tenantId, conversationId]);
  }
  const [{ rows }, { rows: counted }] = await Promise.all([pageQuery, pool.query(sql.MESSAGES_COUNT, [tenantId, conversationId])]);
  const count = Number(counted[0].cnt);
  const hasMore = rows.length > pageSize;
  const shown = rows.slice(0, pageSize);
  const last = shown.at(-1);
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([null, `conversation:${conversationId}`]))
    .digest('base64url')
    .slice(0, 16);
  const nextCursor =
    hasMore && last
      ? Buffer.from(JSON.stringify([1, 'createdAt', 'asc', last.list_cursor_value, last.id, fingerprint])).toString('base64url')
      : null;
  for (const row of shown) delete row.list_cursor_value;
  return [
    200,
    {
      conversationmessages: shown,
      included: {},
      meta: { page: { count, pageSize, pageOffset: cursorText ? null : (page - 1) * pageSize, pages: Math.ceil(count / pageSize), hasMore, nextCursor } },
    },
  ];
}

// --- POST /desk/api/v2/conversationmessages/webhooks.json ---------------------------------------

function verifyPusher(req, body) {
  const key = req.headers['x-pusher-key'];
  const signature = req.headers['x-pusher-signature'];
  if (key !== env.PUSHER_KEY || typeof signature !== 'string') throw new HttpError(401, 'unknown key');
  const expected = Buffer.from(createHmac('sha256', env.PUSHER_SECRET).update(body).digest('hex'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HttpError(401, 'bad signature');
}

async function webhook(req, body) {
  verifyPusher(req, body);
  const batch = JSON.parse(body);
  if (!Number.isSafeInteger(batch.time_ms) || !Array.isArray(batch.events)) throw new HttpError(400, 'not a batch');
  const at = new Date(batch.time_ms);
  const events = batch.events.map((e) => {
    const conversationId = Number(/^private-conversation-(\d+)$/.exec(e.channel ?? '')?.[1]);
    const data = JSON.parse(e.data);
    return { ...e, conversationId, message: data.message, clientMessageId: data.clientMessageId };
  });
  const result = await transaction(async (client) => {
    const { rows: found } = await client.query(sql.WEBHOOK_CONVERSATIONS, [[...new Set(events.map((e) => e.conversationId))]]);
    const byId = new Map(found.map((c) => [c.id, c]));
    const usable = events.filter((e) => byId.get(e.conversationId)?.state === 'active');
    const stored = await client.query(sql.WEBHOOK_INSERT_EVENTS, [
      JSON.stringify(
        usable.map((e) => ({
          tenant_id: byId.get(e.conversationId).tenantId,
          dedupe_key: `message:${e.conversationId}:inbound:${e.clientMessageId}`,
          conversation_id: e.conversationId,
          name: e.name,
          channel: e.channel,
          event: e.event,
          user_id: e.user_id ?? null,
          socket_id: e.socket_id ?? null,
          data: e.data,
          outcome: 'message',
          reason: null,
        })),
      ),
      batch.time_ms,
    ]);
    const fresh = new Set(stored.rows.map((r) => r.dedupe_key));
    const newMessages = usable.filter((e) => fresh.has(`message:${e.conversationId}:inbound:${e.clientMessageId}`));
    if (newMessages.length === 0) return { created: [], received: events.length };
    const { rows: created } = await client.query(sql.MESSAGES_INSERT, [
      sql.newMessages(
        newMessages.map((e) => {
          const c = byId.get(e.conversationId);
          return {
            tenant_id: c.tenantId,
            conversation_id: e.conversationId,
            user_id: null,
            contact_id: c.contactId,
            message: e.message,
            file_ids: [],
            client_message_id: e.clientMessageId,
          };
        }),
      ),
      at,
      null,
      'app',
    ]);
    await client.query(sql.MESSAGES_TOUCH_CONVERSATIONS, [sql.touchedConversations(created), at, null]);
    const socketOf = new Map(newMessages.map((e) => [`${e.conversationId}:${e.clientMessageId}`, e.socket_id ?? null]));
    await client.query(sql.OUTBOX_INSERT, [
      outboxRows(
        created.map((m) => ({
          tenantId: m.tenantId,
          name: 'message.created',
          conversationId: m.conversationId,
          data: m,
          socketId: socketOf.get(`${m.conversationId}:${m.clientMessageId}`),
        })),
      ),
      OUTBOX_TOPIC,
    ]);
    return { created, received: events.length };
  });
  const { created, received } = result;
  return [
    201,
    {
      conversationmessages: created,
      meta: { received, created: created.length, applied: 0, duplicates: received - created.length, ignored: 0 },
    },
  ];
}

// --- POST /desk/api/v2/conversations/{id}/convert.json ------------------------------------------

const excerpt = (text, length) => (text.length <= length ? text : `${text.slice(0, length - 1)}…`);

async function convert(req, conversationId) {
  const { tenantId, userId } = await authenticate(req);
  const view = await transaction(async (client) => {
    const q = (text, params) => client.query(text, params).then((r) => r.rows);
    const [conversation] = await q(sql.CONVERSATION_FOR_UPDATE, [tenantId, conversationId]);
    if (!conversation || conversation.state !== 'active') throw new HttpError(404, `conversation ${conversationId} not found`);
    if (conversation.ticket_id !== null) throw new HttpError(409, `already converted to ticket ${conversation.ticket_id}`);
    const [contact] = await q(sql.CONTACTS_BY_IDS, [tenantId, [conversation.contact_id]]);
    const participants = await q(sql.PARTICIPANTS_OF, [tenantId, [conversationId]]);
    const [first] = await q(sql.FIRST_MESSAGE_TEXT, [tenantId, conversationId]);
    const [customer] = await q(sql.CUSTOMER_BY_ID, [tenantId, contact.customer_id]);
    if (customer?.state !== 'active') throw new HttpError(400, 'customer: not found');
    const [inbox] = await q(sql.DEFAULT_INBOX, [true, tenantId, 'active']);
    const [status] = await q(sql.defaultSetting('ticket_statuses'), [true, tenantId, 'active']);
    const [priority] = await q(sql.defaultSetting('ticket_priorities'), [true, tenantId, 'active']);
    const [type] = await q(sql.defaultSetting('ticket_types'), [true, tenantId, 'active']);
    const [source] = await q(sql.CHAT_SOURCE, ['chat', tenantId, 'active']);
    const firstText = first?.message ?? null;
    const subject = firstText ? excerpt(firstText.replace(/\s+/g, ' ').trim(), 100) : `Chat conversation ${conversationId}`;
    const preview = firstText ? excerpt(firstText.replace(/\s+/g, ' ').trim(), 200) : '';
    const agentId = participants.length === 1 ? participants[0].user_id : null;
    const [ticket] = await q(sql.TICKET_INSERT, [
      userId,
      userId,
      tenantId,
      subject,
      preview,
      customer.id,
      contact.id,
      agentId,
      inbox.id,
      status.id,
      priority?.id ?? null,
      type?.id ?? null,
      source?.id ?? null,
      null,
      conversationId,
      [],
      [],
      [],
      'html',
      null,
    ]);
    const [{ inserted }] = await q(sql.TICKET_COPY_TRANSCRIPT, [ticket.id, 'html', tenantId, conversationId]);
    if (inserted > 0) await q(sql.TICKET_SET_MESSAGE_COUNT, [inserted, tenantId, ticket.id]);
    await q(sql.TICKET_SET_TAGS, [tenantId, ticket.id, [], userId]);
    await q(sql.CONVERSATION_MARK_CONVERTED, [ticket.id, userId, tenantId, conversationId]);
    // ActivityLog.record: the `converted` activity, held for the change's one conversation.converted
    // (activity.presenter.ts's JSON, inside the agents' event).
    const activities = await q(sql.ACTIVITIES_INSERT, [
      JSON.stringify([
        { tenant_id: tenantId, conversation_id: conversationId, type: 'converted', from_value: null, to_value: { id: ticket.id, type: 'tickets' }, reason: null, actor_type: 'user', actor_id: userId },
      ]),
    ]);
    const held = activities.map((a) => ({ id: a.id, conversationId: a.conversationId, type: a.type, from: a.fromValue, to: a.toValue, reason: a.reason, actor: { type: 'users', id: a.actorId }, createdAt: a.createdAt }));
    // TicketsService.announce: the ticket as it now is, then its live event.
    const [stored] = await q(sql.TICKET_BY_ID, [tenantId, ticket.id]);
    const tags = await q(sql.TICKET_TAGS, [tenantId, [ticket.id]]);
    const fields = await q(sql.TICKET_FIELD_VALUES, [tenantId, [ticket.id]]);
    const threadIds = await q(sql.TICKET_LATEST_MESSAGE_IDS, [tenantId, [ticket.id]]);
    const ticketData = { ...stored, tags: tags.map((t) => t.tag_id), customfields: fields, messages: threadIds.map((m) => m.id) };
    await q(sql.OUTBOX_INSERT, [outboxRows([{ tenantId, actorId: userId, name: 'ticket.created', conversationId, data: ticketData }]), OUTBOX_TOPIC]);
    // ConversationsService.announce: the conversation's view, read one after another in the transaction.
    const [converted] = await q(sql.CONVERSATION_BY_ID, [tenantId, conversationId]);
    const contacts = await q(sql.CONTACTS_BY_IDS, [tenantId, [converted.contact_id]]);
    const users = await q(sql.PARTICIPANTS_OF, [tenantId, [conversationId]]);
    const latest = await q(sql.LATEST_MESSAGE_IDS, [tenantId, [conversationId], 100]);
    const online = await q(sql.ONLINE_MEMBERS, [tenantId, [conversationId]]);
    const data = {
      ...converted,
      contact: contacts[0],
      users: users.map((u) => u.user_id),
      messages: latest.filter((m) => !m.public).map((m) => m.id),
      online: online.map((m) => m.member),
    };
    // The change's end (ConversationViews.publish): its one event, the activities in the agents' JSON only.
    await q(sql.OUTBOX_INSERT, [outboxRows([{ tenantId, actorId: userId, name: 'conversation.converted', conversationId, data: { ...data, activities: held } }]), OUTBOX_TOPIC]);
    return data;
  });
  return [200, view];
}

// --- GET /conversations/search (HighLevel) --------------------------------------------------------

const escapeLike = (text) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

async function hlSearch(req, url) {
  if (req.headers.version !== '2021-07-28' && req.headers.version !== '2021-04-15' && req.headers.version !== '2023-02-21') {
    throw new HttpError(400, 'Version header');
  }
  const { tenantId, locationId } = await authenticate(req);
  if (url.searchParams.get('locationId') !== locationId) throw new HttpError(403, 'locationId');
  const query = url.searchParams.get('query') ?? '';
  const limit = Math.min(Number(url.searchParams.get('limit') ?? 20) || 20, 100);
  const pattern = `%${escapeLike(query)}%`;
  // HighLevelRepository.search with a query: one statement for the page and the total.
  const { rows } = await pool.query(sql.HL_SEARCH, [tenantId, pattern, limit]);
  const page = { rows: rows.filter((r) => r.id !== null) };
  const counted = { rows: [{ total: rows[0].searchTotal }] };
  return [
    200,
    {
      conversations: page.rows.map((r) => ({
        id: String(r.id),
        contactId: String(r.contactId),
        locationId,
        lastMessageBody: r.lastMessageBody,
        lastMessageDate: r.lastMessageAt ? r.lastMessageAt.getTime() : null,
        unreadCount: r.unreadCount,
        fullName: `${r.firstName} ${r.lastName}`.trim(),
        email: r.email,
        phone: r.phone,
        sort: [Number(r.sortMs), r.id],
      })),
      total: counted.rows[0].total,
    },
  ];
}

// --- GET /desk/api/v2/conversations/counts.json ----------------------------------------------------

async function queueCounts(req) {
  const { tenantId, userId } = await authenticate(req);
  // QueueCountsRepository.countsFor: one statement.
  const { rows } = await pool.query(sql.QUEUE_COUNTS, [tenantId, userId]);
  const { status, mine, unassigned, teams } = rows[0];
  const { open = 0, pending = 0, snoozed = 0, resolved = 0 } = status;
  return [200, { counts: { status: { open, pending, snoozed, resolved }, mine, unassigned, teams: teams.map((t) => ({ team: { id: t.teamId, type: 'teams' }, open: t.open, unassigned: t.unassigned })) } }];
}

// --- routing ----------------------------------------------------------------------------------------

async function route(req, body) {
  const url = new URL(req.url ?? '/', 'http://floor');
  const p = url.pathname;
  let m;
  if (req.method === 'GET' && p === '/health/ready') return [200, { status: 'ok' }];
  if (req.method === 'POST' && p === '/desk/api/v2/conversationmessages.json') return postMessage(req, body);
  if (req.method === 'POST' && p === '/desk/api/v2/conversationmessages/webhooks.json') return webhook(req, body);
  if (req.method === 'GET' && p === '/desk/api/v2/conversations/counts.json') return queueCounts(req);
  if (req.method === 'GET' && (m = /^\/desk\/api\/v2\/conversations\/(\d+)\.json$/.exec(p))) return getConversation(req, Number(m[1]), url);
  if (req.method === 'GET' && (m = /^\/desk\/api\/v2\/conversations\/(\d+)\/messages\.json$/.exec(p))) return listMessages(req, Number(m[1]), url);
  if (req.method === 'POST' && (m = /^\/desk\/api\/v2\/conversations\/(\d+)\/convert\.json$/.exec(p))) return convert(req, Number(m[1]));
  if (req.method === 'GET' && p === '/conversations/search') return hlSearch(req, url);
  throw new HttpError(404, `no floor for ${req.method} ${p}`);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    route(req, body.toString('utf8'))
      .catch((error) => {
        if (error instanceof HttpError) return [error.status, { error: error.message }];
        process.stderr.write(`floor: ${req.method} ${req.url}: ${error.stack ?? error}\n`);
        return [500, { error: String(error.message ?? error) }];
      })
      .then(([status, payload]) => {
        const text = JSON.stringify(payload);
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      });
  });
});
server.keepAliveTimeout = 72_000;

server.listen(Number(env.PORT), env.HOST ?? '127.0.0.1');

const stop = () => {
  server.close();
  server.closeAllConnections();
  pool.end().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
