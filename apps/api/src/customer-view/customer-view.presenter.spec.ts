import { ConversationMessage } from '../conversations/messages/conversation-message.entity';
import { agentDisplayName, CUSTOMER_MESSAGE_FIELDS, CUSTOMER_MESSAGE_TOMBSTONE_FIELDS, presentCustomerMessage } from './customer-view.presenter';

const at = new Date('2026-01-02T03:04:05.000Z');

const message = (fields: Partial<ConversationMessage>): ConversationMessage =>
  Object.assign(new ConversationMessage(), {
    id: 9,
    tenantId: 1,
    conversationId: 4,
    userId: null,
    contactId: 7,
    message: 'Hi',
    fileIds: [3],
    clientMessageId: 'c-1',
    state: 'active',
    createdAt: at,
    createdBy: 2,
    updatedAt: at,
    updatedBy: 2,
    deletedAt: null,
    deletedBy: null,
    ...fields,
  });

describe(presentCustomerMessage.name, () => {
  it("should show the customer's own message with its client id, and nothing of who wrote the row", () => {
    const shown = presentCustomerMessage(message({}));
    expect(Object.keys(shown)).toEqual([...CUSTOMER_MESSAGE_FIELDS]);
    expect(shown).toMatchObject({ contactId: 7, clientMessageId: 'c-1', files: [{ id: 3, type: 'files' }], createdAt: at.toISOString() });
  });

  it('should refuse to present a private note, even deleted', () => {
    expect(() => presentCustomerMessage(message({ userId: 2, contactId: null, isPrivate: true }))).toThrow('private note');
    expect(() => presentCustomerMessage(message({ userId: 2, contactId: null, isPrivate: true, state: 'deleted' }))).toThrow('private note');
  });

  it("should keep an agent's client id from the customer", () => {
    expect(presentCustomerMessage(message({ userId: 2, contactId: null, clientMessageId: 'agent-c-77' }))).toMatchObject({ userId: 2, clientMessageId: null });
  });

  it('should show a deleted message as its tombstone, without its text or files, whatever fields are asked for', () => {
    const deletedAt = new Date('2026-01-03T00:00:00.000Z');
    const shown = presentCustomerMessage(message({ state: 'deleted', deletedAt, deletedBy: 2 }), ['message', 'files']);
    expect(Object.keys(shown)).toEqual([...CUSTOMER_MESSAGE_TOMBSTONE_FIELDS]);
    expect(shown).toEqual({ id: 9, conversationId: 4, state: 'deleted', createdAt: at.toISOString(), updatedAt: at.toISOString(), deletedAt: deletedAt.toISOString() });
  });

  it('should pick the asked fields, and the id', () => {
    expect(presentCustomerMessage(message({}), ['message'])).toEqual({ id: 9, message: 'Hi' });
  });
});

describe(agentDisplayName.name, () => {
  it('should join the names that are set', () => {
    expect(agentDisplayName({ firstName: 'Ada', lastName: 'Admin' })).toBe('Ada Admin');
    expect(agentDisplayName({ firstName: 'Ada', lastName: '' })).toBe('Ada');
    expect(agentDisplayName({ firstName: '', lastName: '' })).toBe('');
  });
});
