// POST /desk/api/v2/conversationmessages.json: agents posting to distinct conversations of the
// ten tenants, each request with its tenant's key. Target: at least half the floor's rate.
import { conversationsAcrossTenants, SENTENCES } from '../lib/seed.mjs';
import { measurePair, target } from './common.mjs';

const PER_TENANT = 100;
const SEEDED_MESSAGES = 4;

export default {
  name: 'message-post',
  describe: `POST /desk/api/v2/conversationmessages.json, 50 connections, rotating over ${PER_TENANT * 10} conversations and the 10 tenants' keys`,
  seedRows: () => PER_TENANT * 10 * (3 + SEEDED_MESSAGES),

  async seed(ctx, progress) {
    const conversations = await conversationsAcrossTenants(ctx.pool, ctx.tenants, PER_TENANT, {
      label: 'mp',
      messages: SEEDED_MESSAGES,
      progress,
    });
    return { conversations };
  },

  async run(ctx, { conversations }) {
    const keyOf = new Map(ctx.tenants.map((t) => [t.id, t.key]));
    const makeNext = (phase) => {
      let i = 0;
      return () => {
        const conversation = conversations[i % conversations.length];
        const n = i++;
        return {
          method: 'POST',
          path: '/desk/api/v2/conversationmessages.json',
          headers: { authorization: `Bearer ${keyOf.get(conversation.tenantId)}`, 'content-type': 'application/json' },
          body: JSON.stringify({ conversationId: conversation.id, message: `${SENTENCES[n % SENTENCES.length]} (${phase} ${n})` }),
        };
      };
    };
    const row = await measurePair(ctx, { label: 'message-post', connections: 50, makeNext });
    return {
      rows: [row],
      targets: [target('message-post', 'service ≥ 0.5 × floor', row.ratio !== null && row.ratio >= 0.5, `ratio ${row.ratio ?? '–'}`)],
    };
  },
};
