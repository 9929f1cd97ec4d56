// HighLevel's GET /conversations/search?locationId=…&query=… over one tenant's 100,000
// conversations (varied customer names, emails and phones; every conversation with two messages),
// the query rotating over terms of very different selectivity. Target: p50 at most 50 ms.
import { addMessages, createConversations } from '../lib/seed.mjs';
import { request } from '../lib/util.mjs';
import { measurePair, target } from './common.mjs';

const CONVERSATIONS = 100_000;
const SMOKE_CONVERSATIONS = 10_000;
const conversationsFor = (options) => (options.smoke ? SMOKE_CONVERSATIONS : CONVERSATIONS);
const MESSAGES_EACH = 2;
// A latency target: a light load (2 per core), not a queue.
const CONNECTIONS = 4;

// From common to absent: a first name, a last name, an email domain, a phone fragment, a word of
// the last message, a full name, and a term nothing matches (the whole tenant is searched).
export const TERMS = ['maria', 'tanaka', 'example.org', '555 12', 'refund', 'zoe zimmermann', 'zzqx'];

export default {
  name: 'hl-search',
  describe: `GET /conversations/search?locationId=…&query=<term> (HighLevel, Version 2021-07-28), ${CONNECTIONS} connections, ${CONVERSATIONS.toLocaleString('en')} conversations of one tenant (smoke: ${SMOKE_CONVERSATIONS.toLocaleString('en')}), terms: ${TERMS.join(', ')}`,
  seedRows: (options) => conversationsFor(options) * (3 + MESSAGES_EACH),

  async seed(ctx, progress) {
    const tenant = ctx.tenants.at(-1);
    const conversations = await createConversations(ctx.pool, { tenant, count: conversationsFor(ctx.options), label: 'hl', progress });
    await addMessages(ctx.pool, { tenant, conversations, perConversation: MESSAGES_EACH, progress, label: 'hl' });
    return { tenant };
  },

  async run(ctx, { tenant }) {
    const headers = { authorization: `Bearer ${tenant.key}`, version: '2021-07-28' };
    const pathOf = (term) => `/conversations/search?locationId=${tenant.locationId}&query=${encodeURIComponent(term)}`;
    // Both servers agree on every term's total before anything is timed.
    const totals = {};
    for (const term of TERMS) {
      const [service, floor] = await Promise.all([ctx.serviceUrl, ctx.floorUrl].map((url) => request(url, { path: pathOf(term), headers })));
      if (service.status !== 200 || floor.status !== 200 || service.json?.total !== floor.json?.total) {
        throw new Error(`hl-search '${term}': service HTTP ${service.status} total ${service.json?.total}, floor HTTP ${floor.status} total ${floor.json?.total}: ${service.body.slice(0, 200)}`);
      }
      totals[term] = service.json.total;
    }
    const makeNext = () => {
      let i = 0;
      return () => ({ method: 'GET', path: pathOf(TERMS[i++ % TERMS.length]), headers });
    };
    // Every term answered at least twice (once in a smoke run), however slow the search.
    const minRequests = (ctx.options.smoke ? 1 : 2) * TERMS.length;
    const row = await measurePair(ctx, { label: 'hl-search', connections: CONNECTIONS, makeNext, minRequests });
    row.totals = totals;
    return {
      rows: [row],
      targets: [target('hl-search', 'p50 ≤ 50 ms', row.p50 <= 50, `p50 ${row.p50} ms`)],
    };
  },
};
