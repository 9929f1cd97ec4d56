import { QueryFailedError } from 'typeorm';
import { MessagesRepository } from '../apps/api/src/conversations/messages/messages.repository';
import { BASE } from './support/desk';
import { clientMessageEvent, sendSignedWebhook } from './support/signed-webhook';
import { createContact, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const PUSHER = { PUSHER_APP_ID: '1', PUSHER_KEY: 'app-key', PUSHER_SECRET: 'app-secret' };
// HighLevel's burst limit (100 a window by default) would refuse part of a round of 200.
const UNLIMITED_HIGHLEVEL = { HL_RATE_LIMIT_MAX: '1000000', HL_RATE_LIMIT_DAILY: '1000000000' };
const VERSION = '2021-07-28';
const ROUNDS = 2;
const CONVERSATIONS_PER_ROUND = 5;
const OPERATIONS_PER_ROUND = 200;

// A repeatable sequence (mulberry32), so a failing mix can be run again as it was.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Chat {
  id: number;
  contactId: number;
}

// A message a client was told is stored: its text is unique in the run.
interface Acknowledged {
  text: string;
  door: string;
}

type Operation = () => Promise<{ status: number; body: Record<string, unknown>; door: string; texts: string[] }>;

// Every way a message reaches a conversation, its conversion, and a rename of the settings row its
// ticket refers to, 200 at once on five conversations:
// no deadlock or serialization failure reaches a client, nothing acknowledged is lost, and a
// message of a converted conversation is in its ticket's thread exactly once.
describe('Concurrent conversions and messages on the same conversations', () => {
  let t: TestApp;
  let acme: TestTenant;
  // The source every converted chat's ticket refers to: renamed by an admin in the mix, under the
  // settings' row lock, while tickets that reference it are inserted.
  let chatSourceId: number;

  beforeAll(async () => {
    t = await createTestApp({ ...PUSHER, ...UNLIMITED_HIGHLEVEL });
    acme = await createTenant(t, 'Acme');
    [{ id: chatSourceId }] = await t.db.query(`SELECT id FROM ticket_sources WHERE tenant_id = $1 AND code = 'chat'`, [acme.tenantId]);
  });
  afterAll(() => t.close());

  let sequence = 0;
  const text = (door: string) => `${door} #${sequence++}`;

  async function chat(): Promise<Chat> {
    const { contactId } = await createContact(t.db, acme.tenantId);
    const res = await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId });
    expect(res.status).toBe(201);
    return { id: res.body.conversation.id, contactId };
  }

  const idempotencyKey = () => `k-${sequence++}-${Math.random().toString(36).slice(2)}`;
  const answer = (door: string, texts: string[]) => (res: { status: number; body: Record<string, unknown> }) => ({ status: res.status, body: res.body, door, texts });

  const convert = (c: Chat): Operation => () =>
    t.http.post(`${BASE}/conversations/${c.id}/convert.json`).set('Authorization', acme.auth).set('Idempotency-Key', idempotencyKey()).send({}).then(answer('convert', []));

  const deskPost = (c: Chat): Operation => () => {
    const message = text('desk');
    return t.http
      .post(`${BASE}/conversationmessages.json`)
      .set('Authorization', acme.auth)
      .set('Idempotency-Key', idempotencyKey())
      .send({ conversationId: c.id, message, clientMessageId: `c-${message}` })
      .then(answer('desk', [message]));
  };

  const highLevelSend = (c: Chat, named: boolean): Operation => () => {
    const message = text(named ? 'highlevel-named' : 'highlevel-contact');
    return t.http
      .post('/conversations/messages')
      .set('Authorization', acme.auth)
      .set('Version', VERSION)
      .set('Idempotency-Key', idempotencyKey())
      .send({ type: 'Live_Chat', contactId: String(c.contactId), message, ...(named ? { conversationId: String(c.id) } : {}) })
      .then(answer(named ? 'highlevel-named' : 'highlevel-contact', [message]));
  };

  const webhook = (chats: Chat[]): Operation => () => {
    const messages = chats.map((c) => ({ c, message: text('webhook') }));
    const events = messages.map(({ c, message }) => clientMessageEvent(c.id, { message, clientMessageId: `w-${message}` }));
    return sendSignedWebhook(t.http, events, { key: PUSHER.PUSHER_KEY, secret: PUSHER.PUSHER_SECRET })
      .then(answer('webhook', messages.map((m) => m.message)));
  };

  const renameChatSource = (): Operation => () =>
    t.http.patch(`${BASE}/ticketsources/${chatSourceId}.json`).set('Authorization', acme.auth).send({ name: text('Chat') }).then(answer('settings', []));

  // One round: each conversation converted twice at random places among messages of every door.
  function mix(chats: Chat[], next: () => number): Operation[] {
    const pick = () => chats[Math.floor(next() * chats.length)];
    const operations: Operation[] = [];
    while (operations.length < OPERATIONS_PER_ROUND - 2 * chats.length) {
      const roll = next();
      if (roll < 0.25) operations.push(highLevelSend(pick(), true));
      else if (roll < 0.45) operations.push(highLevelSend(pick(), false));
      else if (roll < 0.72) operations.push(deskPost(pick()));
      else if (roll < 0.95) operations.push(webhook([pick(), pick()]));
      else operations.push(renameChatSource());
    }
    for (const c of [...chats, ...chats]) operations.splice(Math.floor(next() * (operations.length + 1)), 0, convert(c));
    return operations;
  }

  it('should let no deadlock reach a client, lose no acknowledged message, and copy every message of a converted conversation to its thread once', async () => {
    const seed = Number(process.env.CONCURRENCY_SEED ?? Date.now() % 1_000_000);
    const next = random(seed);
    const acknowledged: Acknowledged[] = [];
    const refused: string[] = [];
    const conversions = new Map<number, number>();
    const chats: Chat[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      const roundChats = await Promise.all(Array.from({ length: CONVERSATIONS_PER_ROUND }, () => chat()));
      chats.push(...roundChats);
      const answers = await Promise.all(mix(roundChats, next).map((operation) => operation()));
      for (const [index, a] of answers.entries()) {
        if (a.status >= 200 && a.status < 300) {
          acknowledged.push(...a.texts.map((text) => ({ text, door: a.door })));
          if (a.door === 'convert') conversions.set(a.body.id as number, (conversions.get(a.body.id as number) ?? 0) + 1);
        } else if (!(a.door === 'convert' && a.status === 409 && JSON.stringify(a.body).includes('already converted'))) {
          refused.push(`round ${round} #${index} ${a.door}: ${a.status} ${JSON.stringify(a.body)}`);
        }
      }
    }

    // The seed repeats the mix: CONCURRENCY_SEED=<seed>; every check below names it.
    expect({ seed, refused }).toEqual({ seed, refused: [] });
    expect(acknowledged.length).toBeGreaterThan(ROUNDS * OPERATIONS_PER_ROUND * 0.8);
    expect({ seed, conversions: chats.map((c) => conversions.get(c.id)) }).toEqual({ seed, conversions: chats.map(() => 1) });

    const stored: { message: string; id: number; user_id: number | null; contact_id: number | null; ticket_id: number | null }[] = await t.db.query(
      `SELECT m.message, m.id, m.user_id, m.contact_id, c.ticket_id
         FROM conversation_messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
        WHERE m.tenant_id = $1 AND m.message = ANY($2::text[])`,
      [acme.tenantId, acknowledged.map((a) => a.text)],
    );
    const byText = new Map(stored.map((row) => [row.message, row]));
    expect({ seed, lost: acknowledged.filter((a) => !byText.has(a.text)) }).toEqual({ seed, lost: [] });
    expect(stored).toHaveLength(acknowledged.length);

    // Every message of a converted conversation, before the conversion or after, is in the thread
    // once, by its author.
    const thread: { conversation_message_id: number; ticket_id: number; user_id: number | null; contact_id: number | null; copies: number }[] =
      await t.db.query(
        `SELECT conversation_message_id, ticket_id, user_id, contact_id, count(*) OVER (PARTITION BY conversation_message_id)::int AS copies
           FROM ticket_messages WHERE tenant_id = $1 AND conversation_message_id IS NOT NULL`,
        [acme.tenantId],
      );
    const copied = new Map(thread.map((row) => [row.conversation_message_id, row]));
    const converted = stored.filter((row) => row.ticket_id !== null);
    expect(converted.length).toBeGreaterThan(acknowledged.length / 2);
    const wrong = converted.filter((row) => {
      const copy = copied.get(row.id);
      return !copy || copy.copies !== 1 || copy.ticket_id !== row.ticket_id || copy.user_id !== row.user_id || copy.contact_id !== row.contact_id;
    });
    expect({ seed, wrong }).toEqual({ seed, wrong: [] });
    // The tickets count their threads.
    const counts = await t.db.query(
      `SELECT t.id FROM tickets t
        WHERE t.tenant_id = $1 AND t.message_count <> (SELECT count(*) FROM ticket_messages tm WHERE tm.tenant_id = t.tenant_id AND tm.ticket_id = t.id)`,
      [acme.tenantId],
    );
    expect({ seed, counts }).toEqual({ seed, counts: [] });
  }, 60_000);

  // A deadlock PostgreSQL would report, raised after the attempt has written its message.
  const deadlock = () => new QueryFailedError('UPDATE conversations …', [], Object.assign(new Error('deadlock detected'), { code: '40P01' }));

  describe('a transaction PostgreSQL aborts for a deadlock', () => {
    const stored = async (message: string) =>
      Number((await t.db.query(`SELECT count(*) FROM conversation_messages WHERE tenant_id = $1 AND message = $2`, [acme.tenantId, message]))[0].count);
    const keyRow = async (key: string) =>
      (await t.db.query(`SELECT response_status FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, [acme.tenantId, key]))[0];
    const post = (body: object, key: string) =>
      t.inProcessHttp.post(`${BASE}/conversationmessages.json`).set('Authorization', acme.auth).set('Idempotency-Key', key).send(body);

    // Posts with the first `deadlocks` attempts failing after their message is written, watching the
    // in-process app's repository (so it sends to that app): the answer and how many attempts ran.
    async function postThroughDeadlocks(deadlocks: number, body: object, key: string) {
      const repository = t.app.get(MessagesRepository);
      const touch = repository.touchConversations.bind(repository);
      let failed = 0;
      const spy = jest.spyOn(repository, 'touchConversations').mockImplementation(async (...args) => {
        const reopened = await touch(...args);
        if (failed++ < deadlocks) throw deadlock();
        return reopened;
      });
      try {
        const res = await post(body, key);
        return { res, attempts: spy.mock.calls.length };
      } finally {
        spy.mockRestore();
      }
    }

    it('should run the whole request again, its Idempotency-Key claim included, and answer as if nothing happened', async () => {
      const c = await chat();
      const body = { conversationId: c.id, message: 'after a deadlock' };

      const { res, attempts } = await postThroughDeadlocks(1, body, 'retried-key');

      expect(res.status).toBe(201);
      expect(attempts).toBe(2);
      expect(await stored('after a deadlock')).toBe(1);
      expect(await keyRow('retried-key')).toEqual({ response_status: 201 });
      const replay = await post(body, 'retried-key');
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body.conversationmessage.id).toBe(res.body.conversationmessage.id);
    });

    it('should give up after three attempts with 409 CONCURRENT_UPDATE, having written nothing', async () => {
      const c = await chat();

      const { res, attempts } = await postThroughDeadlocks(Infinity, { conversationId: c.id, message: 'never through' }, 'doomed-key');

      expect(res.status).toBe(409);
      expect(res.headers['x-error-code']).toBe('CONCURRENT_UPDATE');
      expect(attempts).toBe(3);
      expect(await stored('never through')).toBe(0);
      expect(await keyRow('doomed-key')).toBeUndefined();
    });
  });
});
