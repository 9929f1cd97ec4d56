// POST /desk/api/v2/conversationmessages/webhooks.json: Pusher's signed batches of 20 client-message
// events over 200 conversations, every event with a fresh clientMessageId. Reported as events/s.
// Targets: at least 20,000 events/s, and at least half the floor's rate.
import { createHmac } from 'node:crypto';
import { conversationsAcrossTenants, SENTENCES } from '../lib/seed.mjs';
import { measurePair, target } from './common.mjs';

const PER_TENANT = 20;
const EVENTS_PER_BATCH = 20;
const MIN_EVENTS_PER_SECOND = 20_000;

export default {
  name: 'webhook-ingest',
  describe: `POST /desk/api/v2/conversationmessages/webhooks.json, 50 connections, signed batches of ${EVENTS_PER_BATCH} client-message events over ${PER_TENANT * 10} conversations`,
  seedRows: () => PER_TENANT * 10 * 3,

  async seed(ctx, progress) {
    const conversations = await conversationsAcrossTenants(ctx.pool, ctx.tenants, PER_TENANT, { label: 'wh', progress });
    return { conversations };
  },

  async run(ctx, { conversations }) {
    const { key, secret } = ctx.pusher;
    const runTag = Date.now().toString(36);
    const makeNext = (phase) => {
      let batch = 0;
      return () => {
        const b = batch++;
        const events = [];
        for (let j = 0; j < EVENTS_PER_BATCH; j++) {
          // 37 is prime to 200: each batch names 20 distinct conversations, and batches overlap.
          const conversation = conversations[((b * EVENTS_PER_BATCH + j) * 37) % conversations.length];
          events.push({
            name: 'client_event',
            channel: `private-conversation-${conversation.id}`,
            event: 'client-message',
            data: JSON.stringify({ message: SENTENCES[(b + j) % SENTENCES.length], clientMessageId: `bench-${runTag}-${phase}-${b}-${j}` }),
            socket_id: '123.456',
          });
        }
        const body = JSON.stringify({ time_ms: Date.now(), events });
        return {
          method: 'POST',
          path: '/desk/api/v2/conversationmessages/webhooks.json',
          headers: {
            'content-type': 'application/json',
            'x-pusher-key': key,
            'x-pusher-signature': createHmac('sha256', secret).update(body).digest('hex'),
          },
          body,
        };
      };
    };
    // A 201 that did not create all 20 messages (duplicates, ignored events) is an error too.
    const check = (_status, body) => {
      const text = String(body);
      const at = text.lastIndexOf('"created":');
      const created = at < 0 ? NaN : Number.parseInt(text.slice(at + 10), 10);
      return created === EVENTS_PER_BATCH ? null : `batch created ${created} of ${EVENTS_PER_BATCH} messages: ${text.slice(-200)}`;
    };
    const row = await measurePair(ctx, { label: 'webhook-ingest', connections: 50, makeNext, check, unitFactor: EVENTS_PER_BATCH });
    return {
      rows: [row],
      targets: [
        target('webhook-ingest', `≥ ${MIN_EVENTS_PER_SECOND.toLocaleString('en')} events/s`, row.service.rate >= MIN_EVENTS_PER_SECOND, `${row.service.rate} events/s`),
        target('webhook-ingest', 'service ≥ 0.5 × floor', row.ratio !== null && row.ratio >= 0.5, `ratio ${row.ratio ?? '–'}`),
      ],
    };
  },
};
