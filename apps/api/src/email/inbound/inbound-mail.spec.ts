import { PayloadTooLargeError, ValidationError } from '@app/common';
import { parseInboundMail } from './inbound-mail';

const mail = (headers: string[], body = 'hello') => Buffer.from([...headers, 'Content-Type: text/plain; charset=utf-8', '', body].join('\r\n'));

describe('parseInboundMail', () => {
  it('should list the thread: In-Reply-To first, then References newest first, once each', async () => {
    const parsed = await parseInboundMail(
      mail(['From: Cora <cora@customer.test>', 'In-Reply-To: <c@x>', 'References: <a@x> <b@x>\r\n <c@x>', 'Message-ID: <d@x>', 'Subject: Re: hi']),
    );
    expect(parsed).toMatchObject({ messageId: '<d@x>', threadIds: ['<c@x>', '<b@x>', '<a@x>'], from: 'cora@customer.test', subject: 'Re: hi', message: 'hello', editMethod: 'markdown' });
  });

  it('should find reply addresses among To, Cc, Delivered-To and X-Original-To, in lower case', async () => {
    const parsed = await parseInboundMail(
      mail(['From: a@customer.test', 'To: Support <Support@Acme.test>', 'Cc: b@customer.test', 'Delivered-To: support+t7@acme.test', 'X-Original-To: <x+t8@acme.test>']),
    );
    expect(parsed.recipients).toEqual(['support@acme.test', 'b@customer.test', 'support+t7@acme.test', 'x+t8@acme.test']);
    expect(parsed.cc).toEqual(['b@customer.test']);
    expect(parsed.messageId).toBeNull();
    expect(parsed.subject).toBe('(no subject)');
  });

  it('should refuse a body without a From address, and a text past what a thread message holds', async () => {
    await expect(parseInboundMail(Buffer.from('hello there'))).rejects.toBeInstanceOf(ValidationError);
    await expect(parseInboundMail(mail(['To: a@b.test']))).rejects.toBeInstanceOf(ValidationError);
    await expect(parseInboundMail(mail(['From: a@customer.test'], 'x'.repeat(1_048_577)))).rejects.toBeInstanceOf(PayloadTooLargeError);
  });
});
