import { randomBytes } from 'node:crypto';
import { outgoingMessageId, replyAddress, replyTag, ticketOfReplyAddress } from './email-addresses';

describe('email addresses', () => {
  const key = randomBytes(32);
  const tagOf = (ticketId: number) => replyTag(key, 3, ticketId);

  it('should name the tenant, ticket and message in a fresh Message-ID on the inbox domain', () => {
    const id = outgoingMessageId({ tenantId: 3, ticketId: 14, messageId: 15 }, 'Support@Example.com');
    expect(id).toMatch(/^<t3\.14\.15\.[0-9a-f]{12}@example\.com>$/);
    expect(outgoingMessageId({ tenantId: 3, ticketId: 14, messageId: 15 }, 'support@example.com')).not.toBe(id);
  });

  it('should put the ticket and its tag in the reply address and read it back, and nothing else', () => {
    const address = replyAddress('support@example.com', 42, tagOf(42));
    expect(address).toMatch(/^support\+t42\.[0-9a-f]{10}@example\.com$/);
    expect(ticketOfReplyAddress(address, tagOf)).toBe(42);
    expect(ticketOfReplyAddress(` ${address.toUpperCase()} `, tagOf)).toBe(42);
    expect(ticketOfReplyAddress('support@example.com', tagOf)).toBeNull();
    expect(ticketOfReplyAddress('support+tx@example.com', tagOf)).toBeNull();
    expect(ticketOfReplyAddress(`support+t0.${tagOf(0)}@example.com`, tagOf)).toBeNull();
    expect(ticketOfReplyAddress(`support+t99999999999999999999.${tagOf(1)}@example.com`, tagOf)).toBeNull();
  });

  it('should refuse a guessed ticket id: no tag, a wrong tag, another ticket\'s or tenant\'s tag', () => {
    expect(ticketOfReplyAddress('support+t42@example.com', tagOf)).toBeNull();
    expect(ticketOfReplyAddress(`support+t42.${tagOf(43)}@example.com`, tagOf)).toBeNull();
    expect(ticketOfReplyAddress(`support+t42.${replyTag(key, 4, 42)}@example.com`, tagOf)).toBeNull();
    expect(ticketOfReplyAddress(`support+t42.${replyTag(randomBytes(32), 3, 42)}@example.com`, tagOf)).toBeNull();
    expect(ticketOfReplyAddress(`support+t42.${tagOf(42).slice(0, 9)}@example.com`, tagOf)).toBeNull();
  });

  it('should round-trip an inbox address that has a tag of its own (the last +t… counts)', () => {
    const address = replyAddress('support+sales@example.com', 7, tagOf(7));
    expect(address).toBe(`support+sales+t7.${tagOf(7)}@example.com`);
    expect(ticketOfReplyAddress(address, tagOf)).toBe(7);
    const tagged = replyAddress(`support+t9.${tagOf(9)}@example.com`, 7, tagOf(7));
    expect(ticketOfReplyAddress(tagged, tagOf)).toBe(7);
  });
});
