import { isAttachable } from './files.service';

describe(isAttachable.name, () => {
  const inConversation = (byCustomer: boolean) => ({ conversationId: 7, byCustomer });

  it.each([
    ["an agent's upload, to an agent's message", null, false, true],
    ["an agent's upload, to a customer's message", null, true, false],
    ["the conversation's customer upload, to an agent's message", 7, false, true],
    ["the conversation's customer upload, to a customer's message", 7, true, true],
    ["another conversation's upload, to an agent's message", 8, false, false],
    ["another conversation's upload, to a customer's message", 8, true, false],
  ])('should decide %s', (_case, fileConversationId, byCustomer, expected) => {
    expect(isAttachable(fileConversationId, inConversation(byCustomer))).toBe(expected);
  });
});
