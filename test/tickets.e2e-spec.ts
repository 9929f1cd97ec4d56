import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { BASE, ISO } from './support/desk';
import { createTestApp, TestApp } from './support/test-app';

// Every field of Teamwork's Ticket a response shows (deletedAt/deletedBy only when deleted).
const TICKET_FIELDS = [
  'agent',
  'bcc',
  'cc',
  'contact',
  'conversation',
  'createdAt',
  'createdBy',
  'customer',
  'customfields',
  'editMethod',
  'files',
  'id',
  'inbox',
  'isRead',
  'messageCount',
  'messages',
  'parent',
  'previewText',
  'priority',
  'sendFrom',
  'source',
  'state',
  'status',
  'subject',
  'tags',
  'type',
  'updatedAt',
  'updatedBy',
].sort();

// Every field of one entry of a ticket's thread.
const THREAD_MESSAGE_FIELDS = [
  'bcc',
  'cc',
  'contact',
  'conversationMessage',
  'createdAt',
  'createdBy',
  'editMethod',
  'emailError',
  'emailMessageId',
  'emailStatus',
  'files',
  'id',
  'message',
  'state',
  'threadType',
  'ticket',
  'updatedAt',
  'updatedBy',
  'user',
].sort();

// The settings every tenant is seeded with, by code.
interface SettingIds {
  inbox: number;
  status: Record<string, number>;
  priority: Record<string, number>;
  type: Record<string, number>;
  source: Record<string, number>;
}

type Errors = Record<string, string[]>;
type Row = Record<string, unknown>;
// A ticket as the API shows it, with the fields the specs reach into typed.
type TicketJson = Row & { id: number; subject: string; createdAt: string; messages: { id: number }[] };

const NO_SUCH_ID = 99999999;

let sequence = 0;
const unique = (prefix = 't') => `${prefix}${Date.now().toString(36)}${(sequence++).toString(36)}`;
const email = (name = 'c') => `${name}.${unique()}@example.test`;
const filterOf = (filter: unknown) => encodeURIComponent(JSON.stringify(filter));
const idsOf = (list: { id: number }[]) => list.map((item) => item.id);

