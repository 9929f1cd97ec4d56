// Times each statement of the webhook's transaction (the floor's SQL, bench/floor/statements.mjs)
// straight on PostgreSQL, no HTTP, at a given concurrency: where a batch of 20 client-message
// events spends its time, and the events/s the SQL alone allows on this machine.
//
//   npm run bench -- --scenario webhook-ingest --no-build --keep-db     # a seeded database
//   node bench/tools/webhook-sql.mjs helpdesk_bench_<…> [connections=10] [seconds=5] [--without-touch]
//
// --without-touch leaves out the conversations' UPDATE (last message time, unread count, text), to
// see what the inserts alone allow. Its messages stay in the database; drop it when done.
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import pg from 'pg';
import { DEFAULT_SERVER_URL, databaseUrl } from '../lib/database.mjs';
import * as sql from '../floor/statements.mjs';

const [database, connections = '10', seconds = '5'] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const withoutTouch = process.argv.includes('--without-touch');
if (!database) {
  process.stderr.write('usage: node bench/tools/webhook-sql.mjs <database> [connections] [seconds] [--without-touch]\n');
  process.exit(2);
}
const pool = new pg.Pool({ connectionString: databaseUrl(process.env.BENCH_DATABASE_URL || DEFAULT_SERVER_URL, database), max: Number(connections) });

const { rows: conversations } = await pool.query(
  `SELECT c.tenant_id, c.id, c.contact_id FROM conversations c WHERE c.state = 'active' ORDER BY c.id LIMIT 200`,
);
const spent = new Map();
let batches = 0;
let next = 0;
const tag = Date.now().toString(36);

async function batch() {
  const b = next++;
  const at = new Date();
  // As the scenario: 20 distinct conversations a batch, batches overlapping.
  const events = Array.from({ length: 20 }, (_, j) => ({
    conversation: conversations[((b * 20 + j) * 37) % conversations.length],
    clientMessageId: `sql-${tag}-${b}-${j}`,
    message: `Hello, a question about order ${b}-${j}`,
  }));
  const client = await pool.connect();
  const timed = async (name, text, params) => {
    const start = performance.now();
    const result = await client.query(text, params);
    spent.set(name, (spent.get(name) ?? 0) + performance.now() - start);
    return result;
  };
  try {
    await timed('BEGIN', 'BEGIN');
    await timed('WEBHOOK_CONVERSATIONS', sql.WEBHOOK_CONVERSATIONS, [[...new Set(events.map((e) => e.conversation.id))]]);
    const stored = events.map((e) => ({
      tenant_id: e.conversation.tenant_id,
      dedupe_key: `message:${e.conversation.id}:inbound:${e.clientMessageId}`,
      conversation_id: e.conversation.id,
      name: 'client_event',
      channel: `private-conversation-${e.conversation.id}`,
      event: 'client-message',
      user_id: null,
      socket_id: '123.456',
      data: JSON.stringify({ message: e.message, clientMessageId: e.clientMessageId }),
      outcome: 'message',
      reason: null,
    }));
    await timed('WEBHOOK_INSERT_EVENTS', sql.WEBHOOK_INSERT_EVENTS, [JSON.stringify(stored), at.getTime()]);
    const messages = events.map((e) => ({
      tenant_id: e.conversation.tenant_id,
      conversation_id: e.conversation.id,
      user_id: null,
      contact_id: e.conversation.contact_id,
      message: e.message,
      file_ids: [],
      client_message_id: e.clientMessageId,
    }));
    const { rows: created } = await timed('MESSAGES_INSERT', sql.MESSAGES_INSERT, [sql.newMessages(messages), at, null, 'app']);
    if (!withoutTouch) {
      await timed('MESSAGES_TOUCH_CONVERSATIONS', sql.MESSAGES_TOUCH_CONVERSATIONS, [sql.touchedConversations(created), at, null]);
    }
    const outbox = created.map((m) => ({ tenant_id: m.tenantId, created_by: null, payload: { event: 'message.created', channels: [], data: m, socketId: null } }));
    await timed('OUTBOX_INSERT', sql.OUTBOX_INSERT, [JSON.stringify(outbox), 'bench-floor']);
    await timed('COMMIT', 'COMMIT');
    batches++;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const started = performance.now();
const until = Date.now() + Number(seconds) * 1000;
await Promise.all(Array.from({ length: Number(connections) }, async () => {
  while (Date.now() < until) await batch();
}));
const elapsed = (performance.now() - started) / 1000;
await pool.end();
const lines = [`${connections} connections${withoutTouch ? ', without the conversations UPDATE' : ''}: ${Math.round((batches * 20) / elapsed)} events/s (${batches} batches of 20)`];
for (const [name, ms] of spent) lines.push(`  ${name.padEnd(28)} ${(ms / batches).toFixed(2).padStart(7)} ms a batch`);
process.stdout.write(`${lines.join('\n')}\n`);
