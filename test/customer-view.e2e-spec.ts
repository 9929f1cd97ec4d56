import { BASE, DOCUMENTED_CONVERSATION_FIELDS } from './support/desk';
import { sendSignedWebhook } from './support/signed-webhook';
import { createAgent, createTenant, TestTenant } from './support/factories';
import { FakePusher, ReceivedEvent, startFakePusher } from './support/pusher-server';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

// The shape of a customer-visible answer, written here by hand: a leaf (0), a list of one shape, or
// an object with exactly these keys. A key an agent's presenter gains fails here until someone
// adds it to the customer's view (apps/api/src/customer-view) and to these lists.
type Shape = 0 | Shape[] | { [key: string]: Shape };
const LEAF = 0 as const;

const REF = { id: LEAF, type: LEAF };
const CONTACT = { id: LEAF, type: LEAF, value: LEAF, isMain: LEAF };
const CONVERSATION = {
  id: LEAF,
  state: LEAF,
  converted: LEAF,
  contactId: LEAF,
  contact: CONTACT,
  messages: [REF],
  users: [REF],
  lastMessageAt: LEAF,
  createdAt: LEAF,
  updatedAt: LEAF,
};
const MESSAGE = {
  id: LEAF,
  conversationId: LEAF,
  userId: LEAF,
  contactId: LEAF,
  message: LEAF,
  files: [REF],
  clientMessageId: LEAF,
  state: LEAF,
  createdAt: LEAF,
  updatedAt: LEAF,
};
const TOMBSTONE = { id: LEAF, conversationId: LEAF, state: LEAF, createdAt: LEAF, updatedAt: LEAF, deletedAt: LEAF };
const CUSTOMER = { id: LEAF, firstName: LEAF, lastName: LEAF, contacts: [REF] };
const AGENT = { id: LEAF, name: LEAF };
const FILE = { id: LEAF, filename: LEAF, mimeType: LEAF, size: LEAF, createdAt: LEAF };
const MESSAGES: Shape = [MESSAGE];
const PAGE = { page: { count: LEAF, pageSize: LEAF, pageOffset: LEAF, pages: LEAF, hasMore: LEAF, nextCursor: LEAF } };

// What each include adds under `included`, per endpoint.
const CONVERSATION_INCLUDES: Record<string, Shape> = { contacts: [CONTACT], customers: [CUSTOMER], users: [AGENT], conversationmessages: MESSAGES };
const HISTORY_INCLUDES: Record<string, Shape> = { contacts: [CONTACT], customers: [CUSTOMER], users: [AGENT], files: [FILE] };

// Lists of shapes met with at least one element: a list always empty would check nothing.
const filled = new Set<Shape>();

function expectShape(value: unknown, shape: Shape, path = '$'): void {
  if (shape === LEAF) {
    expect({ path, object: value !== null && typeof value === 'object' }).toEqual({ path, object: false });
    return;
  }
  if (Array.isArray(shape)) {
    expect({ path, list: Array.isArray(value) }).toEqual({ path, list: true });
    (value as unknown[]).forEach((item, index) => expectShape(item, shape[0], `${path}[${index}]`));
    if ((value as unknown[]).length > 0) filled.add(shape);
    return;
  }
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  expect({ path, object: isObject }).toEqual({ path, object: true });
  const record = value as Record<string, unknown>;
  expect({ path, keys: Object.keys(record).sort() }).toEqual({ path, keys: Object.keys(shape).sort() });
  for (const [key, inner] of Object.entries(shape)) expectShape(record[key], inner, `${path}.${key}`);
}

function listsOf(shape: Shape): Shape[] {
  if (shape === LEAF) return [];
  if (Array.isArray(shape)) return [shape, ...listsOf(shape[0])];
  return Object.values(shape).flatMap(listsOf);
}

// Keys of the agents' views that no customer answer or event may hold, at any depth.
const AGENTS_ONLY_KEYS = ['private', 'mentions', 'mentionedBy', 'status', 'priority', 'assignee', 'team', 'labels', 'waitingSince', 'firstReplyAt', 'resolvedAt', 'snoozedUntil', 'token', 'activities'];

