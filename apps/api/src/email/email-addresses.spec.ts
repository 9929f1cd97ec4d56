import { outgoingMessageId, replyAddress, ticketOfReplyAddress } from './email-addresses';

describe('email addresses', () => {
  it('should name the tenant, ticket and message in a fresh Message-ID on the inbox domain', () => {
    const id = outgoingMessageId({ tenantId: 3, ticketId: 14, messageId: 15 }, 'Support@Example.com');
    expect(id).toMatch(/^<t3\.14\.15\.[0-9a-f]{12}@example\.com>$/);
    expect(outgoingMessageId({ tenantId: 3, ticketId: 14, messageId: 15 }, 'support@example.com')).not.toBe(id);
  });

  it('should put the ticket in the reply address and read it back, and nothing else', () => {
    expect(replyAddress('support@example.com', 42)).toBe('support+t42@example.com');
    expect(ticketOfReplyAddress('support+t42@example.com')).toBe(42);
    expect(ticketOfReplyAddress(' Support+T42@example.com ')).toBe(42);
    expect(ticketOfReplyAddress('support@example.com')).toBeNull();
    expect(ticketOfReplyAddress('support+tx@example.com')).toBeNull();
    expect(ticketOfReplyAddress('support+t0@example.com')).toBeNull();
    expect(ticketOfReplyAddress('support+t99999999999999999999@example.com')).toBeNull();
  });
});
