import { ContactNormalizer } from './contact-normalization';
import { planContacts } from './contact-plan';
import { ContactType, CustomerContact } from './customer-contact.entity';

const contact = (id: number, type: ContactType, value: string, isMain: boolean): CustomerContact =>
  Object.assign(new CustomerContact(), { id, tenantId: 1, customerId: 1, type, value, isMain, state: 'active' });

const mains = (plan: ReturnType<typeof planContacts>) => [
  ...plan.update.filter((c) => c.isMain).map((c) => `${c.type}:${c.value}`),
  ...plan.insert.filter((c) => c.isMain).map((c) => `${c.type}:${c.value}`),
];

describe(planContacts.name, () => {
  it('should make the first contact of each type main when none is flagged', () => {
    const plan = planContacts(
      [],
      { contacts: [{ type: 'email', value: 'a@x.test' }, { type: 'email', value: 'b@x.test' }, { type: 'phone', value: '+1 555 0101' }] },
      'create',
    );
    expect(plan.errors.isEmpty).toBe(true);
    expect(plan.insert.map((c) => [c.value, c.isMain])).toEqual([
      ['a@x.test', true],
      ['b@x.test', false],
      ['+15550101', true],
    ]);
  });

  it('should move a main contact to another type without leaving either type with two or none', () => {
    const current = [contact(1, 'phone', '+15550101', true), contact(2, 'phone', '+15550102', false), contact(3, 'mobile', '+15550103', true)];
    const plan = planContacts(current, { contacts: [{ id: 1, type: 'mobile' }] }, 'patch');
    expect(plan.errors.isEmpty).toBe(true);
    // The moved contact joins mobile as a second one; phone promotes its oldest remaining.
    expect(plan.update.map(({ id, type, isMain }) => ({ id, type, isMain }))).toEqual([
      { id: 1, type: 'mobile', isMain: false },
      { id: 2, type: 'phone', isMain: true },
    ]);
    expect(plan.claims.map((c) => c.path)).toEqual(['contacts[0]']);
  });

  it('should change nothing when the only contact of a type is told it is not main', () => {
    const plan = planContacts([contact(1, 'email', 'a@x.test', true)], { contacts: [{ id: 1, isMain: false }] }, 'patch');
    expect(plan.errors.isEmpty).toBe(true);
    expect(plan.changed).toBe(false);
  });

  it('should keep a listed contact matched by value in a replace, and remove the unlisted', () => {
    const current = [contact(1, 'email', 'a@x.test', true), contact(2, 'email', 'b@x.test', false)];
    const plan = planContacts(current, { contacts: [{ type: 'email', value: 'B\u200b@x.test' }] }, 'replace');
    expect(plan.remove.map((c) => c.id)).toEqual([1]);
    expect(plan.update).toEqual([{ id: 2, type: 'email', value: 'b@x.test', isMain: true, path: 'contacts[0]' }]);
    // The same value in another case or with invisibles is the same contact: nothing to claim.
    expect(plan.claims).toEqual([]);
  });

  it('should let the shorthand name the main contact, and refuse a second main of its type', () => {
    const shorthand = planContacts([], { email: 'b@x.test', contacts: [{ type: 'email', value: 'a@x.test' }] }, 'create');
    expect(mains(shorthand)).toEqual(['email:b@x.test']);

    const contradiction = planContacts([], { email: 'b@x.test', contacts: [{ type: 'email', value: 'a@x.test', isMain: true }] }, 'create');
    expect(contradiction.errors.isEmpty).toBe(false);
    expect(() => contradiction.errors.throwIfAny()).toThrow(expect.objectContaining({ fields: { 'contacts[0].isMain': ['only one email contact can be main'] } }));
  });

  it('should refuse to pass a value between two kept contacts in one request', () => {
    const current = [contact(1, 'other', 'x', true), contact(2, 'other', 'y', false)];
    const plan = planContacts(current, { contacts: [{ id: 1, value: 'y' }, { id: 2, value: 'x' }] }, 'patch');
    expect(() => plan.errors.throwIfAny()).toThrow(
      expect.objectContaining({
        fields: {
          'contacts[0].value': ['is still the value of contact 2; change one at a time'],
          'contacts[1].value': ['is still the value of contact 1; change one at a time'],
        },
      }),
    );
  });

  it('should normalise every value the body gives, and name the field of a phone number it cannot read', () => {
    const current = [contact(1, 'other', '212 555 0100', true), contact(2, 'email', 'Legacy@X.test', true)];
    const plan = planContacts(
      current,
      { phone: '(212) 555-0199', contacts: [{ id: 1, type: 'mobile' }, { type: 'email', value: 'ＮＥＷ@x.test' }, { type: 'phone', value: 'no number' }] },
      'patch',
      new ContactNormalizer('US'),
    );
    expect(() => plan.errors.throwIfAny()).toThrow(
      expect.objectContaining({ fields: { 'contacts[2].value': [expect.stringMatching(/^is not a phone number: .* national number of US$/)] } }),
    );
    expect(plan.update.map(({ id, type, value }) => [id, type, value])).toEqual([[1, 'mobile', '+12125550100']]);
    expect(plan.insert.map(({ type, value }) => [type, value])).toEqual([
      ['email', 'new@x.test'],
      ['phone', 'no number'],
      ['phone', '+12125550199'],
    ]);
  });
});