// Everything the agents know and the customer must never see carries this mark.
const SECRET = 'SECRET';
// Public once (its message.created reached the widget), then deleted: never shown again.
const DELETED_TEXT = 'Sent by mistake';

describe("The customer's view: what a conversation token and the conversation's channels show", () => {
  let pusher: FakePusher;
  let t: TestApp;
  let acme: TestTenant;
  let agent: { id: number; auth: string };
  let agentEmail: string;
  let agentName: string;
  const seed = {} as {
    customerId: number;
    contactId: number;
    conversationId: number;
    token: string;
    fileId: number;
    sha256: string;
    ticketId: number;
    deletedId: number;
    // Private notes (written, edited, deleted, and one after the conversion) and the file only a note carries.
    noteIds: number[];
    noteFileId: number;
    mentionedId: number;
  };
  // Every answer and event the customer can reach, for the secrets check at the end.
  const seen: unknown[] = [];
  const events = new WeakSet<object>();
  // The one thing a customer saw that may hold the deleted text: its creation, sent before the deletion.
  const markCreationOfDeleted = (data: unknown) => (events.add(data as object), data);
  const isCreationOfDeleted = (item: unknown) => events.has(item as object);

  const api = () => ({
    post: (path: string, body: object, auth = acme.auth) => t.http.post(`${BASE}/${path}`).set('Authorization', auth).send(body),
    patch: (path: string, body: object, auth = acme.auth) => t.http.patch(`${BASE}/${path}`).set('Authorization', auth).send(body),
    del: (path: string) => t.http.delete(`${BASE}/${path}`).set('Authorization', acme.auth),
    get: (path: string) => t.http.get(`${BASE}/${path}`).set('Authorization', acme.auth),
  });
  const byToken = (query = '') => t.http.get(`${BASE}/conversations/token/${seed.token}.json${query}`);
  const history = (query = '') => t.http.get(`${BASE}/conversationmessages/history/${seed.token}.json${query}`);

  // The object under `key` of a successful answer; a failure names what failed.
  function created(res: { status: number; body: Record<string, Record<string, unknown>> }, key: string): Record<string, unknown> {
    if (res.status >= 300) throw new Error(`${key}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body[key];
  }

  const signedBatch = (events: object[]) => sendSignedWebhook(t.http, events, pusher);

  const drained = () =>
    waitFor('the outbox to drain', async () => {
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'pusher' AND delivered_at IS NULL AND failed_at IS NULL`);
      return n === 0;
    });
  const onChannel = (channel: string): ReceivedEvent[] => pusher.events.filter((event) => event.channels.includes(channel));

  beforeAll(async () => {
    pusher = await startFakePusher();
    t = await createTestApp({ ...pusher.env(), PUSHER_DISPATCH_INTERVAL_MS: '50' });
    acme = await createTenant(t, 'Acme');
    agent = await createAgent(t, acme.tenantId);
    const [row] = await t.db.query(`SELECT email, first_name, last_name FROM users WHERE id = $1`, [agent.id]);
    agentEmail = row.email;
    agentName = `${row.first_name} ${row.last_name}`;
    const { post, patch, del } = api();

    // A customer agents wrote about.
    const customer = created(
      await post('customers.json', {
        firstName: 'Cora',
        lastName: 'Client',
        email: 'cora@customer.test',
        organization: `${SECRET}-org`,
        extraData: `${SECRET}-extra`,
        notes: `${SECRET}-notes: churn risk high`,
        externalId: `${SECRET}-ext-42`,
        jobTitle: `${SECRET}-job`,
        address: `${SECRET}-address`,
        contacts: [{ type: 'twitter', value: '@cora_client' }],
      }),
      'customer',
    );
    seed.customerId = customer.id as number;
    const contacts = (await api().get(`customers/${seed.customerId}.json?includes=contacts`)).body.included.contacts as { id: number; type: string }[];
    expect(contacts).toHaveLength(2);
    seed.contactId = contacts.find((contact) => contact.type === 'email')!.id;

    // Settings a conversion writes into the ticket.
    const field = created(await post('customfields.json', { name: `${SECRET} churn risk`, type: 'text' }), 'customfield');

    // The conversation, with the agent and a widget socket.
    const conversation = created(
      await post('conversations/token.json', { contactId: seed.contactId, socket_id: '1111.2222', users: [{ id: agent.id }] }),
      'conversation',
    );
    seed.conversationId = conversation.id as number;
    seed.token = conversation.token as string;

    // A file, its messages: the agent's (with an id of the agent's client), the customer's, one edited, one deleted.
    const file = created(
      await t.http
        .post(`${BASE}/files.json`)
        .set('Authorization', acme.auth)
        .attach('file', Buffer.from('the invoice'), { filename: 'invoice.txt', contentType: 'text/plain' }),
      'file',
    );
    seed.fileId = file.id as number;
    seed.sha256 = file.sha256 as string;
    const conversationId = seed.conversationId;
    created(
      await post('conversationmessages.json', { conversationId, message: 'Hello from support', files: [seed.fileId], clientMessageId: `${SECRET}-agent-c-1` }, agent.auth),
      'conversationmessage',
    );
    created(await post('conversationmessages.json', { conversationId, contactId: seed.contactId, message: 'I need help', clientMessageId: 'cust-1' }), 'conversationmessage');
    const edited = created(await post('conversationmessages.json', { conversationId, message: 'Typo' }, agent.auth), 'conversationmessage');
    expect((await patch(`conversationmessages/${edited.id}.json`, { message: 'Fixed' }, agent.auth)).status).toBe(200);
    const deleted = created(
      await post('conversationmessages.json', { conversationId, message: DELETED_TEXT, files: [seed.fileId] }, agent.auth),
      'conversationmessage',
    );
    seed.deletedId = deleted.id as number;
    expect((await del(`conversationmessages/${seed.deletedId}.json`)).status).toBe(204);

    // Notes: with mentions (one of an agent the customer never meets) and a file of their own; one edited, one deleted.
    const mentioned = await createAgent(t, acme.tenantId);
    await t.db.query(`UPDATE users SET last_name = $2 WHERE id = $1`, [mentioned.id, `${SECRET}-mentioned`]);
    seed.mentionedId = mentioned.id;
    const noteFile = created(
      await t.http
        .post(`${BASE}/files.json`)
        .set('Authorization', acme.auth)
        .attach('file', Buffer.from(`${SECRET} internal memo`), { filename: `${SECRET}-memo.txt`, contentType: 'text/plain' }),
      'file',
    );
    seed.noteFileId = noteFile.id as number;
    const note = (text: string, extra: object = {}) =>
      post('conversationmessages.json', { conversationId, message: `${SECRET}-note: ${text}`, private: true, ...extra }, agent.auth).then((res) => created(res, 'conversationmessage'));
    const noted = await note('refund approved', { mentions: [{ id: mentioned.id }, { id: agent.id }], files: [seed.noteFileId, seed.fileId] });
    const editedNote = await note('to edit', { mentions: [{ id: mentioned.id }] });
    expect((await patch(`conversationmessages/${editedNote.id}.json`, { message: `${SECRET}-note: edited` }, agent.auth)).status).toBe(200);
    const deletedNote = await note('to delete');
    expect((await del(`conversationmessages/${deletedNote.id}.json`)).status).toBe(204);
    seed.noteIds = [noted.id, editedNote.id, deletedNote.id] as number[];

    // The widget writes, and the agent joins the presence channel: both through the webhook.
    const webhook = await signedBatch([
      {
        name: 'client_event',
        channel: `private-conversation-${conversationId}`,
        event: 'client-message',
        data: JSON.stringify({ message: 'Via the widget', clientMessageId: 'w-1' }),
        socket_id: '123.456',
      },
      { name: 'member_added', channel: `presence-conversation-${conversationId}`, user_id: `user-${agent.id}` },
    ]);
    expect(webhook.status).toBe(201);
    expect(webhook.body.meta).toMatchObject({ created: 1, applied: 1, ignored: 0 });

    // The conversion: a ticket with cc, bcc, tags, a custom field and an internal opening message; then an update.
    const converted = await post(`conversations/${conversationId}/convert.json`, {
      message: `${SECRET}-internal opening`,
      cc: ['cc-secret@agents.test'],
      bcc: ['legal-secret@agents.test'],
      tags: [`${SECRET}-tag`],
      customfields: [{ id: field.id, value: `${SECRET}-high` }],
    });
    expect(converted.status).toBe(200);
    seed.ticketId = converted.body.ticket_id;
    // A note on the converted conversation: the ticket's thread takes it as a note.
    seed.noteIds.push((await note('after the conversion', { mentions: [{ id: mentioned.id }] })).id as number);
    expect((await patch(`tickets/${seed.ticketId}.json`, { subject: `${SECRET}-subject` })).status).toBe(200);
    // An agent-side change of the conversation.
    expect((await patch(`conversations/${conversationId}.json`, { socket_id: '3333.4444' })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await pusher?.close();
  });

  describe('GET /conversations/token/{token}.json', () => {
    it.each([[''], ['contacts'], ['customers'], ['users'], ['conversationmessages'], ['contacts,customers,users,conversationmessages'], ['all']])(
      'should show exactly the customer view\'s keys with includes "%s"',
      async (includes) => {
        const res = await byToken(includes === '' ? '' : `?includes=${includes}`);
        expect(res.status).toBe(200);
        seen.push(res.body);
        const wanted = includes === 'all' ? Object.keys(CONVERSATION_INCLUDES) : includes.split(',').filter(Boolean);
        const included = Object.fromEntries(wanted.map((name) => [name, CONVERSATION_INCLUDES[name]]));
        expectShape(res.body, wanted.length === 0 ? { conversation: CONVERSATION } : { conversation: CONVERSATION, included });
      },
    );

    it("should show the customer their own name and contacts, the conversation's agent by display name, and that it was converted", async () => {
      const res = await byToken('?includes=all');
      const { conversation, included } = res.body;
      expect(conversation).toMatchObject({ id: seed.conversationId, state: 'active', converted: true, contactId: seed.contactId });
      expect(included.customers).toEqual([
        { id: seed.customerId, firstName: 'Cora', lastName: 'Client', contacts: included.contacts.map((c: { id: number }) => ({ id: c.id, type: 'contacts' })) },
      ]);
      expect(included.contacts.map((c: { value: string }) => c.value).sort()).toEqual(['@cora_client', 'cora@customer.test']);
      expect(included.users).toEqual([{ id: agent.id, name: agentName }]);
      // Active messages only, the latest 100: the deleted one is not among them.
      expect(included.conversationmessages.map((m: { id: number }) => m.id)).not.toContain(seed.deletedId);
      expect(included.conversationmessages.map((m: { id: number }) => m.id)).toEqual(conversation.messages.map((m: { id: number }) => m.id));
    });

    it('should list no note among the messages, in the refs or side-loaded', async () => {
      const res = await byToken('?includes=conversationmessages,users');
      seen.push(res.body);
      const refs = res.body.conversation.messages.map((m: { id: number }) => m.id);
      expect(refs.length).toBeGreaterThan(0);
      expect(refs.filter((id: number) => seed.noteIds.includes(id))).toEqual([]);
      expect(res.body.included.conversationmessages.map((m: { id: number }) => m.id)).toEqual(refs);
      expect(res.body.included.users.map((u: { id: number }) => u.id)).not.toContain(seed.mentionedId);
      // The agents see the notes among the same conversation's messages.
      const agents = await api().get(`conversations/${seed.conversationId}.json`);
      expect(agents.body.conversation.messages.map((m: { id: number }) => m.id)).toEqual(expect.arrayContaining(seed.noteIds.filter((id, i) => i !== 2)));
    });

    it.each([
      ['?includes=tickets', { includes: ['must be one of ‘contacts, conversationmessages, customers, users, all’'] }],
      ['?fields=socket_id', { fields: [expect.stringMatching(/^must be one of ‘id, state, converted/)] }],
      ['?fields=ticket_id,online', { fields: [expect.stringMatching(/^must be one of/)] }],
    ])('should refuse %s with a 400 in the Desk dialect', async (query, errors) => {
      const res = await byToken(query);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
    });
  });

  describe('GET /conversationmessages/history/{token}.json', () => {
    it.each([[''], ['files'], ['users'], ['contacts'], ['customers'], ['all']])('should show exactly the customer view\'s keys with includes "%s"', async (includes) => {
      const res = await history(includes === '' ? '' : `?includes=${includes}`);
      expect(res.status).toBe(200);
      seen.push(res.body);
      const wanted = includes === 'all' ? Object.keys(HISTORY_INCLUDES) : includes.split(',').filter(Boolean);
      expectShape(res.body, { conversationmessages: MESSAGES, included: Object.fromEntries(wanted.map((name) => [name, HISTORY_INCLUDES[name]])), meta: PAGE });
    });

    it("should show the public messages, the customer's own client ids only, the authors among agents by name and the messages' files", async () => {
      const res = await history('?includes=all');
      const messages = res.body.conversationmessages as Record<string, unknown>[];
      expect(messages.map((m) => m.message)).toEqual(['Hello from support', 'I need help', 'Fixed', 'Via the widget']);
      expect(messages.map((m) => m.clientMessageId)).toEqual([null, 'cust-1', null, 'w-1']);
      expect(messages[0].files).toEqual([{ id: seed.fileId, type: 'files' }]);
      expect(res.body.included.users).toEqual([{ id: agent.id, name: agentName }]);
      expect(res.body.included.files).toEqual([{ id: seed.fileId, filename: 'invoice.txt', mimeType: 'text/plain', size: expect.anything(), createdAt: expect.any(String) }]);
      expect(Number(res.body.included.files[0].size)).toBe('the invoice'.length);
      expect(res.body.included.customers.map((c: { id: number }) => c.id)).toEqual([seed.customerId]);
    });

    it('should leave every note out, and a file only a note carries out of reach', async () => {
      const res = await history('?includes=all&pageSize=100');
      seen.push(res.body);
      expect(res.body.conversationmessages.filter((m: { id: number }) => seed.noteIds.includes(m.id))).toEqual([]);
      expect(res.body.included.files.map((f: { id: number }) => f.id)).toEqual([seed.fileId]);
      const download = await t.http.get(`${BASE}/conversations/token/${seed.token}/files/${seed.noteFileId}/download`);
      expect(download.status).toBe(404);
      seen.push(download.body);
    });

    it('should pick only fields of the customer view', async () => {
      const res = await history('?fields=message,state');
      expect(res.status).toBe(200);
      seen.push(res.body);
      for (const m of res.body.conversationmessages) expect(Object.keys(m).sort()).toEqual(['id', 'message', 'state']);
      const refused = await history('?fields=createdBy');
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({ errors: { fields: [expect.stringMatching(/^must be one of ‘id, conversationId, userId/)] } });
      const include = await history('?includes=tags');
      expect(include.status).toBe(400);
      expect(include.body).toEqual({ errors: { includes: ['must be one of ‘contacts, customers, files, users, all’'] } });
    });
  });

  describe('presence', () => {
    const auth = (headers: Record<string, string>) =>
      t.http
        .post(`${BASE}/pusher/auth.json`)
        .set(headers)
        .send({ socket_id: '123.456', channel_name: `presence-conversation-${seed.conversationId}` });

    it("should give an agent's member a display name only, and the customer's its contact id, in the user_info every member sees", async () => {
      const asAgent = await auth({ Authorization: agent.auth });
      expect(asAgent.status).toBe(200);
      const agentMember = JSON.parse(asAgent.body.channel_data);
      expectShape(agentMember, { user_id: LEAF, user_info: { type: LEAF, ...AGENT } });
      expect(agentMember).toEqual({ user_id: `user-${agent.id}`, user_info: { type: 'user', id: agent.id, name: agentName } });

      const asWidget = await auth({ 'X-Conversation-Token': seed.token });
      expect(asWidget.status).toBe(200);
      const customerMember = JSON.parse(asWidget.body.channel_data);
      expect(customerMember).toEqual({ user_id: `contact-${seed.contactId}`, user_info: { type: 'contact', id: seed.contactId } });
      seen.push(agentMember, customerMember);
    });
  });

  describe("live events on the conversation's channel", () => {
    let conversationEvents: ReceivedEvent[];
    let tenantEvents: ReceivedEvent[];

    beforeAll(async () => {
      // The conversation deleted last: its token dies with it.
      expect((await api().del(`conversations/${seed.conversationId}.json`)).status).toBe(204);
      await drained();
      conversationEvents = onChannel(`private-conversation-${seed.conversationId}`);
      tenantEvents = onChannel(`private-tenant-${acme.tenantId}`);
      // The deleted message was public until deleted: its message.created is the one event excused.
      seen.push(
        ...conversationEvents.map((event) =>
          event.name === 'message.created' && (event.data as { id: number }).id === seed.deletedId ? markCreationOfDeleted(event.data) : event.data,
        ),
      );
    });

    it('should carry every kind of conversation and message event, and never a ticket event', () => {
      expect([...new Set(conversationEvents.map((event) => event.name))].sort()).toEqual([
        'conversation.converted',
        'conversation.created',
        'conversation.updated',
        'message.created',
        'message.updated',
      ]);
      for (const event of conversationEvents) expect(event.channels).toEqual([`private-conversation-${seed.conversationId}`]);
    });

    it("should send each event in exactly the customer view's keys, a deleted message as its tombstone", () => {
      for (const event of conversationEvents) {
        const data = event.data as Record<string, unknown>;
        const shape = event.name.startsWith('conversation.') ? CONVERSATION : data.state === 'deleted' ? TOMBSTONE : MESSAGE;
        expectShape(data, shape, `${event.name}(${String(data.id)})`);
      }
      const tombstones = conversationEvents.filter((event) => (event.data as { state: string }).state === 'deleted');
      // Sorted: under E2E_PROCESSES=2 two dispatchers may send one tenant's rows out of order.
      expect(tombstones.map((event) => `${event.name} ${(event.data as { id: number }).id}`).sort()).toEqual(
        [`conversation.updated ${seed.conversationId}`, `message.updated ${seed.deletedId}`].sort(),
      );
    });

    it('should carry nothing of a note: not its creation, edit or deletion, nor a mention', () => {
      const aboutNotes = conversationEvents.filter((event) => event.name.startsWith('message.') && seed.noteIds.includes((event.data as { id: number }).id));
      expect(aboutNotes).toEqual([]);
      expect(conversationEvents.filter((event) => event.name === 'mention.created')).toEqual([]);
      for (const event of conversationEvents.filter((e) => e.name.startsWith('conversation.'))) {
        expect((event.data as { messages: { id: number }[] }).messages.filter((m) => seed.noteIds.includes(m.id))).toEqual([]);
      }
      // The agents got every one of them, and each mentioned agent its own.
      const onTenant = tenantEvents.filter((event) => event.name.startsWith('message.') && seed.noteIds.includes((event.data as { id: number }).id));
      expect(onTenant.length).toBeGreaterThanOrEqual(seed.noteIds.length + 2);
      expect(onChannel(`private-user-${seed.mentionedId}`).map((event) => event.name)).toEqual(['mention.created', 'mention.created', 'mention.created']);
    });

    it("should send what the webhook causes in the customer's view too: the widget's message and the agent joining", () => {
      const widget = conversationEvents.find((event) => event.name === 'message.created' && (event.data as { message: string }).message === 'Via the widget');
      expect(widget).toBeDefined();
      expect(widget!.socketId).toBe('123.456');
      const joined = conversationEvents.filter((event) => event.name === 'conversation.updated' && (event.data as { users: unknown[] }).users.length > 0);
      expect(joined.length).toBeGreaterThan(0);
      expect((conversationEvents.find((event) => event.name === 'conversation.converted')!.data as { converted: boolean }).converted).toBe(true);
    });

    it("should still give the agents' tenant channel the full Desk JSON, ticket events included", async () => {
      const names = new Set(tenantEvents.map((event) => event.name));
      expect([...names].sort()).toEqual([
        'conversation.converted',
        'conversation.created',
        'conversation.updated',
        'message.created',
        'message.updated',
        'ticket.created',
        'ticket.updated',
      ]);
      // The mentions went to the agents' own channels, never the tenant's.
      expect(names.has('mention.created')).toBe(false);
      for (const event of tenantEvents.filter((e) => e.name.startsWith('conversation.'))) {
        // The Desk JSON, with the activities the change wrote (agents only).
        expect(Array.isArray((event.data as { activities: unknown }).activities)).toBe(true);
        expect(Object.keys(event.data as object).filter((key) => key !== 'deletedAt' && key !== 'deletedBy' && key !== 'activities').sort()).toEqual(DOCUMENTED_CONVERSATION_FIELDS);
      }
      const ticket = (await api().get(`tickets/${seed.ticketId}.json`)).body.ticket;
      const ticketUpdates = tenantEvents.filter((event) => event.name === 'ticket.updated');
      expect(ticketUpdates[ticketUpdates.length - 1].data).toEqual(ticket);
      expect(ticket.bcc).toEqual(['legal-secret@agents.test']);
      const deletedMessage = tenantEvents.filter((event) => event.name === 'message.updated' && (event.data as { id: number }).id === seed.deletedId);
      expect(deletedMessage.map((event) => (event.data as { message: string }).message)).toEqual([DELETED_TEXT]);
    });
  });

  describe('everything the customer saw', () => {
    it("should hold none of the agents' secrets: notes, extra data, external id, ticket fields, cc/bcc, emails, hashes, the deleted text", () => {
      expect(seen.length).toBeGreaterThan(20);
      const text = JSON.stringify(seen);
      for (const secret of [SECRET, 'secret@agents.test', agentEmail, seed.sha256, '1111.2222', '3333.4444', '@example.test']) {
        expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
      }
      const sinceDeleted = JSON.stringify(seen.filter((item) => !isCreationOfDeleted(item)));
      expect(sinceDeleted).not.toContain(DELETED_TEXT);
      expect(JSON.stringify(seen)).toContain(DELETED_TEXT);
    });

    it("should hold no key of the agents' alone anywhere: a note's privacy and mentions, the workflow's fields", () => {
      const keys = new Set<string>();
      const collect = (value: unknown): void => {
        if (Array.isArray(value)) value.forEach(collect);
        else if (value !== null && typeof value === 'object') {
          for (const [key, inner] of Object.entries(value)) {
            keys.add(key);
            collect(inner);
          }
        }
      };
      collect(seen);
      for (const key of AGENTS_ONLY_KEYS) expect({ key, found: keys.has(key) }).toEqual({ key, found: false });
    });

    it("should have written no row for the conversation's channel that holds a note, a mention or an agents' key", async () => {
      const rows: { payload: { event: string; data: unknown } }[] = await t.db.query(
        `SELECT payload FROM outbox WHERE topic = 'pusher' AND payload -> 'channels' ? $1 ORDER BY id`,
        [`private-conversation-${seed.conversationId}`],
      );
      expect(rows.length).toBeGreaterThan(5);
      const text = JSON.stringify(rows.map((row) => row.payload.data));
      expect(text).not.toContain(`${SECRET}-note`);
      expect(text).not.toContain(`${SECRET}-mentioned`);
      expect(rows.map((row) => row.payload.event)).not.toContain('mention.created');
      for (const key of AGENTS_ONLY_KEYS) expect({ key, found: text.includes(`"${key}":`) }).toEqual({ key, found: false });
    });

    it('should have checked every list of every shape with at least one element', () => {
      const shapes: Shape[] = [
        { conversation: CONVERSATION, included: CONVERSATION_INCLUDES },
        { conversationmessages: MESSAGES, included: HISTORY_INCLUDES },
      ];
      const lists = [...new Set(shapes.flatMap(listsOf))];
      expect(lists.filter((list) => !filled.has(list)).map((list) => JSON.stringify(list))).toEqual([]);
    });
  });
});
