import { BASE } from './support/desk';
import { createContact, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

// Null where an id belongs, on every write of both dialects: a 400 in the dialect (422 where
// HighLevel's validation answers), or "none" where the field may be unset; never a 500 (TypeORM
// refuses a null where-value), and nothing written by a refusal.
describe('null where an id belongs', () => {
  let t: TestApp;
  let acme: TestTenant;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await createTestApp();
    acme = await createTenant(t, 'Acme');
    const { contactId, customerId } = await createContact(t.db, acme.tenantId);
    Object.assign(ids, { contactId, customerId });
    const conversation = await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).send({ contactId });
    expect(conversation.status).toBe(201);
    ids.conversationId = conversation.body.conversation.id;
    const message = await t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', acme.auth).send({ conversationId: ids.conversationId, message: 'm' });
    expect(message.status).toBe(201);
    ids.messageId = message.body.conversationmessage.id;
    const ticket = await t.http.post(`${BASE}/tickets.json`).set('Authorization', acme.auth).send({ subject: 's', message: 'm', customer: { id: customerId } });
    expect(ticket.status).toBe(201);
    ids.ticketId = ticket.body.ticket.id;
    const team = await t.http.post(`${BASE}/teams.json`).set('Authorization', acme.auth).send({ name: 'Null refs' });
    expect(team.status).toBe(201);
    ids.teamId = team.body.team.id;
  });
  afterAll(() => t.close());

  // Every row of every table the writes touch, as a checksum: a refusal leaves them all as they were
  // (no row added, removed or changed).
  const TABLES = [
    'tickets', 'ticket_messages', 'ticket_tags', 'ticket_custom_field_values', 'conversations', 'conversation_messages',
    'conversation_users', 'customers', 'customer_contacts', 'tags', 'ticket_templates', 'files',
    'conversation_activities', 'conversation_mentions', 'teams', 'team_members', 'users',
  ];
  // The outbox's rows are counted only: the dispatcher marks earlier ones sent at any moment.
  const counts = async () =>
    (
      await t.db.query(
        `SELECT ${TABLES.map((table) => `(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM ${table} x) AS ${table}`).join(', ')},
                (SELECT count(*) FROM outbox)::int AS outbox`,
      )
    )[0];

  const ticketRefs = ['agent', 'inbox', 'status', 'priority', 'type', 'source', 'parent'] as const;
  const ticket = (extra: Record<string, unknown>) => ({ subject: 's', message: 'm', customer: { id: ids.customerId }, ...extra });

  // [what, method, path, body, the refusal's field]: each a 400 { errors: { field: [...] } }.
  const desk = (): [string, 'post' | 'patch' | 'put', string, () => object, string][] => [
    ['ticket customer.id null (bare)', 'post', 'tickets.json', () => ({ subject: 's', message: 'm', customer: { id: null } }), 'customer.id'],
    ['ticket customer.id null (wrapped)', 'post', 'tickets.json', () => ({ ticket: { subject: 's', message: 'm', customer: { id: null } } }), 'customer.id'],
    ['ticket customer.id null beside an email', 'post', 'tickets.json', () => ({ subject: 's', message: 'm', customer: { id: null, email: 'a@example.test' } }), 'customer.id'],
    ...ticketRefs.map((ref): [string, 'post', string, () => object, string] => [`ticket ${ref}.id null`, 'post', 'tickets.json', () => ticket({ [ref]: { id: null } }), `${ref}.id`]),
    ['ticket tickettemplate.id null', 'post', 'tickets.json', () => ticket({ tickettemplate: { id: null } }), 'tickettemplate.id'],
    ['ticket tags [{id: null}]', 'post', 'tickets.json', () => ticket({ tags: [{ id: null }] }), 'tags[0].id'],
    ['ticket tags [null]', 'post', 'tickets.json', () => ticket({ tags: [null] }), 'tags[0]'],
    ['ticket customfields [{id: null}]', 'post', 'tickets.json', () => ticket({ customfields: [{ id: null, value: 'x' }] }), 'customfields[0].id'],
    ['ticket files [null]', 'post', 'tickets.json', () => ticket({ files: [null] }), 'files'],
    ['ticket fromThreadId null', 'post', 'tickets.json', () => ticket({ fromThreadId: null }), 'fromThreadId'],
    ['ticket fromTicketId null', 'post', 'tickets.json', () => ticket({ fromTicketId: null }), 'fromTicketId'],
    ['ticket update customer.id null', 'patch', `tickets/${ids.ticketId}.json`, () => ({ customer: { id: null } }), 'customer.id'],
    ...ticketRefs.map((ref): [string, 'patch', string, () => object, string] => [`ticket update ${ref}.id null`, 'patch', `tickets/${ids.ticketId}.json`, () => ({ [ref]: { id: null } }), `${ref}.id`]),
    ['ticket update inbox null', 'patch', `tickets/${ids.ticketId}.json`, () => ({ inbox: null }), 'inbox'],
    ['ticket update status null', 'patch', `tickets/${ids.ticketId}.json`, () => ({ status: null }), 'status'],
    ['ticket update tags [{id: null}]', 'patch', `tickets/${ids.ticketId}.json`, () => ({ tags: [{ id: null }] }), 'tags[0].id'],
    ['ticket update customfields [{id: null}]', 'patch', `tickets/${ids.ticketId}.json`, () => ({ customfields: [{ id: null, value: null }] }), 'customfields[0].id'],
    ['ticket update files [null]', 'patch', `tickets/${ids.ticketId}.json`, () => ({ files: [null] }), 'files'],
    // A ticket's fields that cannot be unset: null on an update is a 400 (an empty list clears a list).
    ...(['subject', 'customer', 'tags', 'customfields', 'cc', 'bcc', 'files', 'editMethod', 'isRead', 'state'] as const).map(
      (field): [string, 'patch', string, () => object, string] => [`ticket update ${field} null`, 'patch', `tickets/${ids.ticketId}.json`, () => ({ [field]: null }), field],
    ),
    ['ticket message contact.id null', 'post', `tickets/${ids.ticketId}/messages.json`, () => ({ message: 'r', contact: { id: null } }), 'contact.id'],
    ['ticket message status.id null', 'post', `tickets/${ids.ticketId}/messages.json`, () => ({ message: 'r', status: { id: null } }), 'status.id'],
    ['ticket message files [null]', 'post', `tickets/${ids.ticketId}/messages.json`, () => ({ message: 'r', files: [null] }), 'files'],
    ['conversation contactId null', 'post', 'conversations.json', () => ({ contactId: null }), 'contactId'],
    ['conversation contact.id null', 'post', 'conversations.json', () => ({ contact: { id: null } }), 'contact.id'],
    ['conversation users [{id: null}]', 'post', 'conversations.json', () => ({ contactId: ids.contactId, users: [{ id: null }] }), 'users[0].id'],
    ['conversation users [null]', 'post', 'conversations.json', () => ({ contactId: ids.contactId, users: [null] }), 'users[0]'],
    ['conversation token contactId null', 'post', 'conversations/token.json', () => ({ conversation: { contactId: null } }), 'contactId'],
    ['conversation token id null', 'post', 'conversations/token.json', () => ({ conversation: { id: null } }), 'id'],
    ['conversation update contactId null', 'patch', `conversations/${ids.conversationId}.json`, () => ({ contactId: null }), 'contactId'],
    ['conversation update users [{id: null}]', 'patch', `conversations/${ids.conversationId}.json`, () => ({ users: [{ id: null }] }), 'users[0].id'],
    ['conversion customer.id null', 'post', `conversations/${ids.conversationId}/convert.json`, () => ({ customer: { id: null } }), 'customer.id'],
    ['conversion agent.id null', 'post', `conversations/${ids.conversationId}/convert.json`, () => ({ agent: { id: null } }), 'agent.id'],
    ['message conversationId null', 'post', 'conversationmessages.json', () => ({ conversationId: null, message: 'm' }), 'conversationId'],
    ['message conversation.id null', 'post', 'conversationmessages.json', () => ({ conversation: { id: null }, message: 'm' }), 'conversation.id'],
    ['message userId null', 'post', 'conversationmessages.json', () => ({ conversationId: ids.conversationId, userId: null, message: 'm' }), 'userId'],
    ['message contactId null', 'post', 'conversationmessages.json', () => ({ conversationId: ids.conversationId, contactId: null, message: 'm' }), 'contactId'],
    ['message files [null]', 'post', 'conversationmessages.json', () => ({ conversationId: ids.conversationId, message: 'm', files: [null] }), 'files'],
    ['message update conversationId null', 'patch', `conversationmessages/${ids.messageId}.json`, () => ({ message: 'e', conversationId: null }), 'conversationId'],
    ['message update files [null]', 'patch', `conversationmessages/${ids.messageId}.json`, () => ({ files: [null] }), 'files'],
    // The workflow's fields and refs: null where a value or an id belongs (never a NULL column).
    ['conversation status null', 'post', 'conversations.json', () => ({ contactId: ids.contactId, status: null }), 'status'],
    ['conversation priority null', 'post', 'conversations.json', () => ({ contactId: ids.contactId, priority: null }), 'priority'],
    ['conversation token status null', 'post', 'conversations/token.json', () => ({ conversation: { contactId: ids.contactId, status: null } }), 'status'],
    ['conversation token priority null', 'post', 'conversations/token.json', () => ({ conversation: { contactId: ids.contactId, priority: null } }), 'priority'],
    ['conversation assignee.id null', 'post', 'conversations.json', () => ({ contactId: ids.contactId, assignee: { id: null } }), 'assignee.id'],
    ['conversation team.id null', 'post', 'conversations.json', () => ({ contactId: ids.contactId, team: { id: null } }), 'team.id'],
    ['conversation labels null', 'post', 'conversations.json', () => ({ contactId: ids.contactId, labels: null }), 'labels'],
    ['conversation labels [{id: null}]', 'post', 'conversations.json', () => ({ contactId: ids.contactId, labels: [{ id: null }] }), 'labels[0].id'],
    ['conversation snoozed, snoozedUntil null', 'post', 'conversations.json', () => ({ contactId: ids.contactId, status: 'snoozed', snoozedUntil: null }), 'snoozedUntil'],
    ['conversation update status null', 'patch', `conversations/${ids.conversationId}.json`, () => ({ status: null }), 'status'],
    ['conversation update priority null', 'patch', `conversations/${ids.conversationId}.json`, () => ({ priority: null }), 'priority'],
    ['conversation update snoozed, snoozedUntil null', 'patch', `conversations/${ids.conversationId}.json`, () => ({ status: 'snoozed', snoozedUntil: null }), 'snoozedUntil'],
    ['conversation update assignee.id null', 'patch', `conversations/${ids.conversationId}.json`, () => ({ assignee: { id: null } }), 'assignee.id'],
    ['conversation update team.id null', 'patch', `conversations/${ids.conversationId}.json`, () => ({ team: { id: null } }), 'team.id'],
    ['conversation update labels null', 'patch', `conversations/${ids.conversationId}.json`, () => ({ labels: null }), 'labels'],
    ['bulk status null', 'patch', 'conversations.json', () => ({ ids: [ids.conversationId], conversation: { status: null } }), 'conversation.status'],
    ['bulk priority null', 'patch', 'conversations.json', () => ({ ids: [ids.conversationId], conversation: { priority: null } }), 'conversation.priority'],
    ['bulk labels null', 'patch', 'conversations.json', () => ({ ids: [ids.conversationId], conversation: { labels: null } }), 'conversation.labels'],
    ['message conversationStatus null', 'post', 'conversationmessages.json', () => ({ conversationId: ids.conversationId, message: 'm', conversationStatus: null }), 'conversationStatus'],
    ['message private null', 'post', 'conversationmessages.json', () => ({ conversationId: ids.conversationId, message: 'm', private: null }), 'private'],
    ['message mentions null', 'post', 'conversationmessages.json', () => ({ conversationId: ids.conversationId, message: 'm', private: true, mentions: null }), 'mentions'],
    ['message mentions [{id: null}]', 'post', 'conversationmessages.json', () => ({ conversationId: ids.conversationId, message: 'm', private: true, mentions: [{ id: null }] }), 'mentions[0].id'],
    ['team users null', 'post', 'teams.json', () => ({ name: 'Null users', users: null }), 'users'],
    ['team users [{id: null}]', 'post', 'teams.json', () => ({ name: 'Null member', users: [{ id: null }] }), 'users[0].id'],
    ['team assignment null', 'post', 'teams.json', () => ({ name: 'Null assignment', assignment: null }), 'assignment'],
    ['team assignment.mode null', 'post', 'teams.json', () => ({ name: 'Null mode', assignment: { mode: null } }), 'assignment.mode'],
    ['team assignment.onlyAvailable null', 'post', 'teams.json', () => ({ name: 'Null only', assignment: { onlyAvailable: null } }), 'assignment.onlyAvailable'],
    ['team name null', 'post', 'teams.json', () => ({ name: null }), 'name'],
    ['team update users null', 'patch', `teams/${ids.teamId}.json`, () => ({ users: null }), 'users'],
    ['team update assignment null', 'patch', `teams/${ids.teamId}.json`, () => ({ assignment: null }), 'assignment'],
    ['team update assignment.mode null', 'patch', `teams/${ids.teamId}.json`, () => ({ assignment: { mode: null } }), 'assignment.mode'],
    ['team update assignment.onlyAvailable null', 'patch', `teams/${ids.teamId}.json`, () => ({ assignment: { onlyAvailable: null } }), 'assignment.onlyAvailable'],
    ['team update name null', 'patch', `teams/${ids.teamId}.json`, () => ({ name: null }), 'name'],
    ['availability null', 'patch', 'me.json', () => ({ availability: null }), 'availability'],
    ['availability null (wrapped)', 'patch', 'me.json', () => ({ user: { availability: null } }), 'availability'],
    ['customer contacts [{id: null}]', 'patch', `customers/${ids.customerId}.json`, () => ({ contacts: [{ id: null, type: 'email', value: 'n@example.test' }] }), 'contacts[0].id'],
    ['customer contacts [{id: null, delete}]', 'put', `customers/${ids.customerId}.json`, () => ({ firstName: 'C', contacts: [{ id: null, delete: true }] }), 'contacts[0].id'],
    ['template inbox.id null', 'post', 'tickettemplates.json', () => ({ name: 'tpl', inbox: { id: null } }), 'inbox.id'],
    ['template tags [{id: null}]', 'post', 'tickettemplates.json', () => ({ name: 'tpl', tags: [{ id: null }] }), 'tags[0].id'],
    ['template customfields [{id: null}]', 'post', 'tickettemplates.json', () => ({ name: 'tpl', customfields: [{ id: null, value: 'x' }] }), 'customfields[0].id'],
  ];

  it('should answer 400 in the Desk dialect naming the field, and write nothing, for every reference given null', async () => {
    const results: Record<string, unknown>[] = [];
    for (const [what, method, path, body, field] of desk()) {
      const before = await counts();
      const res = await t.http[method](`${BASE}/${path}`).set('Authorization', acme.auth).send(body());
      const keys = Object.keys(res.body?.errors ?? {});
      results.push({ what, status: res.status, named: keys.includes(field) ? field : keys, unchanged: JSON.stringify(await counts()) === JSON.stringify(before) });
    }
    expect(results).toEqual(desk().map(([what, , , , field]) => ({ what, status: 400, named: field, unchanged: true })));
  });

  // Where the reference may be unset, null means none.
  it('should take null as none for a new ticket', async () => {
    const res = await t.http.post(`${BASE}/tickets.json`).set('Authorization', acme.auth).send(ticket({ agent: null, parent: null, priority: null, type: null, source: null, files: null }));
    expect(res.status).toBe(201);
    // A null source is "unset" too, which a new ticket fills with the tenant's default source.
    const [row] = await t.db.query(`SELECT agent_id, parent_id, priority_id, type_id FROM tickets WHERE id = $1`, [res.body.ticket.id]);
    expect(row).toEqual({ agent_id: null, parent_id: null, priority_id: null, type_id: null });
  });

  it("should take null as none for a new ticket's and a ticket message's optional fields", async () => {
    const nulls = { tags: null, cc: null, bcc: null, customfields: null, editMethod: null, notifyCustomer: null, scheduledEmail: null, sendFrom: null, email: null };
    const res = await t.http.post(`${BASE}/tickets.json`).set('Authorization', acme.auth).send(ticket(nulls));
    expect(res.status).toBe(201);
    const id: number = res.body.ticket.id;
    const [row] = await t.db.query(`SELECT subject, cc, bcc, (SELECT count(*)::int FROM ticket_tags WHERE ticket_id = $1) AS tags FROM tickets WHERE id = $1`, [id]);
    expect(row).toEqual({ subject: 's', cc: [], bcc: [], tags: 0 });
    const reply = await t.http.post(`${BASE}/tickets/${id}/messages.json`).set('Authorization', acme.auth).send({ message: 'r', cc: null, bcc: null, files: null, editMethod: null, contact: null });
    expect(reply.status).toBe(201);
    const [message] = await t.db.query(`SELECT cc, bcc FROM ticket_messages WHERE ticket_id = $1 ORDER BY id DESC LIMIT 1`, [id]);
    expect(message).toEqual({ cc: [], bcc: [] });
  });

  it("should take null as none on a ticket's update, clearing what was set", async () => {
    const parent = await t.http.post(`${BASE}/tickets.json`).set('Authorization', acme.auth).send(ticket({}));
    const [{ id: priorityId }] = await t.db.query(`SELECT id FROM ticket_priorities WHERE tenant_id = $1 ORDER BY id LIMIT 1`, [acme.tenantId]);
    const path = `${BASE}/tickets/${ids.ticketId}.json`;
    const set = await t.http.patch(path).set('Authorization', acme.auth).send({ agent: { id: acme.adminId }, parent: { id: parent.body.ticket.id }, priority: { id: priorityId } });
    expect(set.status).toBe(200);
    const refs = async () => (await t.db.query(`SELECT agent_id, parent_id, priority_id FROM tickets WHERE id = $1`, [ids.ticketId]))[0];
    expect(await refs()).toEqual({ agent_id: acme.adminId, parent_id: parent.body.ticket.id, priority_id: priorityId });

    const res = await t.http.patch(path).set('Authorization', acme.auth).send({ agent: null, priority: null, parent: null });

    expect(res.status).toBe(200);
    expect(await refs()).toEqual({ agent_id: null, parent_id: null, priority_id: null });
  });

  it("should answer HighLevel's 400 or 422 for a null id or locationId, and write nothing", async () => {
    const hl = (method: 'post' | 'put', path: string, body: object) => t.http[method](path).set({ Authorization: acme.auth, Version: '2021-07-28' }).send(body);
    const cases: [string, () => ReturnType<typeof hl>][] = [
      ['create contactId null', () => hl('post', '/conversations/', { locationId: acme.locationId, contactId: null })],
      ['create locationId null', () => hl('post', '/conversations/', { locationId: null, contactId: String(ids.contactId) })],
      ['update locationId null', () => hl('put', `/conversations/${ids.conversationId}`, { locationId: null })],
      ['update starred null', () => hl('put', `/conversations/${ids.conversationId}`, { locationId: acme.locationId, starred: null })],
      ['update unreadCount null', () => hl('put', `/conversations/${ids.conversationId}`, { locationId: acme.locationId, unreadCount: null })],
      ['send contactId null', () => hl('post', '/conversations/messages', { type: 'Live_Chat', contactId: null, message: 'm' })],
      ['send conversationId null', () => hl('post', '/conversations/messages', { type: 'Live_Chat', contactId: String(ids.contactId), conversationId: null, message: 'm' })],
      ['send attachments [null]', () => hl('post', '/conversations/messages', { type: 'Live_Chat', contactId: String(ids.contactId), message: 'm', attachments: [null] })],
    ];
    const results: Record<string, unknown>[] = [];
    for (const [what, send] of cases) {
      const before = await counts();
      const res = await send();
      results.push({ what, status: res.status, dialect: typeof res.body.statusCode === 'number' && res.body.statusCode === res.status, unchanged: JSON.stringify(await counts()) === JSON.stringify(before) });
    }
    expect(results).toEqual(cases.map(([what]) => ({ what, status: expect.any(Number), dialect: true, unchanged: true })));
    expect(results.every((r) => r.status === 400 || r.status === 422)).toBe(true);
  });
});
