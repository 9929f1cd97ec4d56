import { SchedulerRegistry } from '@nestjs/schedule';
import { createAgent, createTenant, TestTenant } from './support/factories';
import { BASE, ISO } from './support/desk';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';
import { requestStatements } from './support/background-sql';

// Every field of Teamwork's Customer a response shows (deletedAt/deletedBy only when deleted).
const CUSTOMER_FIELDS = [
  'address',
  'contacts',
  'createdAt',
  'createdBy',
  'email',
  'externalId',
  'extraData',
  'firstName',
  'id',
  'jobTitle',
  'lastName',
  'mobile',
  'notes',
  'organization',
  'phone',
  'state',
  'updatedAt',
  'updatedBy',
].sort();

const TYPES_MESSAGE = 'must be one of ‘email, phone, mobile, facebook, twitter, other’';

interface ContactRow {
  id: number;
  type: string;
  value: string;
  is_main: boolean;
  state: string;
}

let sequence = 0;
const unique = (prefix = 'c') => `${prefix}${Date.now().toString(36)}${(sequence++).toString(36)}`;
const email = (name = 'c') => `${name}.${unique()}@example.test`;

describe('Customers (Desk v2)', () => {
  let t: TestApp;
  let acme: TestTenant;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await createTenant(t, 'Acme');
  });
  afterAll(() => t.close());

  const post = (body: unknown, auth = acme.auth) =>
    t.http.post(`${BASE}/customers.json`).set('Authorization', auth).send(body as object);
  const get = (id: number, query = '', auth = acme.auth) => t.http.get(`${BASE}/customers/${id}.json${query}`).set('Authorization', auth);
  const put = (id: number, body: unknown, auth = acme.auth) =>
    t.http.put(`${BASE}/customers/${id}.json`).set('Authorization', auth).send(body as object);
  const patch = (id: number, body: unknown, auth = acme.auth) =>
    t.http.patch(`${BASE}/customers/${id}.json`).set('Authorization', auth).send(body as object);
  const del = (id: number, auth = acme.auth) => t.http.delete(`${BASE}/customers/${id}.json`).set('Authorization', auth);

  // A customer made through the API, with its first email contact.
  const createCustomer = async (body: Record<string, unknown> = {}, auth = acme.auth) => {
    const res = await post({ customer: { firstName: 'Cora', contacts: [{ type: 'email', value: email() }], ...body } }, auth);
    expect(res.status).toBe(201);
    return res.body.customer;
  };

  const customerRow = async (id: number): Promise<Record<string, unknown>> =>
    (await t.db.query(`SELECT * FROM customers WHERE id = $1`, [id]))[0];
  // Every contact row of the customer, deleted ones too, oldest first.
  const contactRows = (customerId: number): Promise<ContactRow[]> =>
    t.db.query(`SELECT id, type, value, is_main, state FROM customer_contacts WHERE customer_id = $1 ORDER BY id`, [customerId]);
  const activeContacts = async (customerId: number) =>
    (await contactRows(customerId)).filter((row) => row.state === 'active').map(({ type, value, is_main }) => ({ type, value, is_main }));
  const counts = async () =>
    (
      await t.db.query(
        `SELECT (SELECT count(*)::int FROM customers) AS customers, (SELECT count(*)::int FROM customer_contacts) AS contacts`,
      )
    )[0];

  describe('POST /customers.json', () => {
    it('should create a customer with every field and its contacts, mirroring the main ones', async () => {
      const work = email('jane.work');
      const res = await post({
        customer: {
          firstName: 'Jane',
          lastName: 'Doe',
          organization: 'Initech',
          extraData: 'vip',
          notes: 'prefers email',
          address: '1 Main St',
          externalId: 'ext-1',
          jobTitle: 'CTO',
          contacts: [
            { type: 'email', value: email('jane') },
            { type: 'email', value: work, isMain: true },
            { type: 'phone', value: '+1 555 0100' },
            { type: 'twitter', value: '@jane' },
          ],
        },
      });

      expect(res.status).toBe(201);
      expect(Object.keys(res.body)).toEqual(['customer']);
      const c = res.body.customer;
      expect(Object.keys(c).sort()).toEqual(CUSTOMER_FIELDS);
      expect(c).toMatchObject({
        firstName: 'Jane',
        lastName: 'Doe',
        organization: 'Initech',
        extraData: 'vip',
        notes: 'prefers email',
        address: '1 Main St',
        externalId: 'ext-1',
        jobTitle: 'CTO',
        email: work,
        phone: '+15550100',
        mobile: null,
        state: 'active',
        createdBy: { id: acme.adminId, type: 'users' },
        updatedBy: { id: acme.adminId, type: 'users' },
      });
      expect(c.createdAt).toMatch(ISO);
      expect(c.updatedAt).toBe(c.createdAt);
      expect(c.contacts).toHaveLength(4);
      c.contacts.forEach((ref: unknown) => expect(ref).toEqual({ id: expect.any(Number), type: 'contacts' }));

      expect(await customerRow(c.id)).toMatchObject({ tenant_id: acme.tenantId, first_name: 'Jane', email: work, phone: '+15550100', mobile: null });
      const rows = await contactRows(c.id);
      expect(rows.map((row) => row.id)).toEqual(c.contacts.map((ref: { id: number }) => ref.id));
      expect(rows.map(({ type, is_main }) => [type, is_main])).toEqual([
        ['email', false],
        ['email', true],
        ['phone', true],
        ['twitter', true],
      ]);
    });

    it('should take the bare object, with email/phone/mobile as the main contacts of their type', async () => {
      const address = email();
      const res = await post({ firstName: 'Bo', email: address, phone: '+1 555 0101', mobile: '+1 555 0102' });
      expect(res.status).toBe(201);
      expect(res.body.customer).toMatchObject({ email: address, phone: '+15550101', mobile: '+15550102' });
      expect(await activeContacts(res.body.customer.id)).toEqual([
        { type: 'email', value: address, is_main: true },
        { type: 'phone', value: '+15550101', is_main: true },
        { type: 'mobile', value: '+15550102', is_main: true },
      ]);
    });

    it('should make the shorthand email the main one, and one contact when it is also listed', async () => {
      const first = email();
      const second = email();
      const res = await post({ email: second.toUpperCase(), contacts: [{ type: 'email', value: first }, { type: 'email', value: second }] });
      expect(res.status).toBe(201);
      // The listed contact keeps its spelling.
      expect(res.body.customer.email).toBe(second);
      expect(await activeContacts(res.body.customer.id)).toEqual([
        { type: 'email', value: first, is_main: false },
        { type: 'email', value: second, is_main: true },
      ]);
    });

    it('should ignore read-only fields, also those of contacts', async () => {
      const address = email();
      const res = await post({
        customer: {
          id: 999999,
          state: 'deleted',
          createdAt: '2001-01-01T00:00:00Z',
          createdBy: { id: 99, type: 'users' },
          updatedAt: '2001-01-01T00:00:00Z',
          deletedAt: '2001-01-01T00:00:00Z',
          contacts: [{ type: 'email', value: address, customer: { id: 5, type: 'customers' }, state: 'deleted', createdAt: '2001-01-01T00:00:00Z' }],
        },
        filter_args: { page: 2 },
      });
      expect(res.status).toBe(201);
      expect(res.body.customer).toMatchObject({ state: 'active', email: address, createdBy: { id: acme.adminId, type: 'users' } });
      expect(res.body.customer.id).not.toBe(999999);
      expect(res.body.customer.createdAt).not.toBe('2001-01-01T00:00:00.000Z');
      expect(await activeContacts(res.body.customer.id)).toEqual([{ type: 'email', value: address, is_main: true }]);
    });

    it.each([
      ['a contact with a bad email', { contacts: [{ type: 'email', value: 'not-an-email' }] }, { 'contacts[0].value': ['must be a valid email address'] }],
      ['a bad shorthand email', { email: 'nope' }, { email: ['must be a valid email address'] }],
      ['a contact of an unknown type', { contacts: [{ type: 'fax', value: '1' }] }, { 'contacts[0].type': [TYPES_MESSAGE] }],
      ['a contact ref type without an id', { contacts: [{ type: 'contacts', value: '1' }] }, { 'contacts[0].type': [TYPES_MESSAGE] }],
      ['a contact with no value', { contacts: [{ type: 'phone' }] }, { 'contacts[0].value': ['must be set'] }],
      ['a contact with a blank value', { contacts: [{ type: 'phone', value: '  ' }] }, { 'contacts[0].value': ['must be set'] }],
      ['an unknown field', { email: email(), colour: 'red' }, { colour: ['is not a known field'] }],
      ['an unknown contact field', { contacts: [{ type: 'other', value: 'x', colour: 'red' }] }, { 'contacts[0].colour': ['is not a known field'] }],
      ['a firstName that is a number', { email: email(), firstName: 5 }, { firstName: ['must be a string'] }],
      ['contacts that are not an array', { contacts: { type: 'email', value: 'a@example.test' } }, { contacts: ['must be an array'] }],
      ['a contact that is not an object', { contacts: ['a@example.test'] }, { 'contacts[0]': ['must be an object'] }],
      ['isMain that is not a boolean', { contacts: [{ type: 'other', value: 'x', isMain: 'yes' }] }, { 'contacts[0].isMain': ['must be true or false'] }],
      ['no contact at all', { firstName: 'Nobody' }, { contacts: ['must be set'] }],
      [
        'two main contacts of one type',
        { contacts: [{ type: 'other', value: 'x1', isMain: true }, { type: 'other', value: 'x2', isMain: true }] },
        { 'contacts[1].isMain': ['only one other contact can be main'] },
      ],
      [
        'the same contact twice, in another case',
        { contacts: [{ type: 'email', value: 'twice@example.test' }, { type: 'email', value: 'TWICE@example.test' }] },
        { 'contacts[1].value': ['is given more than once'] },
      ],
      ['a contact id, which cannot exist yet', { contacts: [{ id: 1, value: 'x' }] }, { 'contacts[0].id': ['does not exist'] }],
      ['a customer that is not an object', { customer: 'x' }, { customer: ['must be an object'] }],
    ])('should answer 400 with the validator body and write nothing for %s', async (_case, body, errors) => {
      const before = await counts();
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
      expect(await counts()).toEqual(before);
    });

    it('should answer 409 naming the customer who has the email, whatever its case, and write nothing', async () => {
      const address = email('Taken.Person');
      const owner = await createCustomer({ contacts: [{ type: 'email', value: address }] });
      const before = await counts();

      const res = await post({
        customer: { firstName: 'Copy', contacts: [{ type: 'other', value: unique() }, { type: 'email', value: address.toLowerCase() }] },
      });

      expect(res.status).toBe(409);
      expect(res.headers['x-error-code']).toBe('CUSTOMER_CONTACT_TAKEN');
      expect(res.body).toEqual({
        errors: {
          'contacts[1].value': [`is already a contact of customer ${owner.id}`],
          _: [`the email ${address.toLowerCase()} is already a contact of customer ${owner.id}`],
        },
      });
      expect(await counts()).toEqual(before);

      const shorthand = await post({ email: address.toUpperCase() });
      expect(shorthand.status).toBe(409);
      expect(shorthand.body.errors.email).toEqual([`is already a contact of customer ${owner.id}`]);
    });

    it('should create one customer when ten requests with the same email race', async () => {
      const address = email('racer');
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => post({ firstName: `Racer ${i}`, email: address })));

      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, ...Array(9).fill(409)]);
      const winner = results.find((r) => r.status === 201)!.body.customer;
      for (const loser of results.filter((r) => r.status === 409)) {
        expect(loser.body.errors.email).toEqual([`is already a contact of customer ${winner.id}`]);
      }
      const rows = await t.db.query(`SELECT id FROM customers WHERE tenant_id = $1 AND lower(email) = lower($2)`, [acme.tenantId, address]);
      expect(rows).toEqual([{ id: winner.id }]);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM customer_contacts WHERE lower(value) = lower($1)`, [address]);
      expect(n).toBe(1);
    });

    it('should answer 409, not 500, when the unique index fires after the check passed', async () => {
      const address = email('late');
      // Another transaction takes the email and holds it uncommitted: the POST's check cannot
      // see it, and its insert waits on the index until that transaction commits.
      const runner = t.db.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      const [{ id: rivalId }] = await runner.query(`INSERT INTO customers (tenant_id) VALUES ($1) RETURNING id`, [acme.tenantId]);
      await runner.query(
        `INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main) VALUES ($1, $2, 'email', $3, true)`,
        [acme.tenantId, rivalId, address],
      );
      const before = await counts();

      const pending = post({ firstName: 'Late', email: address.toUpperCase() }).then((r) => r);
      await waitForLockWait(t);
      await runner.commitTransaction();
      await runner.release();
      const res = await pending;

      expect(res.status).toBe(409);
      expect(res.body.errors.email).toEqual([`is already a contact of customer ${rivalId}`]);
      // Only the rival's rows were added (its customer and contact); the POST wrote nothing.
      expect(await counts()).toEqual({ customers: before.customers + 1, contacts: before.contacts + 1 });
    });

    it('should replay the answer for a repeated Idempotency-Key, and refuse the key with another body', async () => {
      const key = unique('key-');
      const body = { customer: { firstName: 'Idem', email: email() } };
      const send = (payload: unknown) =>
        t.http.post(`${BASE}/customers.json`).set('Authorization', acme.auth).set('Idempotency-Key', key).send(payload as object);

      const first = await send(body);
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();

      const again = await send(body);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM customers WHERE tenant_id = $1 AND first_name = 'Idem'`, [acme.tenantId]);
      expect(n).toBe(1);

      const other = await send({ customer: { firstName: 'Idem', email: email() } });
      expect(other.status).toBe(409);
      expect(other.headers['x-error-code']).toBe('IDEMPOTENCY_KEY_REUSED');
      const [{ n: after }] = await t.db.query(`SELECT count(*)::int AS n FROM customers WHERE tenant_id = $1 AND first_name = 'Idem'`, [acme.tenantId]);
      expect(after).toBe(1);
    });
  });

  describe('GET /customers/{id}.json', () => {
    it('should return the customer, with its contacts side-loaded when asked', async () => {
      const created = await createCustomer({ phone: '+1 555 0200' });
      const res = await get(created.id, '?includes=contacts');
      expect(res.status).toBe(200);
      expect(res.body.customer).toEqual(created);
      const [emailRef, phoneRef] = created.contacts;
      expect(res.body.included.contacts).toEqual([
        expect.objectContaining({
          id: emailRef.id,
          customer: { id: created.id, type: 'customers' },
          type: 'email',
          value: created.email,
          isMain: true,
          state: 'active',
        }),
        expect.objectContaining({ id: phoneRef.id, type: 'phone', value: '+15550200', isMain: true }),
      ]);
      expect(res.body.included.contacts[0].createdAt).toMatch(ISO);

      const plain = await get(created.id);
      expect(Object.keys(plain.body)).toEqual(['customer']);
    });

    it('should return only the requested fields, and the id', async () => {
      const created = await createCustomer({ lastName: 'Sparse' });
      const res = await get(created.id, '?fields=lastName,email');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ customer: { id: created.id, lastName: 'Sparse', email: created.email } });
    });

    it('should answer 404 in the Desk dialect when it does not exist, and 400 for a bad id or parameter', async () => {
      const missing = await get(987654321);
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ errors: { _: ['customer 987654321 not found'] } });
      expect(missing.headers['x-error-code']).toBe('CUSTOMER_NOT_FOUND');
      const bad = await t.http.get(`${BASE}/customers/abc.json`).set('Authorization', acme.auth);
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ errors: { id: ['must be a whole number'] } });
      const created = await createCustomer();
      const badInclude = await get(created.id, '?includes=users');
      expect(badInclude.status).toBe(400);
      expect(badInclude.body).toEqual({ errors: { includes: ['must be one of ‘contacts, all’'] } });
    });
  });

  describe('PATCH /customers/{id}.json', () => {
    it('should change only the given fields and move updatedAt/updatedBy', async () => {
      const created = await createCustomer({ lastName: 'Before', organization: 'Org', jobTitle: 'Dev' });
      const res = await patch(created.id, { customer: { lastName: 'After', organization: null } });
      expect(res.status).toBe(200);
      const c = res.body.customer;
      expect(c).toMatchObject({ firstName: 'Cora', lastName: 'After', organization: null, jobTitle: 'Dev', email: created.email, contacts: created.contacts });
      expect(Date.parse(c.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
      expect(c.createdAt).toBe(created.createdAt);
      expect(await customerRow(created.id)).toMatchObject({ last_name: 'After', organization: null, job_title: 'Dev', updated_by: acme.adminId });
    });

    it('should leave updatedAt alone when nothing really changes, and ignore read-only fields', async () => {
      const created = await createCustomer({ lastName: 'Same' });
      const res = await patch(created.id, {
        ...created,
        id: 1,
        createdAt: '2000-01-01T00:00:00Z',
        updatedAt: '2000-01-01T00:00:00Z',
        state: 'deleted',
      });
      expect(res.status).toBe(200);
      expect(res.body.customer).toEqual(created);
    });

    it('should add, change and remove contacts by id, leaving unmentioned ones alone', async () => {
      const keep = email('keep');
      const created = await createCustomer({
        contacts: [{ type: 'email', value: keep }, { type: 'phone', value: '+1 555 0300' }, { type: 'other', value: 'old' }],
      });
      const [keepRef, phoneRef, otherRef] = created.contacts;

      const res = await patch(created.id, {
        contacts: [
          { id: phoneRef.id, delete: true },
          { id: otherRef.id, type: 'contacts', value: 'renamed' },
          { type: 'mobile', value: '+1 555 0301' },
        ],
      });

      expect(res.status).toBe(200);
      const c = res.body.customer;
      expect(c).toMatchObject({ email: keep, phone: null, mobile: '+15550301' });
      expect(c.contacts.slice(0, 2)).toEqual([keepRef, otherRef]);
      expect(c.contacts).toHaveLength(3);
      const rows = await contactRows(created.id);
      expect(rows.map(({ id, type, value, state }) => ({ id, type, value, state }))).toEqual([
        { id: keepRef.id, type: 'email', value: keep, state: 'active' },
        { id: phoneRef.id, type: 'phone', value: '+15550300', state: 'deleted' },
        { id: otherRef.id, type: 'other', value: 'renamed', state: 'active' },
        { id: c.contacts[2].id, type: 'mobile', value: '+15550301', state: 'active' },
      ]);
      expect(await customerRow(created.id)).toMatchObject({ phone: null, mobile: '+15550301', email: keep });
    });

    it('should move the main flag when another contact of the type is made main, and mirror it', async () => {
      const first = email();
      const second = email();
      const created = await createCustomer({ contacts: [{ type: 'email', value: first }, { type: 'email', value: second }] });
      expect(created.email).toBe(first);

      const res = await patch(created.id, { contacts: [{ id: created.contacts[1].id, isMain: true }] });

      expect(res.status).toBe(200);
      expect(res.body.customer.email).toBe(second);
      expect(await activeContacts(created.id)).toEqual([
        { type: 'email', value: first, is_main: false },
        { type: 'email', value: second, is_main: true },
      ]);
      expect((await customerRow(created.id)).email).toBe(second);
    });

    it('should promote the oldest remaining contact of the type when the main one is removed', async () => {
      const [a, b, c] = [email('a'), email('b'), email('c')];
      const created = await createCustomer({
        contacts: [{ type: 'email', value: a }, { type: 'email', value: b }, { type: 'email', value: c, isMain: true }],
      });
      expect(created.email).toBe(c);

      const res = await patch(created.id, { contacts: [{ id: created.contacts[2].id, delete: true }] });

      expect(res.status).toBe(200);
      expect(res.body.customer.email).toBe(a);
      expect(await activeContacts(created.id)).toEqual([
        { type: 'email', value: a, is_main: true },
        { type: 'email', value: b, is_main: false },
      ]);
      expect((await customerRow(created.id)).email).toBe(a);
    });

    it('should keep the only contact of a type main even when told isMain false, and promote another when there is one', async () => {
      const created = await createCustomer({ phone: '+1 555 0400' });
      const phoneRef = created.contacts[1];
      const alone = await patch(created.id, { contacts: [{ id: phoneRef.id, isMain: false }] });
      expect(alone.status).toBe(200);
      expect(alone.body.customer.phone).toBe('+15550400');
      expect(alone.body.customer.updatedAt).toBe(created.updatedAt);

      const withSecond = await patch(created.id, { contacts: [{ id: phoneRef.id, isMain: false }, { type: 'phone', value: '+1 555 0401' }] });
      expect(withSecond.status).toBe(200);
      expect(withSecond.body.customer.phone).toBe('+15550401');
      expect((await activeContacts(created.id)).filter((row) => row.type === 'phone')).toEqual([
        { type: 'phone', value: '+15550400', is_main: false },
        { type: 'phone', value: '+15550401', is_main: true },
      ]);
    });

    it('should take email as the main email contact, and email null as removing it', async () => {
      const created = await createCustomer();
      const next = email();
      const switched = await patch(created.id, { email: next });
      expect(switched.status).toBe(200);
      expect(switched.body.customer.email).toBe(next);
      expect(await activeContacts(created.id)).toEqual([
        { type: 'email', value: created.email, is_main: false },
        { type: 'email', value: next, is_main: true },
      ]);

      const cleared = await patch(created.id, { email: null });
      expect(cleared.status).toBe(200);
      // The remaining email contact becomes the main one.
      expect(cleared.body.customer.email).toBe(created.email);
      expect(await activeContacts(created.id)).toEqual([{ type: 'email', value: created.email, is_main: true }]);
    });

    it('should leave the email null once the last email contact is removed', async () => {
      const created = await createCustomer({ phone: '+1 555 0500' });
      const res = await patch(created.id, { contacts: [{ id: created.contacts[0].id, delete: true }] });
      expect(res.status).toBe(200);
      expect(res.body.customer).toMatchObject({ email: null, phone: '+15550500' });
      expect(await customerRow(created.id)).toMatchObject({ email: null, phone: '+15550500' });
    });

    it("should answer 409 and change nothing when a contact would take another customer's value", async () => {
      const owner = await createCustomer();
      const created = await createCustomer({ firstName: 'Mover' });
      const res = await patch(created.id, { firstName: 'Moved', contacts: [{ id: created.contacts[0].id, value: owner.email.toUpperCase() }] });
      expect(res.status).toBe(409);
      expect(res.body.errors['contacts[0].value']).toEqual([`is already a contact of customer ${owner.id}`]);
      expect(await customerRow(created.id)).toMatchObject({ first_name: 'Mover', email: created.email });
      expect(await activeContacts(created.id)).toEqual([{ type: 'email', value: created.email, is_main: true }]);
    });

    it('should answer 400 and change nothing for contacts it cannot apply', async () => {
      const created = await createCustomer({ phone: '+1 555 0600' });
      const stranger = await createCustomer();
      const [emailRef, phoneRef] = created.contacts;
      const cases: [unknown, Record<string, string[]>][] = [
        [{ firstName: 'X', contacts: [{ id: stranger.contacts[0].id, delete: true }] }, { 'contacts[0].id': ['does not exist'] }],
        [{ contacts: [{ id: emailRef.id, value: 'not-an-email' }] }, { 'contacts[0].value': ['must be a valid email address'] }],
        [{ contacts: [{ id: phoneRef.id, type: 'email' }] }, { 'contacts[0].value': ['must be a valid email address'] }],
        [{ contacts: [{ id: emailRef.id, delete: true }, { id: phoneRef.id, delete: true }] }, { contacts: ['must keep at least one contact'] }],
        [{ contacts: [{ id: emailRef.id }, { id: emailRef.id, delete: true }] }, { 'contacts[1].id': ['is given more than once'] }],
        [{ contacts: [{ delete: true }] }, { 'contacts[0].id': ['must be set'] }],
        [{ contacts: [{ id: emailRef.id, delete: 'yes' }] }, { 'contacts[0].delete': ['must be true or false'] }],
        [{ email: created.email, contacts: [{ id: emailRef.id, isMain: false }] }, { email: ['contradicts contacts[0].isMain'] }],
        [{ lastName: 7 }, { lastName: ['must be a string'] }],
      ];
      for (const [body, errors] of cases) {
        const res = await patch(created.id, body);
        expect({ body, status: res.status, response: res.body }).toEqual({ body, status: 400, response: { errors } });
      }
      expect(await customerRow(created.id)).toMatchObject({ first_name: 'Cora', email: created.email, phone: '+15550600' });
      expect(await activeContacts(created.id)).toEqual([
        { type: 'email', value: created.email, is_main: true },
        { type: 'phone', value: '+15550600', is_main: true },
      ]);
      expect((await get(created.id)).body.customer).toEqual(created);
    });

    it('should answer 409 for a deleted customer, and 404 for one that does not exist', async () => {
      const created = await createCustomer();
      await del(created.id).expect(204);
      const res = await patch(created.id, { firstName: 'Zombie' });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ errors: { _: [`customer ${created.id} is deleted`] } });
      expect(res.headers['x-error-code']).toBe('CUSTOMER_DELETED');
      const missing = await patch(987654321, { firstName: 'Nobody' });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ errors: { _: ['customer 987654321 not found'] } });
    });
  });

  describe('PUT /customers/{id}.json', () => {
    it('should replace: omitted fields cleared, unlisted contacts removed, listed ones kept', async () => {
      const keep = email('keep');
      const created = await createCustomer({
        lastName: 'Old',
        organization: 'Org',
        notes: 'n',
        contacts: [{ type: 'email', value: email('gone') }, { type: 'email', value: keep }, { type: 'phone', value: '+1 555 0700' }],
      });
      const [goneRef, keepRef, phoneRef] = created.contacts;
      const editor = await createAgent(t, acme.tenantId);

      const res = await put(
        created.id,
        {
          customer: {
            firstName: 'New',
            contacts: [{ id: phoneRef.id, type: 'contacts' }, { type: 'email', value: keep.toUpperCase() }, { type: 'twitter', value: '@new' }],
          },
        },
        editor.auth,
      );

      expect(res.status).toBe(200);
      const c = res.body.customer;
      expect(c).toMatchObject({
        firstName: 'New',
        lastName: '',
        organization: null,
        notes: null,
        email: keep,
        phone: '+15550700',
        updatedBy: { id: editor.id, type: 'users' },
      });
      // The email matched by value is the same contact, not a new one.
      expect(c.contacts.slice(0, 2)).toEqual([keepRef, phoneRef]);
      const rows = await contactRows(created.id);
      expect(rows.find((row) => row.id === goneRef.id)).toMatchObject({ state: 'deleted' });
      expect(await activeContacts(created.id)).toEqual([
        { type: 'email', value: keep, is_main: true },
        { type: 'phone', value: '+15550700', is_main: true },
        { type: 'twitter', value: '@new', is_main: true },
      ]);
      expect(await customerRow(created.id)).toMatchObject({ first_name: 'New', last_name: '', organization: null, notes: null, email: keep });
    });

    it('should answer 400 and change nothing when the replacement has no contact', async () => {
      const created = await createCustomer({ lastName: 'Kept' });
      const res = await put(created.id, { firstName: 'X' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { contacts: ['must be set'] } });
      expect((await get(created.id)).body.customer).toEqual(created);
    });
  });

  describe('DELETE /customers/{id}.json', () => {
    it('should soft delete the customer and its contacts, keeping updatedAt, and free the email', async () => {
      const created = await createCustomer({ phone: '+1 555 0800' });
      const res = await del(created.id);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');

      const got = await get(created.id, '?includes=contacts');
      expect(got.status).toBe(200);
      expect(got.body.customer).toMatchObject({
        state: 'deleted',
        deletedBy: { id: acme.adminId, type: 'users' },
        updatedAt: created.updatedAt,
        email: created.email,
        contacts: created.contacts,
      });
      expect(got.body.customer.deletedAt).toMatch(ISO);
      expect(got.body.included.contacts.map((contact: { state: string }) => contact.state)).toEqual(['deleted', 'deleted']);
      expect(await customerRow(created.id)).toMatchObject({ state: 'deleted', deleted_by: acme.adminId });
      expect((await contactRows(created.id)).map((row) => row.state)).toEqual(['deleted', 'deleted']);

      const again = await post({ firstName: 'Second', email: created.email, phone: '+1 555 0800' });
      expect(again.status).toBe(201);
      expect(again.body.customer.id).not.toBe(created.id);
    });

    it('should keep the first deletion when deleted twice, and answer 404 when it does not exist', async () => {
      const created = await createCustomer();
      await del(created.id).expect(204);
      const first = await customerRow(created.id);
      await del(created.id).expect(204);
      expect((await customerRow(created.id)).deleted_at).toEqual(first.deleted_at);
      const missing = await del(987654321);
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ errors: { _: ['customer 987654321 not found'] } });
    });
  });

  describe('another tenant', () => {
    it('should get 404 on get, put, patch and delete, and change nothing', async () => {
      const other = await createTenant(t);
      const created = await createCustomer({ lastName: 'Private' });
      const before = await customerRow(created.id);
      const contactsBefore = await contactRows(created.id);

      const answers = await Promise.all([
        get(created.id, '', other.auth),
        put(created.id, { email: email() }, other.auth),
        patch(created.id, { lastName: 'Stolen', contacts: [{ id: created.contacts[0].id, delete: true }] }, other.auth),
        del(created.id, other.auth),
      ]);

      for (const res of answers) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ errors: { _: [`customer ${created.id} not found`] } });
      }
      expect(await customerRow(created.id)).toEqual(before);
      expect(await contactRows(created.id)).toEqual(contactsBefore);
    });

    it("should never list the first tenant's customers, and may use the same email", async () => {
      const other = await createTenant(t);
      const created = await createCustomer();
      const list = await t.http.get(`${BASE}/customers.json`).query({ pageSize: 100 }).set('Authorization', other.auth);
      expect(list.status).toBe(200);
      expect(list.body.customers).toEqual([]);
      const byEmail = await t.http
        .get(`${BASE}/customers.json`)
        .query({ filter: JSON.stringify({ 'contacts.value': { $in: [created.email] } }) })
        .set('Authorization', other.auth);
      expect(byEmail.body.customers).toEqual([]);

      const same = await post({ email: created.email }, other.auth);
      expect(same.status).toBe(201);
    });
  });

  describe('conversations creating customers', () => {
    it('should make a new contact the main one and mirror it in the customer', async () => {
      const res = await t.http
        .post(`${BASE}/conversations.json`)
        .set('Authorization', acme.auth)
        .send({ contact: { type: 'mobile', value: ' +1 555 0900 ' } });
      expect(res.status).toBe(201);
      const customerId = res.body.conversation.contact.customer.id;
      const customer = await get(customerId);
      expect(customer.body.customer).toMatchObject({ mobile: '+15550900', email: null, phone: null });
      expect(await activeContacts(customerId)).toEqual([{ type: 'mobile', value: '+15550900', is_main: true }]);
    });
  });

  describe('GET /customers.json', () => {
    let shop: TestTenant;
    let customers: { id: number; firstName: string; email: string; contacts: { id: number }[] }[];
    const list = (query: Record<string, string | number>, auth = shop.auth, http = t.http) =>
      http.get(`${BASE}/customers.json`).query(query).set('Authorization', auth);
    const ids = (body: { customers: { id: number }[] }) => body.customers.map((c) => c.id);
    const filter = (value: unknown, extra: Record<string, string | number> = {}) =>
      list({ filter: JSON.stringify(value), orderBy: 'id', orderMode: 'asc', pageSize: 100, ...extra });

    // Five customers named A…E, each with its email and a secondary `other` contact; one deleted.
    beforeAll(async () => {
      shop = await createTenant(t, 'Shop');
      customers = [];
      for (const name of ['Eve', 'Ann', 'Dan', 'Bob', 'Cat']) {
        const res = await post(
          {
            firstName: name,
            organization: name === 'Ann' ? 'Initech' : null,
            contacts: [{ type: 'email', value: `${name}.${unique()}@Shop.test` }, { type: 'other', value: `handle-${name}` }],
          },
          shop.auth,
        );
        expect(res.status).toBe(201);
        customers.push(res.body.customer);
      }
      const gone = await post({ firstName: 'Gus', email: email('gus'), contacts: [{ type: 'other', value: 'handle-Gus' }] }, shop.auth);
      await del(gone.body.customer.id, shop.auth).expect(204);
    });
    const byName = (name: string) => customers.find((c) => c.firstName === name)!;

    it('should answer the Desk envelope, newest first, without deleted customers', async () => {
      const res = await list({});
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['customers', 'included', 'meta']);
      expect(ids(res.body)).toEqual(customers.map((c) => c.id).reverse());
      expect(res.body.included).toEqual({});
      expect(res.body.meta).toEqual({ page: { count: 5, pageSize: 50, pageOffset: 0, pages: 1, hasMore: false, nextCursor: null } });
      expect(res.body.customers[0]).toEqual(customers[4]);
    });

    it('should filter on email case-insensitively, on firstName, and on organization', async () => {
      const ann = byName('Ann');
      expect(ids((await filter({ email: ann.email.toUpperCase() })).body)).toEqual([ann.id]);
      const bob = byName('Bob');
      expect(ids((await filter({ email: { $in: [ann.email.toLowerCase(), bob.email] } })).body)).toEqual([ann.id, bob.id].sort((a, b) => a - b));
      expect(ids((await filter({ firstName: 'Dan' })).body)).toEqual([byName('Dan').id]);
      expect(ids((await filter({ firstName: { $gte: 'Cat' } })).body)).toEqual(['Eve', 'Dan', 'Cat'].map((n) => byName(n).id));
      expect(ids((await filter({ organization: 'Initech' })).body)).toEqual([ann.id]);
    });

    it('should filter on contacts.value over every active contact, with $in and $nin', async () => {
      const bob = byName('Bob');
      const cat = byName('Cat');
      const anyOf = await filter({ 'contacts.value': { $in: ['HANDLE-bob', cat.email.toLowerCase(), 'nobody@x.test'] } });
      expect(anyOf.status).toBe(200);
      expect(ids(anyOf.body)).toEqual([bob.id, cat.id]);

      const noneOf = await filter({ 'contacts.value': { $nin: ['handle-Bob', 'handle-Cat'] } });
      expect(ids(noneOf.body)).toEqual(['Eve', 'Ann', 'Dan'].map((n) => byName(n).id));

      // A deleted customer's contacts are deleted too, so only a state filter finds it.
      expect(ids((await filter({ 'contacts.value': 'handle-Gus' })).body)).toEqual([]);
      const deleted = await filter({ state: 'deleted' });
      expect(deleted.body.customers.map((c: { firstName: string }) => c.firstName)).toEqual(['Gus']);
    });

    it('should order by email and firstName, and refuse fields outside the whitelists', async () => {
      const sorted = [...customers].sort((a, b) => a.email.toLowerCase().localeCompare(b.email.toLowerCase()));
      expect(ids((await list({ orderBy: 'email', orderMode: 'asc' })).body)).toEqual(sorted.map((c) => c.id));
      const names = (await list({ orderBy: 'firstName', orderMode: 'desc' })).body.customers.map((c: { firstName: string }) => c.firstName);
      expect(names).toEqual(['Eve', 'Dan', 'Cat', 'Bob', 'Ann']);

      const bad = await list({ orderBy: 'organization', filter: JSON.stringify({ phone: '1' }) });
      expect(bad.status).toBe(400);
      expect(bad.body.errors.orderBy).toEqual(['must be one of ‘createdAt, email, firstName, id, lastName, updatedAt’']);
      expect(bad.body.errors.filter[0]).toMatch(/^unknown field 'phone'/);
    });

    it('should walk every customer once by cursor', async () => {
      const seen: number[] = [];
      let res = await list({ orderBy: 'firstName', orderMode: 'asc', pageSize: 2 });
      for (let pages = 0; pages < 10; pages++) {
        expect(res.status).toBe(200);
        seen.push(...ids(res.body));
        const next = res.body.meta.page.nextCursor;
        if (!next) break;
        res = await list({ cursor: next, pageSize: 2 });
        expect(res.body.meta.page.pageOffset).toBeNull();
      }
      expect(seen).toEqual(['Ann', 'Bob', 'Cat', 'Dan', 'Eve'].map((n) => byName(n).id));
    });

    it('should return sparse fields with the id', async () => {
      const res = await list({ fields: 'firstName', orderBy: 'id', orderMode: 'asc' });
      expect(res.body.customers).toEqual(customers.map((c) => ({ id: c.id, firstName: c.firstName })));
    });

    it('should side-load the contacts of a full page of 100 in one query, whatever the page size', async () => {
      const bulk = await createTenant(t, 'Bulk');
      // 120 customers with two contacts each, written straight to the tables.
      await t.db.query(
        `WITH made AS (
           INSERT INTO customers (tenant_id, first_name, email, created_at)
           SELECT $1, 'Bulk ' || n, 'bulk' || n || '@bulk.test', timestamptz '2026-01-01' + n * interval '1 minute'
             FROM generate_series(1, 120) AS n RETURNING id, email)
         INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main)
         SELECT $1, id, 'email', email, true FROM made
         UNION ALL SELECT $1, id, 'other', 'h-' || id, true FROM made`,
        [bulk.tenantId],
      );
      const logQuery = jest.spyOn(t.db.logger, 'logQuery');
      // The snooze wake-up job queries every second on the same logger: paused while counting.
      const wakeUp = t.app.get(SchedulerRegistry).getCronJob('snooze-wake-up');
      wakeUp.stop();
      const contactQueries = async (pageSize: number) => {
        logQuery.mockClear();
        // Counted on the in-process app's logger, so sent to that app (also under E2E_PROCESSES).
        const res = await list({ pageSize, includes: 'contacts' }, bulk.auth, t.inProcessHttp);
        expect(res.status).toBe(200);
        // The background loops' statements run whenever their tick falls: the request's are the rest.
        const sql = requestStatements(logQuery.mock.calls.map(([query]) => query));
        return { res, contactQueries: sql.filter((query) => /customer_contacts/.test(query)).length, total: sql.length };
      };
      try {
        // The first request of a key records its use, not awaited; measure once that has landed.
        await contactQueries(1);
        await waitFor('the key\'s first use recorded', async () => {
          const [key] = await t.db.query(`SELECT last_used_at FROM api_keys WHERE tenant_id = $1`, [bulk.tenantId]);
          return key?.last_used_at !== null;
        });
        const big = await contactQueries(100);
        const small = await contactQueries(10);

        const { customers: page, included } = big.res.body;
        expect(page).toHaveLength(100);
        expect(included.contacts).toHaveLength(200);
        const includedById = new Map(included.contacts.map((contact: { id: number }) => [contact.id, contact]));
        for (const customer of page) {
          expect(customer.contacts).toHaveLength(2);
          for (const ref of customer.contacts) {
            expect(includedById.get(ref.id)).toMatchObject({ customer: { id: customer.id, type: 'customers' } });
          }
        }
        expect(big.contactQueries).toBe(1);
        expect(big.total).toBe(small.total);
      } finally {
        logQuery.mockRestore();
        wakeUp.start();
      }
    });
  });
});

// Until some backend of this database waits on a lock (the request blocked on the unique index).
async function waitForLockWait(t: TestApp): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [{ waiting }] = await t.db.query(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (waiting > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the request never waited on the lock');
}
