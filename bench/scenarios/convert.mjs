// POST /desk/api/v2/conversations/{id}/convert.json: conversations of 100, 1,000 and 10,000
// messages, each converted once, one conversion at a time (latency per conversion). The floor
// converts its own, identical conversations with the same statements in one transaction.
// Targets: the 1,000-message p50 at most 250 ms; the 10,000-message p50 at most 12 × that.
import { addMessages, createConversations } from '../lib/seed.mjs';
import { runSequential } from '../lib/load.mjs';
import { note } from '../lib/util.mjs';
import { outboxBacklog, rowOf, target, withUnrecordedErrors } from './common.mjs';

const FULL = { 100: 20, 1000: 10, 10000: 3 };
const SMOKE = { 100: 2, 1000: 1, 10000: 1 };
const WARMUP = 3; // conversations of 100 messages per side: one converted before each size, not recorded

const plan = (options) => (options.smoke ? SMOKE : FULL);

export default {
  name: 'convert',
  describe: 'POST /desk/api/v2/conversations/{id}/convert.json with {}, sequential, conversations of 100, 1,000 and 10,000 messages',
  seedRows: (options) =>
    2 * Object.entries({ ...plan(options), warmup: WARMUP }).reduce((sum, [size, count]) => sum + count * (4 + (size === 'warmup' ? 100 : Number(size))), 0),

  async seed(ctx, progress) {
    const sets = { service: {}, floor: {} };
    let t = 0;
    const make = async (size, count) => {
      const tenant = ctx.tenants[t % ctx.tenants.length];
      // Letters only: a label and a number make an email, and `cv1` + `11` must not meet `cv11` + `1`.
      const label = `cv${toLetters(t++)}`;
      const conversations = await createConversations(ctx.pool, { tenant, count, label, participants: true, progress });
      await addMessages(ctx.pool, { tenant, conversations, perConversation: size, progress, label: `convert ${size}` });
      return conversations.map((c) => ({ ...c, key: tenant.key }));
    };
    for (const side of ['service', 'floor']) {
      sets[side].warmup = await make(100, WARMUP);
      for (const [size, count] of Object.entries(plan(ctx.options))) sets[side][size] = await make(Number(size), count);
    }
    return { sets };
  },

  async run(ctx, { sets }) {
    const convertRequest = (c) => ({
      method: 'POST',
      path: `/desk/api/v2/conversations/${c.id}/convert.json`,
      headers: { authorization: `Bearer ${c.key}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const expect = (_status, json) => (json && typeof json.ticket_id === 'number' ? null : `no ticket_id in the answer: ${JSON.stringify(json).slice(0, 200)}`);
    const rows = [];
    const p50 = {};
    for (const size of Object.keys(plan(ctx.options)).map(Number)) {
      const label = `convert ${size.toLocaleString('en')} msgs`;
      note(`  ${label}: service then floor, ${sets.service[size].length} conversions each, one at a time…`);
      ctx.rss.startWindow();
      const serviceWarmup = await runSequential(ctx.serviceUrl, sets.service.warmup.splice(0, 1).map(convertRequest), { expect });
      const service = withUnrecordedErrors(await runSequential(ctx.serviceUrl, sets.service[size].map(convertRequest), { expect }), [serviceWarmup]);
      const peakRss = ctx.rss.endWindow();
      service.outboxBacklog = await outboxBacklog(ctx);
      const floorWarmup = await runSequential(ctx.floorUrl, sets.floor.warmup.splice(0, 1).map(convertRequest), { expect });
      const floor = withUnrecordedErrors(await runSequential(ctx.floorUrl, sets.floor[size].map(convertRequest), { expect }), [floorWarmup]);
      // Every ticket holds the whole transcript.
      for (const [who, result, list] of [['service', service, sets.service[size]], ['floor', floor, sets.floor[size]]]) {
        const { rows: bad } = await ctx.pool.query(
          `SELECT c.id, t.message_count FROM conversations c LEFT JOIN tickets t ON t.tenant_id = c.tenant_id AND t.id = c.ticket_id
            WHERE c.id = ANY($1::bigint[]) AND (t.id IS NULL OR t.message_count <> $2)`,
          [list.map((c) => c.id), size],
        );
        if (bad.length > 0) {
          result.errors += bad.length;
          result.samples.push(`${who}: ${bad.length} conversations without a ticket of ${size} messages (e.g. ${JSON.stringify(bad[0])})`);
        }
      }
      p50[size] = service.p50;
      rows.push(rowOf(label, service, floor, { peakRss }));
    }
    const limit10k = p50[1000] * 12;
    return {
      rows,
      targets: [
        target('convert', '1,000-message p50 ≤ 250 ms', p50[1000] <= 250, `p50 ${p50[1000]} ms`),
        target('convert', '10,000-message p50 ≤ 12 × the 1,000 p50', p50[10000] <= limit10k, `p50 ${p50[10000]} ms (limit ${limit10k.toFixed(0)} ms)`),
      ],
    };
  },
};

function toLetters(n) {
  let s = '';
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
}
