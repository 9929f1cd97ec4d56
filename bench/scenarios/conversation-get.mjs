// GET /desk/api/v2/conversations/{id}.json?includes=contacts,users over conversations of the ten
// tenants, each with a participant and 20 messages. Target: at least half the floor's rate.
import { conversationsAcrossTenants } from '../lib/seed.mjs';
import { measurePair, target } from './common.mjs';

const PER_TENANT = 100;
const SEEDED_MESSAGES = 20;

export default {
  name: 'conversation-get',
  describe: `GET /desk/api/v2/conversations/{id}.json?includes=contacts,users, 50 connections, rotating over ${PER_TENANT * 10} conversations and the 10 tenants' keys`,
  seedRows: () => PER_TENANT * 10 * (4 + SEEDED_MESSAGES),

  async seed(ctx, progress) {
    const conversations = await conversationsAcrossTenants(ctx.pool, ctx.tenants, PER_TENANT, {
      label: 'cg',
      messages: SEEDED_MESSAGES,
      participants: true,
      progress,
    });
    return { conversations };
  },

  async run(ctx, { conversations }) {
    const keyOf = new Map(ctx.tenants.map((t) => [t.id, t.key]));
    const makeNext = () => {
      let i = 0;
      return () => {
        const conversation = conversations[i++ % conversations.length];
        return {
          method: 'GET',
          path: `/desk/api/v2/conversations/${conversation.id}.json?includes=contacts,users`,
          headers: { authorization: `Bearer ${keyOf.get(conversation.tenantId)}` },
        };
      };
    };
    const row = await measurePair(ctx, { label: 'conversation-get', connections: 50, makeNext });
    return {
      rows: [row],
      targets: [target('conversation-get', 'service ≥ 0.5 × floor', row.ratio !== null && row.ratio >= 0.5, `ratio ${row.ratio ?? '–'}`)],
    };
  },
};
