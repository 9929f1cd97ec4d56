import { BASE } from './support/desk';
import { createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

// Look-alikes of one email address: invisible characters, fullwidth forms, another case, bidi marks.
const LOOK_ALIKES = [
  ['a zero-width space', 'uniq\u200b@ex.com'],
  ['fullwidth forms', 'ｕｎｉｑ＠ｅｘ．ｃｏｍ'],
  ['upper case', 'UNIQ@EX.COM'],
  ['bidi marks and a soft hyphen', '\u200eun\u00adiq@ex.com\u202c'],
] as const;

// Contacts are stored and compared in one normal form (NFKC, invisibles removed, trimmed, emails in
// lower case, phone numbers in E.164 read in the tenant's region), through every door that takes one.
describe('Contact normalisation', () => {
  let t: TestApp;
  let acme: TestTenant;
  let customerId: number;
  let emailContactId: number;
  let phoneContactId: number;
  let mobileContactId: number;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await createTenant(t, 'Acme');
    await t.db.query(`UPDATE tenants SET default_phone_region = 'US' WHERE id = $1`, [acme.tenantId]);
    const res = await desk('post', 'customers.json', { firstName: 'Una', email: ' Uniq@Ex.com\u200b', phone: '+1 555 0100', mobile: '+1 212 555 0123' });
    expect(res.status).toBe(201);
    customerId = res.body.customer.id;
    [emailContactId, phoneContactId, mobileContactId] = res.body.customer.contacts.map((ref: { id: number }) => ref.id);
  });
  afterAll(() => t.close());

  function desk(method: 'post' | 'put' | 'patch' | 'get', path: string, body?: object) {
    const req = t.http[method](`${BASE}/${path}`).set('Authorization', acme.auth);
    return body ? req.send(body) : req;
  }

  // Every active contact of the tenant with this key, as uq_customer_contacts_value compares.
  const holders = async (type: string, value: string): Promise<{ customer_id: number; value: string }[]> =>
    t.db.query(
      `SELECT customer_id, value FROM customer_contacts WHERE tenant_id = $1 AND type = $2 AND lower(value) = lower($3) AND state = 'active'`,
      [acme.tenantId, type, value],
    );
  const counts = async () =>
    (
      await t.db.query(
        `SELECT (SELECT count(*)::int FROM customers WHERE tenant_id = $1) AS customers,
                (SELECT count(*)::int FROM customer_contacts WHERE tenant_id = $1) AS contacts`,
        [acme.tenantId],
      )
    )[0];

  it('should store the first customer in normal form, mirrors too', async () => {
    expect(await holders('email', 'uniq@ex.com')).toEqual([{ customer_id: customerId, value: 'uniq@ex.com' }]);
    expect(await holders('phone', '+15550100')).toEqual([{ customer_id: customerId, value: '+15550100' }]);
    const [row] = await t.db.query(`SELECT email, phone, mobile FROM customers WHERE id = $1`, [customerId]);
    expect(row).toEqual({ email: 'uniq@ex.com', phone: '+15550100', mobile: '+12125550123' });
  });

  describe('Desk customers', () => {
    it.each(LOOK_ALIKES)('should answer 409 to a new customer whose email is the first one in %s, and write nothing', async (_what, lookAlike) => {
      const before = await counts();
      for (const body of [{ email: lookAlike }, { contacts: [{ type: 'email', value: lookAlike }] }]) {
        const res = await desk('post', 'customers.json', { customer: { firstName: 'Copy', ...body } });
        expect(res.status).toBe(409);
        expect(res.headers['x-error-code']).toBe('CUSTOMER_CONTACT_TAKEN');
        expect(Object.values(res.body.errors).flat()).toContain(`is already a contact of customer ${customerId}`);
      }
      expect(await counts()).toEqual(before);
      expect(await holders('email', 'uniq@ex.com')).toHaveLength(1);
    });

    it.each([
      ['spaces', 'phone', '+1 555 0100'],
      ['punctuation and fullwidth digits', 'phone', '＋１ (555) 010０'],
      ["the tenant's national format (US)", 'mobile', '(212) 555-0123'],
    ])('should answer 409 to a phone number that is the first one written with %s', async (_what, type, value) => {
      const before = await counts();
      const res = await desk('post', 'customers.json', { firstName: 'Copy', [type]: value });
      expect(res.status).toBe(409);
      expect(res.body.errors[type]).toEqual([`is already a contact of customer ${customerId}`]);
      expect(await counts()).toEqual(before);
    });

    it('should answer 409 to PUT and PATCH giving another customer a look-alike, and keep its own look-alike as the same contact', async () => {
      const other = await desk('post', 'customers.json', { firstName: 'Otto', email: 'otto@ex.com', mobile: '+44 7700 900123' });
      expect(other.status).toBe(201);
      const id = other.body.customer.id;
      const taken = await desk('patch', `customers/${id}.json`, { contacts: [{ type: 'phone', value: '+1 (555) 0100' }] });
      expect(taken.status).toBe(409);
      expect(taken.body.errors['contacts[0].value']).toEqual([`is already a contact of customer ${customerId}`]);
      const replaced = await desk('put', `customers/${id}.json`, { firstName: 'Otto', email: 'UNIQ\u200d@ex.com' });
      expect(replaced.status).toBe(409);
      expect(replaced.body.errors.email).toEqual([`is already a contact of customer ${customerId}`]);

      // Its own address and number, written otherwise, are the contacts it has: nothing new.
      const same = await desk('put', `customers/${id}.json`, { firstName: 'Otto', email: 'ＯＴＴＯ@ex.com', mobile: '+447700900123' });
      expect(same.status).toBe(200);
      expect(same.body.customer).toMatchObject({ email: 'otto@ex.com', mobile: '+447700900123' });
      const rows = await t.db.query(`SELECT type, value, state FROM customer_contacts WHERE customer_id = $1 ORDER BY id`, [id]);
      expect(rows).toEqual([
        { type: 'email', value: 'otto@ex.com', state: 'active' },
        { type: 'mobile', value: '+447700900123', state: 'active' },
      ]);
    });

    it('should answer 400 on the field for a phone number it cannot read, and write nothing', async () => {
      const before = await counts();
      const res = await desk('post', 'customers.json', { firstName: 'Pat', phone: 'ask reception', contacts: [{ type: 'mobile', value: '12' }] });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual({
        phone: ['is not a phone number: give it in international format (+…) or as a national number of US'],
        'contacts[0].value': ['is not a phone number: give it in international format (+…) or as a national number of US'],
      });
      const patched = await desk('patch', `customers/${customerId}.json`, { contacts: [{ id: phoneContactId, value: 'call me' }] });
      expect(patched.status).toBe(400);
      expect(Object.keys(patched.body.errors)).toEqual(['contacts[0].value']);
      expect(await counts()).toEqual(before);
      expect(await holders('phone', '+15550100')).toEqual([{ customer_id: customerId, value: '+15550100' }]);
    });

    it('should filter by email and by contact value in normal form', async () => {
      for (const [, lookAlike] of LOOK_ALIKES) {
        const res = await desk('get', `customers.json?filter=${encodeURIComponent(JSON.stringify({ email: lookAlike }))}`);
        expect(res.status).toBe(200);
        expect(res.body.customers.map((c: { id: number }) => c.id)).toEqual([customerId]);
      }
      for (const value of ['+1 (555) 0100', 'UNIQ\u200b@ex.com']) {
        const res = await desk('get', `customers.json?filter=${encodeURIComponent(JSON.stringify({ 'contacts.value': { $in: [value] } }))}`);
        expect(res.body.customers.map((c: { id: number }) => c.id)).toEqual([customerId]);
      }
    });
  });

  describe('conversations finding or creating their contact', () => {
    it.each([
      ['email', LOOK_ALIKES[1][1], () => emailContactId],
      ['email', LOOK_ALIKES[3][1], () => emailContactId],
      ['phone', '+1 555 0100', () => phoneContactId],
      ['mobile', '212 555 01\u200b23', () => mobileContactId],
    ])('should find the existing %s contact for %j', async (type, value, expected) => {
      const before = await counts();
      const res = await desk('post', 'conversations.json', { contact: { type, value } });
      expect(res.status).toBe(201);
      expect(res.body.conversation.contactId).toBe(expected());
      const [row] = await t.db.query(`SELECT contact_id FROM conversations WHERE id = $1`, [res.body.conversation.id]);
      expect(row.contact_id).toBe(expected());
      expect(await counts()).toEqual(before);
    });

    it('should create a new contact in normal form, and refuse a phone number it cannot read', async () => {
      const res = await desk('post', 'conversations.json', { contact: { type: 'mobile', value: ' 212 555 0199\u200f' } });
      expect(res.status).toBe(201);
      expect(await holders('mobile', '+12125550199')).toEqual([expect.objectContaining({ value: '+12125550199' })]);
      const before = await counts();
      const bad = await desk('post', 'conversations.json', { contact: { type: 'phone', value: 'extension 4' } });
      expect(bad.status).toBe(400);
      expect(Object.keys(bad.body.errors)).toEqual(['contact.value']);
      expect(await counts()).toEqual(before);
    });
  });

  describe("HighLevel's search", () => {
    it("should find the conversation of a contact by its phone number or address as written, not only in normal form", async () => {
      const conversation = await desk('post', 'conversations.json', { contactId: phoneContactId });
      expect(conversation.status).toBe(201);
      for (const query of ['+1 555 0100', '+15550100', 'ＵＮＩＱ@ex', '555 0100']) {
        const res = await t.http
          .get('/conversations/search')
          .query({ locationId: acme.locationId, query })
          .set('Authorization', acme.auth)
          .set('Version', '2021-07-28');
        expect(res.status).toBe(200);
        const ids = res.body.conversations.map((c: { id: string }) => c.id);
        // `555 0100` is not in E.164 and no stored value holds it: only the ones that normalise find it.
        if (query === '555 0100') expect(ids).not.toContain(String(conversation.body.conversation.id));
        else expect(ids).toContain(String(conversation.body.conversation.id));
      }
    });
  });

  describe('tickets naming their customer by email', () => {
    it.each([
      ['customer.email', (address: string) => ({ customer: { email: address } })],
      ['the deprecated email', (address: string) => ({ email: address })],
    ])('should find the customer for a look-alike in %s', async (_what, body) => {
      const before = await counts();
      for (const [, lookAlike] of LOOK_ALIKES) {
        const res = await desk('post', 'tickets.json', { subject: 'Help', message: 'Hi', ...body(lookAlike) });
        expect(res.status).toBe(201);
        const [row] = await t.db.query(`SELECT customer_id, contact_id FROM tickets WHERE id = $1`, [res.body.ticket.id]);
        expect(row).toEqual({ customer_id: customerId, contact_id: emailContactId });
      }
      expect(await counts()).toEqual(before);
    });

    it('should change a ticket to the customer of a look-alike, and create a new customer in normal form', async () => {
      const created = await desk('post', 'tickets.json', { subject: 'Other', message: 'Hi', customer: { email: 'ＮＥＷ\u200b@Ex.com' } });
      expect(created.status).toBe(201);
      const [fresh] = await holders('email', 'new@ex.com');
      expect(fresh.value).toBe('new@ex.com');
      const moved = await desk('patch', `tickets/${created.body.ticket.id}.json`, { customer: { email: LOOK_ALIKES[0][1] } });
      expect(moved.status).toBe(200);
      const [row] = await t.db.query(`SELECT customer_id FROM tickets WHERE id = $1`, [created.body.ticket.id]);
      expect(row.customer_id).toBe(customerId);
    });
  });
});
