// GET /desk/api/v2/conversations/{id}/messages.json of one conversation with 100,000 messages: the
// first page, and the last page reached by cursor. Target: the deep page's p50 at most 1.2 × the
// first page's (a cursor makes page 1,000 cost what page 1 costs).
import { Buffer } from 'node:buffer';
import { addMessages, createConversations } from '../lib/seed.mjs';
import { request } from '../lib/util.mjs';
import { measurePair, target } from './common.mjs';

const MESSAGES = 100_000;
const SMOKE_MESSAGES = 20_000;
const messagesFor = (options) => (options.smoke ? SMOKE_MESSAGES : MESSAGES);
const PAGE_SIZE = 100;
// Latency is what is compared: a light load (2 per core), not a queue.
const CONNECTIONS = 4;

export default {
  name: 'messages-deep-page',
  describe: `GET /desk/api/v2/conversations/{id}/messages.json?pageSize=${PAGE_SIZE}, first page and last page by cursor, one conversation of ${MESSAGES.toLocaleString('en')} messages (smoke: ${SMOKE_MESSAGES.toLocaleString('en')}), ${CONNECTIONS} connections`,
  seedRows: (options) => 3 + messagesFor(options),

  async seed(ctx, progress) {
    const tenant = ctx.tenants[0];
    const [conversation] = await createConversations(ctx.pool, { tenant, count: 1, label: 'dp', progress });
    await addMessages(ctx.pool, { tenant, conversations: [conversation], perConversation: messagesFor(ctx.options), progress, label: 'dp' });
    return { tenant, conversation };
  },

  async run(ctx, { tenant, conversation }) {
    const headers = { authorization: `Bearer ${tenant.key}` };
    const base = `/desk/api/v2/conversations/${conversation.id}/messages.json?pageSize=${PAGE_SIZE}`;
    const cursor = await deepCursor(ctx, tenant, conversation, base, headers);
    const deepPath = `${base}&cursor=${cursor.text}`;
    // Both servers must answer the deep page with the conversation's last messages.
    for (const [who, url] of [['service', ctx.serviceUrl], ['floor', ctx.floorUrl]]) {
      const res = await request(url, { path: deepPath, headers });
      const rows = res.json?.conversationmessages ?? [];
      if (res.status !== 200 || rows.length !== PAGE_SIZE || rows[0].id !== cursor.firstIdAfter || res.json.meta.page.hasMore !== false) {
        throw new Error(`messages-deep-page: the ${who}'s deep page is not the last page (HTTP ${res.status}): ${res.body.slice(0, 300)}`);
      }
    }
    const makeNext = (path) => () => () => ({ method: 'GET', path, headers });
    const first = await measurePair(ctx, { label: 'messages-deep-page first', connections: CONNECTIONS, makeNext: makeNext(base) });
    const deep = await measurePair(ctx, { label: 'messages-deep-page deep', connections: CONNECTIONS, makeNext: makeNext(deepPath) });
    const limit = first.p50 * 1.2;
    return {
      rows: [first, deep],
      targets: [
        target(
          'messages-deep-page',
          'deep p50 ≤ 1.2 × first-page p50',
          deep.p50 <= limit,
          `deep p50 ${deep.p50} ms, first p50 ${first.p50} ms (limit ${limit.toFixed(1)} ms); floor: deep ${deep.floorP50} ms, first ${first.floorP50} ms`,
        ),
      ],
    };
  },
};

// The cursor of the page before the last one, built as libs/common/src/list/list-cursor.ts builds
// it: the service's own first-page cursor gives the version, order and filter fingerprint; the
// value (PostgreSQL's text of created_at, in the same server's default time zone) and the id come
// from the row the deep page follows.
async function deepCursor(ctx, tenant, conversation, base, headers) {
  const res = await request(ctx.serviceUrl, { path: base, headers });
  const nextCursor = res.json?.meta?.page?.nextCursor;
  if (res.status !== 200 || !nextCursor) throw new Error(`messages-deep-page: no first page from the service: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  const decoded = JSON.parse(Buffer.from(nextCursor, 'base64url').toString('utf8'));
  const { rows } = await ctx.pool.query(
    `SELECT created_at::text AS value, id, lead(id) OVER (ORDER BY created_at, id) AS next_id FROM (
       SELECT created_at, id FROM conversation_messages
        WHERE tenant_id = $1 AND conversation_id = $2 AND state = 'active'
        ORDER BY created_at DESC, id DESC LIMIT $3) last ORDER BY created_at, id LIMIT 1`,
    [tenant.id, conversation.id, PAGE_SIZE + 1],
  );
  const [version, orderBy, orderMode, , , fingerprint] = decoded;
  const text = Buffer.from(JSON.stringify([version, orderBy, orderMode, rows[0].value, rows[0].id, fingerprint])).toString('base64url');
  return { text, firstIdAfter: rows[0].next_id };
}