describe('Tickets (Desk v2)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;
  let S: SettingIds;
  let G: SettingIds;
  // A second inbox of acme with an address and aliases, for sendFrom.
  let sales: number;

  beforeAll(async () => {
    t = await createTestApp();
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
    [S, G] = await Promise.all([settingsOf(acme), settingsOf(globex)]);
    [{ id: sales }] = await t.db.query(
      `INSERT INTO inboxes (tenant_id, name, code, display_order) VALUES ($1, 'Sales', 'sales', 2) RETURNING id`,
      [acme.tenantId],
    );
    await t.db.query(`UPDATE inboxes SET email = 'sales@acme.test', aliases = $3 WHERE tenant_id = $1 AND id = $2`, [
      acme.tenantId,
      sales,
      ['deals@acme.test', 'renewals@acme.test'],
    ]);
  });
  afterAll(() => t.close());

  // --- HTTP ---

  const post = (body: unknown, auth = acme.auth) => t.http.post(`${BASE}/tickets.json`).set('Authorization', auth).send(body as object);
  const get = (path: string, auth = acme.auth) => t.http.get(`${BASE}/${path}`).set('Authorization', auth);
  const patch = (id: number, body: unknown, auth = acme.auth) =>
    t.http.patch(`${BASE}/tickets/${id}.json`).set('Authorization', auth).send(body as object);
  const del = (id: number, auth = acme.auth) => t.http.delete(`${BASE}/tickets/${id}.json`).set('Authorization', auth);
  const postMessage = (ticketId: number, body: unknown, auth = acme.auth) =>
    t.http.post(`${BASE}/tickets/${ticketId}/messages.json`).set('Authorization', auth).send(body as object);
  const listIds = async (query: string, auth = acme.auth): Promise<number[]> => {
    const res = await get(`tickets.json?${query}`, auth);
    expect({ query, status: res.status }).toEqual({ query, status: 200 });
    return idsOf(res.body.tickets);
  };

  // --- Arranging, straight in the database ---

  async function settingsOf(tenant: TestTenant): Promise<SettingIds> {
    const byCode = async (table: string): Promise<Record<string, number>> => {
      const rows: { code: string; id: number }[] = await t.db.query(`SELECT code, id FROM ${table} WHERE tenant_id = $1 AND code IS NOT NULL`, [
        tenant.tenantId,
      ]);
      return Object.fromEntries(rows.map((row) => [row.code, row.id]));
    };
    const [inboxes, status, priority, type, source] = await Promise.all(
      ['inboxes', 'ticket_statuses', 'ticket_priorities', 'ticket_types', 'ticket_sources'].map(byCode),
    );
    return { inbox: inboxes.support, status, priority, type, source };
  }

  async function fileOf(tenant: TestTenant): Promise<number> {
    const [{ id }] = await t.db.query(
      `INSERT INTO files (tenant_id, filename, mime_type, size, sha256, storage_key)
       VALUES ($1, 'a.txt', 'text/plain', 1, repeat('a', 64), 'test/a') RETURNING id`,
      [tenant.tenantId],
    );
    return id;
  }

  async function customField(tenant: TestTenant, type: string, options: string[] = []): Promise<number> {
    const [{ id }] = await t.db.query(`INSERT INTO custom_fields (tenant_id, name, type, options) VALUES ($1, $2, $3, $4) RETURNING id`, [
      tenant.tenantId,
      unique(`${type} `),
      type,
      options,
    ]);
    return id;
  }

  async function tagOf(tenant: TestTenant, name = unique('tag ')): Promise<number> {
    const [{ id }] = await t.db.query(`INSERT INTO tags (tenant_id, name) VALUES ($1, $2) RETURNING id`, [tenant.tenantId, name]);
    return id;
  }

  async function templateOf(tenant: TestTenant, values: Row = {}): Promise<number> {
    const columns = ['tenant_id', 'name', ...Object.keys(values)];
    const params = [tenant.tenantId, unique('Template '), ...Object.values(values)];
    const [{ id }] = await t.db.query(
      `INSERT INTO ticket_templates (${columns.join(', ')}) VALUES (${params.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
      params,
    );
    return id;
  }

  // A ticket made through the API, for a new customer unless the body names one.
  async function ticket(body: Row = {}, tenant = acme): Promise<TicketJson> {
    const named = body.customer !== undefined || body.email !== undefined || body.fromThreadId !== undefined;
    const customer = named ? {} : { customer: { id: (await createContact(t.db, tenant.tenantId)).customerId } };
    const res = await post({ subject: 'Printer jam', message: 'It jams on every page.', ...customer, ...body }, tenant.auth);
    expect(res.status).toBe(201);
    return res.body.ticket;
  }

  // Ages a ticket's updated_at by an hour so that a change of it shows whatever the clock's resolution.
  async function age(id: number): Promise<string> {
    // An UPDATE answers [rows, affected].
    const [[{ updated_at }]] = await t.db.query(
      `UPDATE tickets SET updated_at = updated_at - interval '1 hour' WHERE id = $1 RETURNING updated_at`,
      [id],
    );
    return (updated_at as Date).toISOString();
  }

  // --- Reading back ---

  const ticketRow = async (id: number): Promise<Row> => (await t.db.query(`SELECT * FROM tickets WHERE id = $1`, [id]))[0];
  const messageRows = (ticketId: number): Promise<Row[]> =>
    t.db.query(`SELECT * FROM ticket_messages WHERE ticket_id = $1 ORDER BY id`, [ticketId]);
  const tagIdsOf = async (ticketId: number): Promise<number[]> =>
    (await t.db.query(`SELECT tag_id FROM ticket_tags WHERE ticket_id = $1 ORDER BY tag_id`, [ticketId])).map((row: { tag_id: number }) => row.tag_id);
  const fieldValuesOf = (ticketId: number): Promise<{ custom_field_id: number; value: unknown }[]> =>
    t.db.query(`SELECT custom_field_id, value FROM ticket_custom_field_values WHERE ticket_id = $1 ORDER BY custom_field_id`, [ticketId]);
  const outboxOf = (ticketId: number): Promise<Row[]> =>
    t.db.query(`SELECT *, available_at <= now() AS due FROM outbox WHERE ticket_id = $1 ORDER BY id`, [ticketId]);
  const tagsNamed = (tenant: TestTenant, name: string): Promise<{ id: number; name: string }[]> =>
    t.db.query(`SELECT id, name FROM tags WHERE tenant_id = $1 AND lower(name) = lower($2) ORDER BY id`, [tenant.tenantId, name]);
  const counts = async (): Promise<Record<string, number>> =>
    (
      await t.db.query(
        `SELECT (SELECT count(*)::int FROM tickets) AS tickets,
                (SELECT count(*)::int FROM ticket_messages) AS messages,
                (SELECT count(*)::int FROM ticket_tags) AS ticket_tags,
                (SELECT count(*)::int FROM ticket_custom_field_values) AS field_values,
                (SELECT count(*)::int FROM outbox) AS outbox,
                (SELECT count(*)::int FROM customers) AS customers,
                (SELECT count(*)::int FROM customer_contacts) AS contacts,
                (SELECT count(*)::int FROM tags) AS tags`,
      )
    )[0];

  describe('POST /tickets.json', () => {
    it('should create a ticket from every documented body field when all are given, and show each back', async () => {
      const customerEmail = email('cora');
      const { customerId, contactId } = await createContact(t.db, acme.tenantId, customerEmail);
      const agent = await createAgent(t, acme.tenantId);
      const parent = await ticket();
      const fileId = await fileOf(acme);
      const plan = await customField(acme, 'dropdown', ['Basic', 'Pro', 'Enterprise']);
      const seats = await customField(acme, 'number');
      const urgent = await customField(acme, 'checkbox');
      const platforms = await customField(acme, 'multiselect', ['web', 'ios', 'android']);
      const due = await customField(acme, 'date');
      const refunds = await tagOf(acme, 'Refunds');
      const template = await templateOf(acme);
      expect(await tagsNamed(acme, 'vip')).toEqual([]);
      expect(await tagsNamed(acme, 'billing')).toEqual([]);
      const message = 'The **invoice** total is wrong.\n\nPlease check.';

      const res = await post({
        ticket: {
          agent: { id: agent.id, type: 'users' },
          bcc: ['audit@example.test'],
          cc: ['boss@example.test', 'team@example.test'],
          customer: { id: customerId },
          customfields: [
            { id: plan, value: 'Pro' },
            { id: seats, value: 12 },
            { id: urgent, value: true },
            { id: platforms, value: ['web', 'ios'] },
            { id: due, value: '2026-03-01' },
          ],
          editMethod: 'markdown',
          files: [fileId],
          inbox: { id: sales },
          message,
          notifyCustomer: true,
          parent: { id: parent.id },
          priority: { id: S.priority.high },
          scheduledEmail: { sendAt: '2030-01-02T03:04:05Z', subject: 'Following up' },
          sendFrom: 'deals@acme.test',
          source: { id: S.source.email },
          status: { id: S.status.waiting },
          subject: 'Invoice total is wrong',
          tags: [{ id: refunds }, { name: 'vip' }, 'Billing'],
          tickettemplate: { id: template },
          type: { id: S.type.problem },
        },
      });

      expect(res.status).toBe(201);
      expect(Object.keys(res.body)).toEqual(['ticket']);
      const tk = res.body.ticket;
      expect(Object.keys(tk).sort()).toEqual(TICKET_FIELDS);
      const [vip] = await tagsNamed(acme, 'vip');
      const [billing] = await tagsNamed(acme, 'billing');
      expect({ vip: vip?.name, billing: billing?.name }).toEqual({ vip: 'vip', billing: 'Billing' });
      expect(tk).toEqual({
        id: expect.any(Number),
        subject: 'Invoice total is wrong',
        previewText: 'The **invoice** total is wrong. Please check.',
        customer: { id: customerId, type: 'customers' },
        contact: { id: contactId, type: 'contacts' },
        agent: { id: agent.id, type: 'users' },
        inbox: { id: sales, type: 'inboxes' },
        status: { id: S.status.waiting, type: 'ticketstatuses' },
        priority: { id: S.priority.high, type: 'ticketpriorities' },
        type: { id: S.type.problem, type: 'tickettypes' },
        source: { id: S.source.email, type: 'ticketsources' },
        tags: [refunds, vip.id, billing.id].sort((a, b) => a - b).map((id) => ({ id, type: 'tags' })),
        customfields: [
          { id: plan, value: 'Pro' },
          { id: seats, value: 12 },
          { id: urgent, value: true },
          { id: platforms, value: ['web', 'ios'] },
          { id: due, value: '2026-03-01' },
        ],
        cc: ['boss@example.test', 'team@example.test'],
        bcc: ['audit@example.test'],
        files: [{ id: fileId, type: 'files' }],
        messages: [{ id: expect.any(Number), type: 'messages' }],
        messageCount: 1,
        parent: { id: parent.id, type: 'tickets' },
        editMethod: 'markdown',
        isRead: false,
        sendFrom: 'deals@acme.test',
        conversation: null,
        createdAt: expect.stringMatching(ISO),
        createdBy: { id: acme.adminId, type: 'users' },
        updatedAt: expect.stringMatching(ISO),
        updatedBy: { id: acme.adminId, type: 'users' },
        state: 'active',
      });
      expect(tk.updatedAt).toBe(tk.createdAt);

      expect(await ticketRow(tk.id)).toMatchObject({
        tenant_id: acme.tenantId,
        subject: 'Invoice total is wrong',
        preview_text: 'The **invoice** total is wrong. Please check.',
        customer_id: customerId,
        contact_id: contactId,
        agent_id: agent.id,
        inbox_id: sales,
        status_id: S.status.waiting,
        priority_id: S.priority.high,
        type_id: S.type.problem,
        source_id: S.source.email,
        parent_id: parent.id,
        conversation_id: null,
        cc: ['boss@example.test', 'team@example.test'],
        bcc: ['audit@example.test'],
        file_ids: [fileId],
        edit_method: 'markdown',
        send_from: 'deals@acme.test',
        is_read: false,
        message_count: 1,
        state: 'active',
        created_by: acme.adminId,
        updated_by: acme.adminId,
        deleted_at: null,
      });
      const messages = await messageRows(tk.id);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({
        id: tk.messages[0].id,
        tenant_id: acme.tenantId,
        thread_type: 'message',
        message,
        edit_method: 'markdown',
        user_id: acme.adminId,
        contact_id: null,
        cc: ['boss@example.test', 'team@example.test'],
        bcc: ['audit@example.test'],
        file_ids: [fileId],
        conversation_message_id: null,
        created_by: acme.adminId,
        state: 'active',
      });
      expect(await tagIdsOf(tk.id)).toEqual(idsOf(tk.tags));
      expect(await tagsNamed(acme, 'VIP')).toHaveLength(1);
      expect(await tagsNamed(acme, 'BILLING')).toHaveLength(1);
      expect(await fieldValuesOf(tk.id)).toEqual([
        { custom_field_id: plan, value: 'Pro' },
        { custom_field_id: seats, value: 12 },
        { custom_field_id: urgent, value: true },
        { custom_field_id: platforms, value: ['web', 'ios'] },
        { custom_field_id: due, value: '2026-03-01' },
      ]);
      const outbox = await outboxOf(tk.id);
      expect(outbox).toHaveLength(2);
      expect(outbox[0]).toMatchObject({
        tenant_id: acme.tenantId,
        topic: 'ticket.customer_notification',
        due: true,
        delivered_at: null,
        attempts: 0,
        created_by: acme.adminId,
        payload: { to: customerEmail, from: 'deals@acme.test', subject: 'Invoice total is wrong' },
      });
      expect(outbox[1]).toMatchObject({
        topic: 'ticket.scheduled_email',
        due: false,
        available_at: new Date('2030-01-02T03:04:05Z'),
        delivered_at: null,
        payload: { to: customerEmail, from: 'deals@acme.test', subject: 'Following up', message },
      });

      const shown = await get(`tickets/${tk.id}.json`);
      expect(shown.status).toBe(200);
      expect(shown.body).toEqual({ ticket: tk });
    });

    it('should fill the defaults when only customer, subject and message are given', async () => {
      const { customerId, contactId } = await createContact(t.db, acme.tenantId);
      const res = await post({ customer: { id: customerId }, subject: 'Hi', message: '<p>Hello &amp; welcome</p>' });
      expect(res.status).toBe(201);
      expect(res.body.ticket).toMatchObject({
        subject: 'Hi',
        previewText: 'Hello & welcome',
        contact: { id: contactId, type: 'contacts' },
        agent: null,
        inbox: { id: S.inbox, type: 'inboxes' },
        status: { id: S.status.active, type: 'ticketstatuses' },
        priority: null,
        type: null,
        source: { id: S.source.api, type: 'ticketsources' },
        tags: [],
        customfields: [],
        cc: [],
        bcc: [],
        files: [],
        parent: null,
        editMethod: 'html',
        sendFrom: null,
        messageCount: 1,
      });
      expect(await outboxOf(res.body.ticket.id)).toEqual([]);
    });

    describe('refusals', () => {
      interface Context {
        customerId: number;
        dropdown: number;
        theirStatus: number;
        theirCustomer: number;
        theirAgent: number;
        // A customer with a phone and no email address.
        phoneOnly: number;
        deletedTicket: number;
      }
      const ctx = {} as Context;

      beforeAll(async () => {
        ctx.customerId = (await createContact(t.db, acme.tenantId)).customerId;
        ctx.dropdown = await customField(acme, 'dropdown', ['Basic', 'Pro']);
        ctx.theirStatus = G.status.solved;
        ctx.theirCustomer = (await createContact(t.db, globex.tenantId)).customerId;
        ctx.theirAgent = (await createAgent(t, globex.tenantId)).id;
        [{ id: ctx.phoneOnly }] = await t.db.query(`INSERT INTO customers (tenant_id, first_name, phone) VALUES ($1, 'Pat', '+1 555 0199') RETURNING id`, [
          acme.tenantId,
        ]);
        await t.db.query(`INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main) VALUES ($1, $2, 'phone', '+1 555 0199', true)`, [
          acme.tenantId,
          ctx.phoneOnly,
        ]);
        ctx.deletedTicket = (await ticket()).id;
        await del(ctx.deletedTicket).expect(204);
      });

      const valid = (c: Context) => ({ customer: { id: c.customerId }, subject: 'Help', message: 'Please help' });
      // [case, body from the valid one, the exact errors]
      const cases: [string, (c: Context) => Row, Errors | ((c: Context) => Errors)][] = [
        ['the customer is missing', () => ({ subject: 'Help', message: 'Please help' }), { customer: ['must be set'] }],
        [
          'the customer has both id and email',
          (c) => ({ ...valid(c), customer: { id: c.customerId, email: email() } }),
          { customer: ['Customer ID or Email is required, but not both'] },
        ],
        ['the customer has neither id nor email', (c) => ({ ...valid(c), customer: {} }), { customer: ['Customer ID or Email is required, but not both'] }],
        ['the customer is unknown', (c) => ({ ...valid(c), customer: { id: NO_SUCH_ID } }), { 'customer.id': ['does not exist'] }],
        ["the customer is another tenant's", (c) => ({ ...valid(c), customer: { id: c.theirCustomer } }), { 'customer.id': ['does not exist'] }],
        ['the agent is unknown', (c) => ({ ...valid(c), agent: { id: NO_SUCH_ID } }), { 'agent.id': ['must be an active agent of the tenant'] }],
        ["the agent is another tenant's", (c) => ({ ...valid(c), agent: { id: c.theirAgent } }), { 'agent.id': ['must be an active agent of the tenant'] }],
        ['the inbox is unknown', (c) => ({ ...valid(c), inbox: { id: NO_SUCH_ID } }), { 'inbox.id': ['does not exist'] }],
        ['the status is unknown', (c) => ({ ...valid(c), status: { id: NO_SUCH_ID } }), { 'status.id': ['does not exist'] }],
        ["the status is another tenant's", (c) => ({ ...valid(c), status: { id: c.theirStatus } }), { 'status.id': ['does not exist'] }],
        ['the priority is unknown', (c) => ({ ...valid(c), priority: { id: NO_SUCH_ID } }), { 'priority.id': ['does not exist'] }],
        ['the type is unknown', (c) => ({ ...valid(c), type: { id: NO_SUCH_ID } }), { 'type.id': ['does not exist'] }],
        ['the source is unknown', (c) => ({ ...valid(c), source: { id: NO_SUCH_ID } }), { 'source.id': ['does not exist'] }],
        ['the parent is unknown', (c) => ({ ...valid(c), parent: { id: NO_SUCH_ID } }), { 'parent.id': ['does not exist'] }],
        ['the parent is deleted', (c) => ({ ...valid(c), parent: { id: c.deletedTicket } }), { 'parent.id': ['does not exist'] }],
        ['the template is unknown', (c) => ({ ...valid(c), tickettemplate: { id: NO_SUCH_ID } }), { 'tickettemplate.id': ['does not exist'] }],
        ['a file is unknown', (c) => ({ ...valid(c), files: [NO_SUCH_ID] }), { 'files[0]': ['does not exist'] }],
        ['a tag is unknown', (c) => ({ ...valid(c), tags: [{ id: NO_SUCH_ID }] }), { 'tags[0].id': ['does not exist'] }],
        ['a custom field is unknown', (c) => ({ ...valid(c), customfields: [{ id: NO_SUCH_ID, value: 'x' }] }), { 'customfields[0].id': ['does not exist'] }],
        [
          'a dropdown value is not one of its options',
          (c) => ({ ...valid(c), customfields: [{ id: c.dropdown, value: 'Gold' }] }),
          { 'customfields[0].value': ['must be one of ‘Basic, Pro’'] },
        ],
        [
          'a custom field is given twice',
          (c) => ({ ...valid(c), customfields: [{ id: c.dropdown, value: 'Pro' }, { id: c.dropdown, value: 'Basic' }] }),
          { 'customfields[1].id': ['is given more than once'] },
        ],
        [
          'a custom field has no value',
          (c) => ({ ...valid(c), customfields: [{ id: c.dropdown, value: null }] }),
          { 'customfields[0].value': ['must be set'] },
        ],
        ['the editMethod is unknown', (c) => ({ ...valid(c), editMethod: 'rtf' }), { editMethod: ['must be one of ‘html, markdown’'] }],
        ['a cc address is not an email', (c) => ({ ...valid(c), cc: ['ok@example.test', 'not-an-email'] }), { cc: ['must be a valid email address'] }],
        [
          'sendFrom is not an address of the inbox',
          (c) => ({ ...valid(c), sendFrom: 'deals@acme.test' }),
          () => ({ sendFrom: [`must be the email or an alias of inbox ${S.inbox}`] }),
        ],
        [
          'notifyCustomer is asked for a customer without an email address',
          (c) => ({ ...valid(c), customer: { id: c.phoneOnly }, notifyCustomer: true }),
          { notifyCustomer: ['the customer has no email address to send to'] },
        ],
        [
          'scheduledEmail.sendAt is not a date',
          (c) => ({ ...valid(c), scheduledEmail: { sendAt: 'tomorrow' } }),
          { 'scheduledEmail.sendAt': ['must be a date as ‘2006-01-02T15:04:05Z’'] },
        ],
        ['the subject is missing', (c) => ({ customer: { id: c.customerId }, message: 'Please help' }), { subject: ['must be set'] }],
        ['the message is missing', (c) => ({ customer: { id: c.customerId }, subject: 'Help' }), { message: ['must be set'] }],
        ['the message is blank', (c) => ({ ...valid(c), message: ' \n ' }), { message: ['must be set'] }],
        ['a field is unknown', (c) => ({ ...valid(c), foo: 1 }), { foo: ['is not a known field'] }],
        [
          'email is given with customer',
          (c) => ({ ...valid(c), email: email() }),
          { email: ['must not be set with customer: it is the deprecated form of customer.email'] },
        ],
        // What the body would create (a customer, tags) is not created when another field is wrong.
        [
          'a new customer email comes with an unknown status',
          () => ({ customer: { email: email() }, subject: 'Help', message: 'Please help', status: { id: NO_SUCH_ID } }),
          { 'status.id': ['does not exist'] },
        ],
        [
          'new tag names come with an unknown priority',
          (c) => ({ ...valid(c), tags: [unique('fresh '), { name: unique('fresh ') }], priority: { id: NO_SUCH_ID } }),
          { 'priority.id': ['does not exist'] },
        ],
      ];

      it.each(cases)('should answer 400 and write nothing when %s', async (_case, bodyOf, errors) => {
        const before = await counts();
        const res = await post(bodyOf(ctx));
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ errors: typeof errors === 'function' ? errors(ctx) : errors });
        expect(await counts()).toEqual(before);
      });
    });

    describe('customer by email', () => {
      it('should create a customer for a new deprecated `email` and reuse it for the next ticket with that email', async () => {
        const address = email('newbie');
        const before = await counts();
        const first = await post({ email: address, subject: 'First', message: 'Hello' });
        expect(first.status).toBe(201);
        const { customer, contact } = first.body.ticket;
        expect(customer).toEqual({ id: expect.any(Number), type: 'customers' });
        expect(contact).toEqual({ id: expect.any(Number), type: 'contacts' });
        const after = await counts();
        expect(after.customers).toBe(before.customers + 1);
        expect(after.contacts).toBe(before.contacts + 1);
        const [row] = await t.db.query(`SELECT * FROM customers WHERE id = $1`, [customer.id]);
        expect(row).toMatchObject({ tenant_id: acme.tenantId, email: address, state: 'active', created_by: acme.adminId });
        expect(await t.db.query(`SELECT id, type, value, is_main FROM customer_contacts WHERE customer_id = $1`, [customer.id])).toEqual([
          { id: contact.id, type: 'email', value: address, is_main: true },
        ]);

        const second = await post({ email: address, subject: 'Second', message: 'Me again' });
        expect(second.status).toBe(201);
        expect(second.body.ticket).toMatchObject({ customer, contact });
        const again = await counts();
        expect({ customers: again.customers, contacts: again.contacts }).toEqual({ customers: after.customers, contacts: after.contacts });
        expect(await t.db.query(`SELECT count(*)::int AS n FROM customer_contacts WHERE lower(value) = lower($1)`, [address])).toEqual([{ n: 1 }]);
      });

      it('should take the customer of an existing contact when customer.email is given, whatever its case', async () => {
        const address = email('known');
        const { customerId, contactId } = await createContact(t.db, acme.tenantId, address);
        const before = await counts();
        const res = await post({ customer: { email: address.toUpperCase() }, subject: 'Known', message: 'Hi' });
        expect(res.status).toBe(201);
        expect(res.body.ticket).toMatchObject({ customer: { id: customerId, type: 'customers' }, contact: { id: contactId, type: 'contacts' } });
        const after = await counts();
        expect({ customers: after.customers, contacts: after.contacts }).toEqual({ customers: before.customers, contacts: before.contacts });
        expect(await ticketRow(res.body.ticket.id)).toMatchObject({ customer_id: customerId, contact_id: contactId });
      });
    });

    describe('fromThreadId', () => {
      it("should take the customer and the message of a customer's reply when fromThreadId names it", async () => {
        const { customerId, contactId } = await createContact(t.db, acme.tenantId);
        const a = await ticket({ customer: { id: customerId } });
        const reply = await postMessage(a.id, { contact: { id: contactId }, message: 'My printer is on fire' });
        expect(reply.status).toBe(201);
        const threadId = reply.body.message.id;

        const res = await post({ fromThreadId: threadId, subject: 'Printer fire' });
        expect(res.status).toBe(201);
        const tk = res.body.ticket;
        expect(tk).toMatchObject({
          subject: 'Printer fire',
          previewText: 'My printer is on fire',
          customer: { id: customerId, type: 'customers' },
          contact: { id: contactId, type: 'contacts' },
          messageCount: 1,
          createdBy: { id: acme.adminId, type: 'users' },
        });
        expect(tk.id).not.toBe(a.id);
        const messages = await messageRows(tk.id);
        expect(messages).toHaveLength(1);
        expect(messages[0]).toMatchObject({ message: 'My printer is on fire', contact_id: contactId, user_id: null, thread_type: 'message' });
        // The thread it came from is untouched.
        expect((await messageRows(a.id)).map((m) => m.id)).toEqual([a.messages[0].id, threadId]);
      });

      // A ticket with a customer's reply in its thread; returns the reply's id.
      async function customerReply(text: string): Promise<{ a: TicketJson; threadId: number; customerId: number }> {
        const { customerId, contactId } = await createContact(t.db, acme.tenantId);
        const a = await ticket({ customer: { id: customerId } });
        const reply = await postMessage(a.id, { contact: { id: contactId }, message: text });
        expect(reply.status).toBe(201);
        return { a, threadId: reply.body.message.id, customerId };
      }

      it("should answer 400 fromTicketId and write nothing when fromTicketId is not the thread's ticket", async () => {
        const { threadId } = await customerReply('Still broken');
        const other = await ticket();
        const before = await counts();
        const res = await post({ fromThreadId: threadId, fromTicketId: other.id, subject: 'Copy' });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ errors: { fromTicketId: [`must be the ticket of thread ${threadId}`] } });
        expect(await counts()).toEqual(before);
      });

      it('should answer 400 fromTicketId and write nothing when the thread is of a deleted ticket and fromTicketId is not given', async () => {
        const { a, threadId } = await customerReply('Still broken');
        await del(a.id).expect(204);
        const before = await counts();
        const res = await post({ fromThreadId: threadId, subject: 'Copy' });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ errors: { fromTicketId: ['must be set: the ticket of this thread is archived'] } });
        expect(await counts()).toEqual(before);
      });

      it('should take the thread of a deleted ticket when fromTicketId names that ticket', async () => {
        const { a, threadId, customerId } = await customerReply('Still broken');
        await del(a.id).expect(204);
        const res = await post({ fromThreadId: threadId, fromTicketId: a.id, subject: 'Copy' });
        expect(res.status).toBe(201);
        expect(res.body.ticket).toMatchObject({ customer: { id: customerId, type: 'customers' }, previewText: 'Still broken', state: 'active' });
      });

      it('should answer 400 fromThreadId when the thread message is unknown or needs fromThreadId for fromTicketId', async () => {
        const { customerId } = await createContact(t.db, acme.tenantId);
        const unknown = await post({ fromThreadId: NO_SUCH_ID, customer: { id: customerId }, subject: 'Copy', message: 'x' });
        expect(unknown.status).toBe(400);
        expect(unknown.body).toEqual({ errors: { fromThreadId: ['does not exist'] } });
        const alone = await post({ fromTicketId: NO_SUCH_ID, customer: { id: customerId }, subject: 'Copy', message: 'x' });
        expect(alone.status).toBe(400);
        expect(alone.body).toEqual({ errors: { fromThreadId: ['must be set with fromTicketId'] } });
      });
    });

    describe('tickettemplate', () => {
      it('should fill subject, message, priority, tags and custom fields from the template when the body leaves them out', async () => {
        const tagId = await tagOf(acme);
        const fieldId = await customField(acme, 'dropdown', ['Basic', 'Pro']);
        const template = await templateOf(acme, {
          subject: 'Welcome aboard',
          message: 'Hello and welcome',
          priority_id: S.priority.urgent,
          tag_ids: [tagId],
          custom_fields: JSON.stringify([{ id: fieldId, value: 'Pro' }]),
        });
        const { customerId } = await createContact(t.db, acme.tenantId);

        const res = await post({ tickettemplate: { id: template }, customer: { id: customerId } });
        expect(res.status).toBe(201);
        const tk = res.body.ticket;
        expect(tk).toMatchObject({
          subject: 'Welcome aboard',
          previewText: 'Hello and welcome',
          priority: { id: S.priority.urgent, type: 'ticketpriorities' },
          tags: [{ id: tagId, type: 'tags' }],
          customfields: [{ id: fieldId, value: 'Pro' }],
          messageCount: 1,
        });
        expect(await messageRows(tk.id)).toEqual([expect.objectContaining({ message: 'Hello and welcome', user_id: acme.adminId })]);
        expect(await tagIdsOf(tk.id)).toEqual([tagId]);
        expect(await fieldValuesOf(tk.id)).toEqual([{ custom_field_id: fieldId, value: 'Pro' }]);

        const own = await post({ tickettemplate: { id: template }, customer: { id: customerId }, subject: 'My own subject' });
        expect(own.status).toBe(201);
        expect(own.body.ticket).toMatchObject({
          subject: 'My own subject',
          previewText: 'Hello and welcome',
          priority: { id: S.priority.urgent, type: 'ticketpriorities' },
          tags: [{ id: tagId, type: 'tags' }],
        });
      });
    });

    describe('tags by name', () => {
      it('should reuse a tag whatever the case of its name when tags name it', async () => {
        await ticket({ tags: ['vip'] });
        const [vip] = await tagsNamed(acme, 'vip');
        const before = await counts();
        const tk = await ticket({ tags: ['VIP', { name: 'Vip' }] });
        expect(tk.tags).toEqual([{ id: vip.id, type: 'tags' }]);
        expect(await tagsNamed(acme, 'vip')).toEqual([vip]);
        expect((await counts()).tags).toBe(before.tags);
        expect(await tagIdsOf(tk.id)).toEqual([vip.id]);
      });
    });

    describe('Idempotency-Key', () => {
      it('should replay the first ticket when the same key comes with the same body', async () => {
        const { customerId } = await createContact(t.db, acme.tenantId);
        const key = unique('ticket-');
        const body = { customer: { id: customerId }, subject: unique('Once '), message: 'Only once' };
        const first = await post(body).set('Idempotency-Key', key);
        const again = await post(body).set('Idempotency-Key', key);
        expect(first.status).toBe(201);
        expect(first.headers['idempotent-replayed']).toBeUndefined();
        expect(again.status).toBe(201);
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(again.body.ticket.id).toBe(first.body.ticket.id);
        expect(await t.db.query(`SELECT id FROM tickets WHERE tenant_id = $1 AND subject = $2`, [acme.tenantId, body.subject])).toEqual([
          { id: first.body.ticket.id },
        ]);
        expect(await messageRows(first.body.ticket.id)).toHaveLength(1);
      });
    });
  });

  describe('GET /tickets.json', () => {
    // Three tickets of one new customer, created on known days: a (Jan), b (Feb), c (Mar).
    async function three(): Promise<{ customerId: number; agentId: number; tagId: number; fileId: number; a: TicketJson; b: TicketJson; c: TicketJson }> {
      const { customerId } = await createContact(t.db, acme.tenantId);
      const agent = await createAgent(t, acme.tenantId);
      const tagId = await tagOf(acme);
      const fileId = await fileOf(acme);
      const a = await ticket({
        customer: { id: customerId },
        status: { id: S.status.waiting },
        priority: { id: S.priority.high },
        agent: { id: agent.id },
        tags: [{ id: tagId }],
        files: [fileId],
      });
      const b = await ticket({ customer: { id: customerId }, priority: { id: S.priority.low }, inbox: { id: sales } });
      const c = await ticket({ customer: { id: customerId } });
      for (const [tk, day] of [
        [a, '2025-01-01'],
        [b, '2025-02-01'],
        [c, '2025-03-01'],
      ] as const) {
        await t.db.query(`UPDATE tickets SET created_at = $2 WHERE id = $1`, [tk.id, `${day}T12:00:00Z`]);
      }
      return { customerId, agentId: agent.id, tagId, fileId, a, b, c };
    }

    it('should filter by status, priority, inbox, agent, customer, tags and createdAt', async () => {
      const { customerId, agentId, tagId, a, b, c } = await three();
      const mine = { customer: customerId };
      expect(await listIds(`filter=${filterOf(mine)}`)).toEqual([c.id, b.id, a.id]);
      expect(await listIds(`filter=${filterOf({ ...mine, status: S.status.waiting })}`)).toEqual([a.id]);
      expect(await listIds(`filter=${filterOf({ ...mine, status: { $in: [S.status.active] } })}`)).toEqual([c.id, b.id]);
      expect(await listIds(`filter=${filterOf({ ...mine, priority: S.priority.high })}`)).toEqual([a.id]);
      expect(await listIds(`filter=${filterOf({ ...mine, priority: null })}`)).toEqual([c.id]);
      expect(await listIds(`filter=${filterOf({ ...mine, inbox: sales })}`)).toEqual([b.id]);
      expect(await listIds(`filter=${filterOf({ agent: agentId })}`)).toEqual([a.id]);
      expect(await listIds(`filter=${filterOf({ tags: { $in: [tagId] } })}`)).toEqual([a.id]);
      expect(await listIds(`filter=${filterOf({ ...mine, createdAt: { $gte: '2025-02-01T00:00:00Z' } })}`)).toEqual([c.id, b.id]);
      expect(await listIds(`filter=${filterOf({ ...mine, createdAt: { $lt: '2025-02-01T00:00:00Z' } })}`)).toEqual([a.id]);
      expect(await listIds(`filter=${filterOf({ ...mine, $or: [{ priority: S.priority.low }, { tags: tagId }] })}`)).toEqual([b.id, a.id]);

      const bad = await get(`tickets.json?filter=${filterOf({ colour: 'red' })}`);
      expect(bad.status).toBe(400);
      expect(Object.keys(bad.body.errors)).toEqual(['filter']);
    });

    it('should order by orderBy and orderMode, and page by pageSize', async () => {
      const { customerId, a, b, c } = await three();
      // Created out of id order: b first.
      await t.db.query(`UPDATE tickets SET created_at = '2024-12-01T00:00:00Z' WHERE id = $1`, [b.id]);
      const mine = `filter=${filterOf({ customer: customerId })}`;
      expect(await listIds(`${mine}&orderBy=id&orderMode=asc`)).toEqual([a.id, b.id, c.id]);
      expect(await listIds(`${mine}&orderBy=id&orderMode=desc`)).toEqual([c.id, b.id, a.id]);
      expect(await listIds(`${mine}&orderBy=createdAt&orderMode=asc`)).toEqual([b.id, a.id, c.id]);
      expect(await listIds(mine)).toEqual([c.id, a.id, b.id]);

      const first = await get(`tickets.json?${mine}&orderBy=id&orderMode=asc&pageSize=2`);
      expect(first.status).toBe(200);
      expect(idsOf(first.body.tickets)).toEqual([a.id, b.id]);
      expect(first.body.meta.page).toEqual({ count: 3, pageSize: 2, pageOffset: 0, pages: 2, hasMore: true, nextCursor: expect.any(String) });
      const second = await get(`tickets.json?${mine}&orderBy=id&orderMode=asc&pageSize=2&page=2`);
      expect(idsOf(second.body.tickets)).toEqual([c.id]);
      expect(second.body.meta.page).toMatchObject({ count: 3, pageOffset: 2, hasMore: false, nextCursor: null });
      const next = await get(`tickets.json?${mine}&pageSize=2&cursor=${first.body.meta.page.nextCursor}`);
      expect(idsOf(next.body.tickets)).toEqual([c.id]);

      const bad = await get(`tickets.json?orderBy=subject`);
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ errors: { orderBy: ['must be one of ‘createdAt, id, updatedAt’'] } });
    });

    it('should side-load customers, users, inboxes, messages, tags and files when includes names them', async () => {
      const { customerId, agentId, tagId, fileId, a } = await three();
      const res = await get(`tickets.json?filter=${filterOf({ customer: customerId, agent: agentId })}&includes=customers,users,inboxes,messages,tags,files`);
      expect(res.status).toBe(200);
      expect(idsOf(res.body.tickets)).toEqual([a.id]);
      const { included } = res.body;
      expect(Object.keys(included).sort()).toEqual(['customers', 'files', 'inboxes', 'messages', 'tags', 'users']);
      expect(included.customers).toEqual([expect.objectContaining({ id: customerId, state: 'active' })]);
      expect(idsOf(included.users).sort((x, y) => x - y)).toEqual([acme.adminId, agentId].sort((x, y) => x - y));
      expect(included.inboxes).toEqual([expect.objectContaining({ id: S.inbox, name: 'Support', code: 'support' })]);
      expect(included.messages).toEqual([
        expect.objectContaining({ id: a.messages[0].id, ticket: { id: a.id, type: 'tickets' }, message: 'It jams on every page.' }),
      ]);
      expect(included.tags).toEqual([expect.objectContaining({ id: tagId, name: expect.any(String) })]);
      expect(included.files).toEqual([expect.objectContaining({ id: fileId })]);

      const none = await get(`tickets.json?filter=${filterOf({ customer: customerId })}&fields=subject,status`);
      expect(none.body.included).toEqual({});
      none.body.tickets.forEach((tk: Row) => expect(Object.keys(tk).sort()).toEqual(['id', 'status', 'subject']));
      const one = await get(`tickets/${a.id}.json?includes=tags`);
      expect(one.body.included).toEqual({ tags: included.tags });
    });

    it('should hide deleted tickets unless the filter names state', async () => {
      const { customerId, a, b, c } = await three();
      expect((await del(b.id)).status).toBe(204);
      const mine = { customer: customerId };
      expect(await listIds(`filter=${filterOf(mine)}`)).toEqual([c.id, a.id]);
      expect(await listIds(`filter=${filterOf({ ...mine, state: 'deleted' })}`)).toEqual([b.id]);
      expect(await listIds(`filter=${filterOf({ ...mine, state: { $in: ['active', 'deleted'] } })}`)).toEqual([c.id, b.id, a.id]);
    });
  });

  describe('PATCH /tickets/{id}.json', () => {
    it('should change status, priority, agent and isRead, and move updatedAt', async () => {
      const agent = await createAgent(t, acme.tenantId);
      const tk = await ticket({ agent: { id: agent.id }, priority: { id: S.priority.low } });
      const aged = await age(tk.id);

      const res = await patch(tk.id, { ticket: { status: { id: S.status.solved }, priority: { id: S.priority.urgent }, agent: null, isRead: true } });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['ticket']);
      expect(Object.keys(res.body.ticket).sort()).toEqual(TICKET_FIELDS);
      expect(res.body.ticket).toMatchObject({
        status: { id: S.status.solved, type: 'ticketstatuses' },
        priority: { id: S.priority.urgent, type: 'ticketpriorities' },
        agent: null,
        isRead: true,
        subject: tk.subject,
        updatedBy: { id: acme.adminId, type: 'users' },
      });
      expect(res.body.ticket.updatedAt > aged).toBe(true);
      expect(res.body.ticket.createdAt).toBe(tk.createdAt);
      expect(await ticketRow(tk.id)).toMatchObject({ status_id: S.status.solved, priority_id: S.priority.urgent, agent_id: null, is_read: true });

      const cleared = await patch(tk.id, { priority: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.ticket.priority).toBeNull();
      expect((await ticketRow(tk.id)).priority_id).toBeNull();
    });

    it('should replace the tags, creating named ones, when tags is given', async () => {
      const [oldOne, kept] = [await tagOf(acme), await tagOf(acme)];
      const tk = await ticket({ tags: [{ id: oldOne }, { id: kept }] });
      expect(await tagIdsOf(tk.id)).toEqual([oldOne, kept]);
      const aged = await age(tk.id);
      const name = unique('Escalated ');

      const res = await patch(tk.id, { tags: [{ id: kept }, name] });
      expect(res.status).toBe(200);
      const [created] = await tagsNamed(acme, name);
      expect(created).toBeDefined();
      expect(res.body.ticket.tags).toEqual([
        { id: kept, type: 'tags' },
        { id: created.id, type: 'tags' },
      ]);
      expect(await tagIdsOf(tk.id)).toEqual([kept, created.id]);
      expect(res.body.ticket.updatedAt > aged).toBe(true);
      // The tag itself stays; only the ticket lost it.
      expect(await tagsNamed(acme, (await t.db.query(`SELECT name FROM tags WHERE id = $1`, [oldOne]))[0].name)).toHaveLength(1);

      const none = await patch(tk.id, { tags: [] });
      expect(none.body.ticket.tags).toEqual([]);
      expect(await tagIdsOf(tk.id)).toEqual([]);
    });

    it('should set custom field values, and remove one when its value is null', async () => {
      const text = await customField(acme, 'text');
      const seats = await customField(acme, 'number');
      const urgent = await customField(acme, 'checkbox');
      const tk = await ticket({
        customfields: [
          { id: text, value: 'first' },
          { id: seats, value: 5 },
        ],
      });
      const aged = await age(tk.id);

      const res = await patch(tk.id, {
        customfields: [
          { id: text, value: null },
          { id: seats, value: 7 },
          { id: urgent, value: false },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body.ticket.customfields).toEqual([
        { id: seats, value: 7 },
        { id: urgent, value: false },
      ]);
      expect(await fieldValuesOf(tk.id)).toEqual([
        { custom_field_id: seats, value: 7 },
        { custom_field_id: urgent, value: false },
      ]);
      expect(res.body.ticket.updatedAt > aged).toBe(true);

      const bad = await patch(tk.id, { customfields: [{ id: seats, value: 'many' }] });
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ errors: { 'customfields[0].value': ['must be a number'] } });
      expect(await fieldValuesOf(tk.id)).toEqual([
        { custom_field_id: seats, value: 7 },
        { custom_field_id: urgent, value: false },
      ]);
    });

    it('should leave updatedAt alone when the PATCH changes nothing', async () => {
      const tagId = await tagOf(acme);
      const fieldId = await customField(acme, 'number');
      const tk = await ticket({ status: { id: S.status.waiting }, tags: [{ id: tagId }], customfields: [{ id: fieldId, value: 3 }] });
      const aged = await age(tk.id);
      const before = await ticketRow(tk.id);

      for (const body of [
        {},
        { status: { id: S.status.waiting }, subject: tk.subject, tags: [{ id: tagId }], customfields: [{ id: fieldId, value: 3 }], isRead: false },
        { agent: null, priority: null, cc: [], files: [] },
      ]) {
        const res = await patch(tk.id, body);
        expect(res.status).toBe(200);
        expect(res.body.ticket.updatedAt).toBe(aged);
      }
      expect(await ticketRow(tk.id)).toEqual(before);
    });

    it('should answer 400 when the parent is the ticket itself or the inbox is null, and change nothing', async () => {
      const tk = await ticket();
      const before = await ticketRow(tk.id);
      const self = await patch(tk.id, { parent: { id: tk.id } });
      expect(self.status).toBe(400);
      expect(self.body).toEqual({ errors: { 'parent.id': ['must not be the ticket itself or one of its children'] } });
      const inbox = await patch(tk.id, { inbox: null, subject: 'Renamed' });
      expect(inbox.status).toBe(400);
      expect(inbox.body).toEqual({ errors: { inbox: ['must be set'] } });
      const status = await patch(tk.id, { status: null });
      expect(status.status).toBe(400);
      expect(status.body).toEqual({ errors: { status: ['must be set'] } });
      expect(await ticketRow(tk.id)).toEqual(before);
    });

    it('should set and clear the parent, refusing a child of the ticket, an unknown ticket or a deleted one', async () => {
      const tk = await ticket();
      const child = await ticket({ parent: { id: tk.id } });
      const other = await ticket();
      const gone = await ticket();
      await del(gone.id).expect(204);

      const set = await patch(tk.id, { parent: { id: other.id } });
      expect(set.status).toBe(200);
      expect(set.body.ticket.parent).toEqual({ id: other.id, type: 'tickets' });
      const before = await ticketRow(tk.id);
      for (const [parent, errors] of [
        [child.id, { 'parent.id': ['must not be the ticket itself or one of its children'] }],
        [NO_SUCH_ID, { 'parent.id': ['does not exist'] }],
        // As POST /tickets.json refuses a deleted parent.
        [gone.id, { 'parent.id': ['does not exist'] }],
      ] as const) {
        const res = await patch(tk.id, { parent: { id: parent } });
        expect({ parent, status: res.status, body: res.body }).toEqual({ parent, status: 400, body: { errors } });
      }
      expect(await ticketRow(tk.id)).toEqual(before);

      const cleared = await patch(tk.id, { parent: null });
      expect(cleared.body.ticket.parent).toBeNull();
      expect((await ticketRow(tk.id)).parent_id).toBeNull();
    });

    it('should answer 404 for an unknown ticket', async () => {
      const res = await patch(NO_SUCH_ID, { subject: 'x' });
      expect(res.status).toBe(404);
      expect(res.body.errors._).toHaveLength(1);
    });
  });

  describe('DELETE /tickets/{id}.json', () => {
    it('should soft-delete without moving updatedAt, show it deleted, refuse PATCH with 409, and restore with state active', async () => {
      const tk = await ticket();
      const aged = await age(tk.id);

      const res = await del(tk.id);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const row = await ticketRow(tk.id);
      expect(row).toMatchObject({ state: 'deleted', deleted_by: acme.adminId });
      expect(row.deleted_at).toBeInstanceOf(Date);
      expect((row.updated_at as Date).toISOString()).toBe(aged);

      const shown = await get(`tickets/${tk.id}.json`);
      expect(shown.status).toBe(200);
      expect(Object.keys(shown.body.ticket).sort()).toEqual([...TICKET_FIELDS, 'deletedAt', 'deletedBy'].sort());
      expect(shown.body.ticket).toMatchObject({
        state: 'deleted',
        deletedAt: (row.deleted_at as Date).toISOString(),
        deletedBy: { id: acme.adminId, type: 'users' },
        updatedAt: aged,
      });

      expect((await del(tk.id)).status).toBe(204);
      expect(await ticketRow(tk.id)).toEqual(row);

      const refused = await patch(tk.id, { subject: 'Too late' });
      expect(refused.status).toBe(409);
      expect(refused.body.errors._).toHaveLength(1);
      expect(await ticketRow(tk.id)).toEqual(row);

      const restored = await patch(tk.id, { state: 'active' });
      expect(restored.status).toBe(200);
      expect(restored.body.ticket.state).toBe('active');
      expect(restored.body.ticket).not.toHaveProperty('deletedAt');
      expect(await ticketRow(tk.id)).toMatchObject({ state: 'active', deleted_at: null, deleted_by: null });
    });

    it('should answer 404 for an unknown ticket', async () => {
      const res = await del(NO_SUCH_ID);
      expect(res.status).toBe(404);
    });
  });

  describe('/tickets/{id}/messages.json', () => {
    it('should add a reply and a note by the caller, list the thread oldest first, and move messageCount', async () => {
      const tk = await ticket();
      const aged = await age(tk.id);

      const reply = await postMessage(tk.id, { message: 'We are on it', cc: ['boss@example.test'] });
      expect(reply.status).toBe(201);
      expect(Object.keys(reply.body)).toEqual(['message']);
      const m = reply.body.message;
      expect(Object.keys(m).sort()).toEqual(THREAD_MESSAGE_FIELDS);
      expect(m).toEqual({
        id: expect.any(Number),
        ticket: { id: tk.id, type: 'tickets' },
        threadType: 'message',
        message: 'We are on it',
        editMethod: 'html',
        user: { id: acme.adminId, type: 'users' },
        contact: null,
        cc: ['boss@example.test'],
        bcc: [],
        files: [],
        conversationMessage: null,
        // The ticket's inbox has no address to send from: no email.
        emailMessageId: null,
        emailStatus: null,
        emailError: null,
        createdAt: expect.stringMatching(ISO),
        createdBy: { id: acme.adminId, type: 'users' },
        updatedAt: expect.stringMatching(ISO),
        updatedBy: { id: acme.adminId, type: 'users' },
        state: 'active',
      });

      const note = await postMessage(tk.id, { message: { message: 'Internal: check the logs', threadType: 'note' } });
      expect(note.status).toBe(201);
      expect(note.body.message).toMatchObject({ threadType: 'note', message: 'Internal: check the logs', user: { id: acme.adminId, type: 'users' } });

      const thread = await get(`tickets/${tk.id}/messages.json`);
      expect(thread.status).toBe(200);
      const ids = [tk.messages[0].id, m.id, note.body.message.id];
      expect(idsOf(thread.body.messages)).toEqual(ids);
      expect(thread.body.meta.page).toMatchObject({ count: 3, hasMore: false });
      expect((await messageRows(tk.id)).map(({ id, thread_type, user_id }) => ({ id, thread_type, user_id }))).toEqual([
        { id: ids[0], thread_type: 'message', user_id: acme.adminId },
        { id: ids[1], thread_type: 'message', user_id: acme.adminId },
        { id: ids[2], thread_type: 'note', user_id: acme.adminId },
      ]);

      const shown = (await get(`tickets/${tk.id}.json`)).body.ticket;
      expect(shown.messageCount).toBe(3);
      expect(shown.messages).toEqual(ids.map((id) => ({ id, type: 'messages' })));
      expect(shown.updatedAt > aged).toBe(true);
      expect((await ticketRow(tk.id)).message_count).toBe(3);
    });

    it('should take a bare body when message is its only field', async () => {
      const tk = await ticket();
      // {"message": "…"} is the reply itself, not a {"message": {…}} envelope around one.
      const res = await postMessage(tk.id, { message: 'Thanks, that worked' });
      expect(res.status).toBe(201);
      expect(res.body.message).toMatchObject({ message: 'Thanks, that worked', threadType: 'message', user: { id: acme.adminId, type: 'users' } });
      expect((await messageRows(tk.id)).map((m) => m.message)).toEqual(['It jams on every page.', 'Thanks, that worked']);
    });

    it("should set the ticket's status when the reply names one", async () => {
      const tk = await ticket();
      const res = await postMessage(tk.id, { message: 'Fixed it', status: { id: S.status.solved } });
      expect(res.status).toBe(201);
      expect((await ticketRow(tk.id)).status_id).toBe(S.status.solved);
      expect((await get(`tickets/${tk.id}.json`)).body.ticket.status).toEqual({ id: S.status.solved, type: 'ticketstatuses' });
    });

    it('should answer 400 for an empty message or a contact of another customer, and 409 for a deleted ticket, adding nothing', async () => {
      const tk = await ticket();
      const stranger = await createContact(t.db, acme.tenantId);

      const empty = await postMessage(tk.id, { message: { message: '   ' } });
      expect(empty.status).toBe(400);
      expect(empty.body).toEqual({ errors: { message: ['must be set'] } });

      const foreign = await postMessage(tk.id, { message: 'Me too', contact: { id: stranger.contactId } });
      expect(foreign.status).toBe(400);
      expect(foreign.body).toEqual({ errors: { 'contact.id': ["must be a contact of the ticket's customer"] } });

      const badStatus = await postMessage(tk.id, { message: 'x', status: { id: G.status.solved } });
      expect(badStatus.status).toBe(400);
      expect(badStatus.body).toEqual({ errors: { 'status.id': ['does not exist'] } });

      await del(tk.id).expect(204);
      const closed = await postMessage(tk.id, { message: { message: 'Anyone?' } });
      expect(closed.status).toBe(409);
      expect(closed.body.errors._).toHaveLength(1);

      expect(await messageRows(tk.id)).toHaveLength(1);
      expect((await ticketRow(tk.id)).message_count).toBe(1);
      // A deleted ticket's thread stays readable.
      expect(idsOf((await get(`tickets/${tk.id}/messages.json`)).body.messages)).toEqual([tk.messages[0].id]);
    });
  });

  describe('tenancy', () => {
    it("should answer 404 to another tenant's key for acme's ticket and its thread, and change nothing", async () => {
      const tk = await ticket();
      const before = await ticketRow(tk.id);
      const messagesBefore = await messageRows(tk.id);

      const answers = {
        get: await get(`tickets/${tk.id}.json`, globex.auth),
        patch: await patch(tk.id, { subject: 'Pwned', status: { id: G.status.closed } }, globex.auth),
        delete: await del(tk.id, globex.auth),
        thread: await get(`tickets/${tk.id}/messages.json`, globex.auth),
        reply: await postMessage(tk.id, { message: { message: 'Hello from Globex' } }, globex.auth),
      };
      for (const [call, res] of Object.entries(answers)) {
        expect({ call, status: res.status, underscore: res.body.errors?._?.length }).toEqual({ call, status: 404, underscore: 1 });
      }

      const theirs = await listIds('pageSize=100', globex.auth);
      expect(theirs).not.toContain(tk.id);
      const byId = await listIds(`filter=${filterOf({ id: tk.id, state: { $in: ['active', 'deleted'] } })}`, globex.auth);
      expect(byId).toEqual([]);
      expect(await ticketRow(tk.id)).toEqual(before);
      expect(await messageRows(tk.id)).toEqual(messagesBefore);
    });
  });

  describe('agents', () => {
    it('should let an agent who is not an admin create and update tickets', async () => {
      const agent = await createAgent(t, acme.tenantId);
      const { customerId } = await createContact(t.db, acme.tenantId);
      const created = await post({ customer: { id: customerId }, subject: 'From an agent', message: 'Logged by phone', source: { id: S.source.phone } }, agent.auth);
      expect(created.status).toBe(201);
      expect(created.body.ticket).toMatchObject({
        createdBy: { id: agent.id, type: 'users' },
        source: { id: S.source.phone, type: 'ticketsources' },
      });
      const [opening] = await messageRows(created.body.ticket.id);
      expect(opening.user_id).toBe(agent.id);

      const updated = await patch(created.body.ticket.id, { agent: { id: agent.id }, status: { id: S.status['on-hold'] } }, agent.auth);
      expect(updated.status).toBe(200);
      expect(updated.body.ticket).toMatchObject({
        agent: { id: agent.id, type: 'users' },
        status: { id: S.status['on-hold'], type: 'ticketstatuses' },
        updatedBy: { id: agent.id, type: 'users' },
      });
      const reply = await postMessage(created.body.ticket.id, { message: { message: 'Called back' } }, agent.auth);
      expect(reply.status).toBe(201);
      expect(reply.body.message.user).toEqual({ id: agent.id, type: 'users' });
    });

    describe('tags by name: only admins create tags', () => {
      const UNKNOWN = 'must name an existing tag: only an admin creates tags';

      it('should refuse an agent naming an unknown tag on POST with 400 on that field, writing nothing', async () => {
        const agent = await createAgent(t, acme.tenantId);
        const { customerId } = await createContact(t.db, acme.tenantId);
        const fresh = unique('agent-made ');
        const existing = unique('known ');
        await tagOf(acme, existing);
        const before = await counts();
        const res = await post({ customer: { id: customerId }, subject: 's', message: 'm', tags: [existing, fresh, { name: `${fresh} 2` }] }, agent.auth);
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ errors: { 'tags[1]': [UNKNOWN], 'tags[2].name': [UNKNOWN] } });
        expect(await counts()).toEqual(before);
        expect(await tagsNamed(acme, fresh)).toEqual([]);
        // POST /tags.json is refused the same agent.
        const direct = await t.http.post(`${BASE}/tags.json`).set('Authorization', agent.auth).send({ name: fresh });
        expect(direct.status).toBe(403);
        expect(await tagsNamed(acme, fresh)).toEqual([]);
      });

      it('should let an agent name existing tags in any case on POST and PATCH, creating none', async () => {
        const agent = await createAgent(t, acme.tenantId);
        const name = unique('Known ');
        const tagId = await tagOf(acme, name);
        const { customerId } = await createContact(t.db, acme.tenantId);
        const before = await counts();
        const res = await post({ customer: { id: customerId }, subject: 's', message: 'm', tags: [name.toUpperCase()] }, agent.auth);
        expect(res.status).toBe(201);
        expect(res.body.ticket.tags).toEqual([{ id: tagId, type: 'tags' }]);
        expect(await tagIdsOf(res.body.ticket.id)).toEqual([tagId]);
        expect((await counts()).tags).toBe(before.tags);

        const other = unique('other ');
        const otherId = await tagOf(acme, other);
        const patched = await patch(res.body.ticket.id, { tags: [{ name: other.toLowerCase() }, { id: tagId }] }, agent.auth);
        expect(patched.status).toBe(200);
        expect(await tagIdsOf(res.body.ticket.id)).toEqual([tagId, otherId].sort((a, b) => a - b));
        expect(await tagsNamed(acme, other)).toHaveLength(1);
      });

      it("should refuse an agent's PATCH naming an unknown tag with 400, leaving the ticket and tags as they were", async () => {
        const agent = await createAgent(t, acme.tenantId);
        const tagId = await tagOf(acme);
        const tk = await ticket({ tags: [{ id: tagId }] });
        await age(tk.id);
        const row = await ticketRow(tk.id);
        const fresh = unique('patch-made ');
        const res = await patch(tk.id, { subject: 'changed', tags: [{ id: tagId }, fresh] }, agent.auth);
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ errors: { 'tags[1]': [UNKNOWN] } });
        expect(await ticketRow(tk.id)).toEqual(row);
        expect(await tagIdsOf(tk.id)).toEqual([tagId]);
        expect(await tagsNamed(acme, fresh)).toEqual([]);
      });

      it('should create a tag an admin names on POST and PATCH, once whatever the case', async () => {
        const onPost = unique('admin-made ');
        const tk = await ticket({ tags: [onPost] });
        const [created] = await tagsNamed(acme, onPost);
        expect(tk.tags).toEqual([{ id: created.id, type: 'tags' }]);
        const onPatch = unique('admin-patch ');
        const res = await patch(tk.id, { tags: [onPost.toUpperCase(), onPatch] });
        expect(res.status).toBe(200);
        const [patched] = await tagsNamed(acme, onPatch);
        expect(await tagIdsOf(tk.id)).toEqual([created.id, patched.id].sort((a, b) => a - b));
        expect(await tagsNamed(acme, onPost)).toHaveLength(1);
      });
    });
  });
});
