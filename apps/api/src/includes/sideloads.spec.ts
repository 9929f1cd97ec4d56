import { Sideloads, SideloadSpec } from './sideloads';

interface Contact {
  id: number;
  customerId: number;
}

interface Message {
  contactId: number | null;
  userId: number | null;
}

describe('Sideloads', () => {
  let sideloads: Sideloads;
  let reads: { type: string; ids: readonly number[] }[];

  beforeEach(() => {
    sideloads = new Sideloads();
    reads = [];
    const contacts: Contact[] = [
      { id: 1, customerId: 10 },
      { id: 2, customerId: 20 },
    ];
    sideloads.register<Contact>('contacts', {
      fetch: async (_, ids) => (reads.push({ type: 'contacts', ids }), contacts.filter((c) => ids.includes(c.id))),
      present: { agent: (contact) => ({ contact: contact.id }), customer: (contact) => ({ own: contact.id }) },
    });
    sideloads.register<number>('customers', {
      fetch: async (_, ids) => (reads.push({ type: 'customers', ids }), [...ids]),
      present: { agent: (id) => ({ customer: id }) },
    });
    sideloads.register<number>('users', {
      fetch: async (_, ids) => (reads.push({ type: 'users', ids }), [...ids]),
      present: { agent: (id) => ({ user: id }) },
    });
  });

  const spec: SideloadSpec<Message> = {
    audience: 'agent',
    refs: {
      contacts: (messages) => ({ ids: messages.map((m) => m.contactId) }),
      customers: async (messages, { related }) => ({ ids: (await related<Contact>('contacts', messages.map((m) => m.contactId))).map((c) => c.customerId) }),
      users: (messages) => ({ ids: messages.map((m) => m.userId) }),
    },
  };
  const messages: Message[] = [
    { contactId: 2, userId: null },
    { contactId: 1, userId: 5 },
    { contactId: 2, userId: 5 },
  ];

  it('reads each type once, ids once and without nulls, and keys them in the order asked', async () => {
    const included = await sideloads.load(1, new Set(['users', 'customers', 'contacts']), spec, messages, null);
    expect(Object.keys(included)).toEqual(['users', 'customers', 'contacts']);
    expect(included).toEqual({
      users: [{ user: 5 }],
      customers: [{ customer: 10 }, { customer: 20 }],
      contacts: [{ contact: 1 }, { contact: 2 }],
    });
    // The customers' contacts are the contacts' read: one read of each type.
    expect(reads.map((read) => read.type).sort()).toEqual(['contacts', 'customers', 'users']);
    expect(reads.find((read) => read.type === 'contacts')?.ids).toEqual([2, 1]);
  });

  it('answers an empty list for a type nothing refers to, without reading it', async () => {
    const included = await sideloads.load(1, new Set(['users']), spec, [{ contactId: 1, userId: null }], null);
    expect(included).toEqual({ users: [] });
    expect(reads).toEqual([]);
  });

  it('presents rows a page already holds without reading them', async () => {
    const held: SideloadSpec<Contact> = { audience: 'customer', refs: { contacts: (contacts) => ({ rows: contacts }) } };
    const included = await sideloads.load(1, new Set(['contacts']), held, [{ id: 7, customerId: 1 }], null);
    expect(included).toEqual({ contacts: [{ own: 7 }] });
    expect(reads).toEqual([]);
  });

  it('refuses a type the resource or the audience has no side-load for', async () => {
    await expect(sideloads.load(1, new Set(['files']), spec, messages, null)).rejects.toThrow('no side-load of files');
    const forCustomers: SideloadSpec<Message> = { ...spec, audience: 'customer' };
    await expect(sideloads.load(1, new Set(['users']), forCustomers, messages, null)).rejects.toThrow('no side-load of users for customers');
  });

  it('refuses a second registration of a type', () => {
    expect(() => sideloads.register('users', { fetch: async () => [], present: {} })).toThrow('registered twice');
  });
});
