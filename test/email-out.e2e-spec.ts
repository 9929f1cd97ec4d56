import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, SMTPServerAddress } from 'smtp-server';
import { EmailDispatcher } from '../apps/api/src/email/email-dispatcher';
import { EmailPurge } from '../apps/api/src/email/email-purge';
import { ReplyAddresses } from '../apps/api/src/email/reply-addresses';
import { BASE } from './support/desk';
import { createContact, createTenant, TestTenant } from './support/factories';
import { recordSecret } from './support/secret-leaks';
import { createTestApp, createTestAppOn, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

// A real SMTP server on loopback that refuses on cue, by the recipient's local part: `refused…`
// always (550), `greylisted…` the first time (451); `stalled…` is never answered. Every message it
// accepts is parsed.
interface Received {
  envelopeTo: string[];
  mail: ParsedMail;
}

class SmtpReceiver {
  readonly received: Received[] = [];
  readonly refusals: string[] = [];
  private readonly greylisted = new Set<string>();
  readonly server: SMTPServer;

  constructor(
    readonly user: string,
    readonly password: string,
  ) {
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      onAuth: (auth, _session, callback) =>
        auth.username === user && auth.password === password ? callback(null, { user }) : callback(new Error('bad credentials')),
      onRcptTo: (address, _session, callback) => {
        if (!address.address.startsWith('stalled')) callback(this.refusalOf(address));
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.received.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), mail });
            callback();
          })
          .catch(callback);
      },
    });
  }

  private refusalOf(address: SMTPServerAddress): Error | undefined {
    const local = address.address.split('@')[0];
    const refuse = (code: number, text: string) => {
      this.refusals.push(`${code} ${address.address}`);
      return Object.assign(new Error(text), { responseCode: code });
    };
    if (local.startsWith('refused')) return refuse(550, 'No such mailbox here');
    if (local.startsWith('greylisted') && !this.greylisted.has(address.address)) {
      this.greylisted.add(address.address);
      return refuse(451, 'Greylisted, try again later');
    }
    return undefined;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.server.address() as AddressInfo;
    return `smtp://${this.user}:${this.password}@127.0.0.1:${port}`;
  }

  to(address: string): Received[] {
    return this.received.filter((r) => r.envelopeTo.includes(address));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let sequence = 0;
const unique = () => `${Date.now().toString(36)}${(sequence++).toString(36)}`;

describe('Email out (SMTP)', () => {
  let t: TestApp;
  let smtp: SmtpReceiver;
  let env: Record<string, string>;
  let acme: TestTenant;
  let globex: TestTenant;
  let inbox: number;

  beforeAll(async () => {
    const password = randomBytes(12).toString('hex');
    recordSecret('SMTP password', password);
    smtp = new SmtpReceiver('mailer', password);
    // Every process's sends end within 3 s: the stalled send's test waits for that deadline.
    env = { SMTP_URL: await smtp.listen(), EMAIL_DISPATCH_INTERVAL_MS: '50', EMAIL_SEND_TIMEOUT_MS: '3000' };
    t = await createTestApp(env);
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
    await t.db.query(`UPDATE inboxes SET email = 'support@acme.test' WHERE tenant_id = $1 AND code = 'support'`, [acme.tenantId]);
    [{ id: inbox }] = await t.db.query(`SELECT id FROM inboxes WHERE tenant_id = $1 AND code = 'support'`, [acme.tenantId]);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const post = (path: string, body: unknown, auth = acme.auth) => t.http.post(`${BASE}/${path}`).set('Authorization', auth).send(body as object);
  const get = (path: string, auth = acme.auth) => t.http.get(`${BASE}/${path}`).set('Authorization', auth);

  async function customer(local = 'cora'): Promise<{ id: number; email: string }> {
    const email = `${local}.${unique()}@example.test`;
    return { id: (await createContact(t.db, acme.tenantId, email)).customerId, email };
  }

  async function ticketFor(customerId: number, extra: Record<string, unknown> = {}): Promise<number> {
    const res = await post('tickets.json', { ticket: { customer: { id: customerId }, inbox: { id: inbox }, subject: 'Invoice wrong', message: 'The total is off.', ...extra } });
    expect({ status: res.status, body: res.status === 201 ? null : res.body }).toEqual({ status: 201, body: null });
    return res.body.ticket.id;
  }

  const mailsTo = (address: string, count: number) =>
    waitFor(`${count} email(s) to ${address}`, () => (smtp.to(address).length >= count ? smtp.to(address) : null));

  async function threadMessage(ticketId: number, id: number): Promise<Record<string, unknown>> {
    const res = await get(`tickets/${ticketId}/messages.json`);
    expect(res.status).toBe(200);
    return res.body.messages.find((m: { id: number }) => m.id === id);
  }

  async function upload(content: Buffer, filename: string): Promise<number> {
    const res = await t.http.post(`${BASE}/files.json`).set('Authorization', acme.auth).attach('file', content, { filename, contentType: 'application/pdf' });
    expect(res.status).toBe(201);
    return res.body.file.id;
  }

  it('should send the customer notification and then an agent reply, threaded, from the inbox, with text, HTML and attachments', async () => {
    const cora = await customer();
    const ticketId = await ticketFor(cora.id, { notifyCustomer: true, editMethod: 'markdown', message: 'The **total** is off.\n\nPlease check.' });
    const [first] = await mailsTo(cora.email, 1);
    const [opening] = (await get(`tickets/${ticketId}/messages.json`)).body.messages;

    expect(first.mail.from?.value).toEqual([{ address: 'support@acme.test', name: '' }]);
    expect(first.mail.to).toMatchObject({ value: [{ address: cora.email }] });
    expect(first.mail.subject).toBe('Invoice wrong');
    expect(first.mail.messageId).toMatch(new RegExp(`^<t${acme.tenantId}\\.${ticketId}\\.${opening.id}\\.[0-9a-f]{12}@acme\\.test>$`));
    expect(first.mail.inReplyTo).toBeUndefined();
    const replyTo = t.app.get(ReplyAddresses).addressOf('support@acme.test', acme.tenantId, ticketId);
    expect(replyTo).toMatch(new RegExp(`^support\\+t${ticketId}\\.[0-9a-f]{10}@acme\\.test$`));
    expect(first.mail.replyTo?.value).toEqual([{ address: replyTo, name: '' }]);
    expect(first.mail.text?.trim()).toBe('The **total** is off.\n\nPlease check.');
    expect(first.mail.html).toBe('<p>The **total** is off.</p>\n<p>Please check.</p>');
    await waitFor('the opening message to show it was sent', async () => (await threadMessage(ticketId, opening.id)).emailStatus === 'sent');
    expect(await threadMessage(ticketId, opening.id)).toMatchObject({ emailMessageId: first.mail.messageId, emailStatus: 'sent', emailError: null });

    const bytes = randomBytes(3000);
    const fileId = await upload(bytes, 'invoice.pdf');
    const reply = await post(`tickets/${ticketId}/messages.json`, { message: { message: '<p>Fixed &amp; refunded.</p><p>Sorry!</p>', editMethod: 'html', files: [{ id: fileId }], cc: ['boss@example.test'], bcc: ['audit@example.test'] } });
    expect(reply.status).toBe(201);
    expect(reply.body.message).toMatchObject({ emailStatus: 'queued', emailMessageId: expect.stringMatching(/^<t\d+\.\d+\.\d+\.[0-9a-f]{12}@acme\.test>$/) });
    const [, second] = await mailsTo(cora.email, 2);

    expect(second.mail.subject).toBe('Re: Invoice wrong');
    expect(second.envelopeTo.sort()).toEqual([cora.email, 'audit@example.test', 'boss@example.test'].sort());
    expect(second.mail.cc).toMatchObject({ value: [{ address: 'boss@example.test' }] });
    expect(second.mail.headers.has('bcc')).toBe(false);
    expect(second.mail.messageId).toBe(reply.body.message.emailMessageId);
    expect(second.mail.inReplyTo).toBe(first.mail.messageId);
    expect(second.mail.references).toBe(first.mail.messageId);
    expect(second.mail.replyTo?.value).toEqual([{ address: replyTo, name: '' }]);
    expect(second.mail.html).toBe('<p>Fixed &amp; refunded.</p><p>Sorry!</p>');
    expect(second.mail.text?.trim()).toBe('Fixed & refunded.\n\nSorry!');
    expect(second.mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content }))).toEqual([
      { filename: 'invoice.pdf', contentType: 'application/pdf', content: bytes },
    ]);
    await waitFor('the reply to show it was sent', async () => (await threadMessage(ticketId, reply.body.message.id)).emailStatus === 'sent');

    const [row] = await t.db.query(
      `SELECT email_status, email_sent_at, email_message_id FROM ticket_messages WHERE tenant_id = $1 AND id = $2`,
      [acme.tenantId, reply.body.message.id],
    );
    expect(row).toEqual({ email_status: 'sent', email_sent_at: expect.any(Date), email_message_id: second.mail.messageId });
    const outbox = await t.db.query(`SELECT topic, attempts, delivered_at IS NOT NULL AS delivered, claimed_by FROM outbox WHERE tenant_id = $1 AND ticket_id = $2 AND topic <> 'pusher' ORDER BY id`, [
      acme.tenantId,
      ticketId,
    ]);
    expect(outbox).toEqual([
      { topic: 'ticket.customer_notification', attempts: 1, delivered: true, claimed_by: null },
      { topic: 'ticket.reply', attempts: 1, delivered: true, claimed_by: null },
    ]);
    // A third message references both, oldest first.
    const third = await post(`tickets/${ticketId}/messages.json`, { message: { message: 'One more thing.' } });
    const [, , mail3] = await mailsTo(cora.email, 3);
    expect(mail3.mail.messageId).toBe(third.body.message.emailMessageId);
    expect(mail3.mail.inReplyTo).toBe(second.mail.messageId);
    expect(mail3.mail.references).toEqual([first.mail.messageId, second.mail.messageId]);
  });

  it('should email neither a note nor the customer side’s own message', async () => {
    const cora = await customer();
    const ticketId = await ticketFor(cora.id);
    const [{ id: contactId }] = await t.db.query(`SELECT contact_id AS id FROM tickets WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, ticketId]);
    const note = await post(`tickets/${ticketId}/messages.json`, { message: { message: 'Internal', threadType: 'note' } });
    const own = await post(`tickets/${ticketId}/messages.json`, { message: { message: 'Mine', contact: { id: contactId } } });
    expect([note.status, own.status]).toEqual([201, 201]);
    expect([note.body.message.emailStatus, own.body.message.emailStatus]).toEqual([null, null]);
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE tenant_id = $1 AND ticket_id = $2 AND topic LIKE 'ticket.%'`, [acme.tenantId, ticketId]);
    expect(n).toBe(0);
  });

  it('should record a permanent refusal (5xx) on the thread message, visible through the API, and not retry it', async () => {
    const refused = await customer('refused');
    const ticketId = await ticketFor(refused.id);
    const reply = await post(`tickets/${ticketId}/messages.json`, { message: { message: 'Hello?' } });
    const failed = await waitFor('the reply to fail', async () => {
      const m = await threadMessage(ticketId, reply.body.message.id);
      return m.emailStatus === 'failed' ? m : null;
    });
    expect(failed.emailError).toMatch(/^550 No such mailbox here/);
    expect(smtp.to(refused.email)).toEqual([]);
    const [row] = await t.db.query(`SELECT attempts, failed_at IS NOT NULL AS failed, last_error FROM outbox WHERE tenant_id = $1 AND ticket_id = $2 AND topic = 'ticket.reply'`, [
      acme.tenantId,
      ticketId,
    ]);
    expect(row).toEqual({ attempts: 1, failed: true, last_error: expect.stringMatching(/^550 /) });
  });

  it('should fail for good when only the customer (To) is refused (5xx) and a copy (Cc) is accepted', async () => {
    const refused = await customer('refused');
    const ticketId = await ticketFor(refused.id);
    const reply = await post(`tickets/${ticketId}/messages.json`, { message: { message: 'Hello?', cc: ['copy@example.test'] } });
    const failed = await waitFor('the reply to fail', async () => {
      const m = await threadMessage(ticketId, reply.body.message.id);
      return m.emailStatus === 'failed' ? m : null;
    });
    expect(failed.emailError).toMatch(/^550 No such mailbox here/);
    const [row] = await t.db.query(`SELECT attempts, failed_at IS NOT NULL AS failed, delivered_at FROM outbox WHERE tenant_id = $1 AND ticket_id = $2 AND topic = 'ticket.reply'`, [
      acme.tenantId,
      ticketId,
    ]);
    expect(row).toEqual({ attempts: 1, failed: true, delivered_at: null });
  });

  it('should give up a send that stalls at its deadline, closing the connection, and retry it later', async () => {
    const stalled = await customer('stalled');
    const ticketId = await ticketFor(stalled.id);
    const reply = await post(`tickets/${ticketId}/messages.json`, { message: { message: 'Anyone?' } });
    const select = `SELECT attempts, last_error, failed_at, available_at > now() + interval '20 seconds' AS backed_off, claimed_by FROM outbox WHERE tenant_id = $1 AND ticket_id = $2 AND topic = 'ticket.reply'`;
    const row = await waitFor('the stalled send to be given up', async () => {
      const [r] = await t.db.query(select, [acme.tenantId, ticketId]);
      return r.last_error ? r : null;
    });
    expect(row).toEqual({ attempts: 1, last_error: expect.stringMatching(/aborted/i), failed_at: null, backed_off: true, claimed_by: null });
    expect((await threadMessage(ticketId, reply.body.message.id)).emailStatus).toBe('queued');
  });

  it("should not send a deleted ticket's queued reply or scheduled email, and say why on each", async () => {
    const grey = await customer('greylisted');
    const sendAt = new Date(Date.now() + 60 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ticketId = await ticketFor(grey.id, { scheduledEmail: { sendAt, subject: 'Later' } });
    const reply = await post(`tickets/${ticketId}/messages.json`, { message: { message: 'Queued' } });
    // The reply's first attempt is refused (451), so it waits in the outbox when the ticket goes.
    await waitFor('the first attempt to be refused', async () => {
      const [r] = await t.db.query(`SELECT last_error FROM outbox WHERE tenant_id = $1 AND ticket_id = $2 AND topic = 'ticket.reply'`, [acme.tenantId, ticketId]);
      return r.last_error !== null;
    });
    expect((await t.http.delete(`${BASE}/tickets/${ticketId}.json`).set('Authorization', acme.auth)).status).toBe(204);
    await t.db.query(`UPDATE outbox SET available_at = now() WHERE tenant_id = $1 AND ticket_id = $2 AND topic LIKE 'ticket.%'`, [acme.tenantId, ticketId]);
    const rows = await waitFor('both to fail', async () => {
      const found = await t.db.query(
        `SELECT topic, failed_at IS NOT NULL AS failed, delivered_at IS NOT NULL AS delivered, last_error FROM outbox WHERE tenant_id = $1 AND ticket_id = $2 AND topic LIKE 'ticket.%' ORDER BY topic`,
        [acme.tenantId, ticketId],
      );
      return found.length === 2 && found.every((r: { failed: boolean }) => r.failed) ? found : null;
    });
    expect(rows).toEqual([
      { topic: 'ticket.reply', failed: true, delivered: false, last_error: 'the ticket was deleted' },
      { topic: 'ticket.scheduled_email', failed: true, delivered: false, last_error: 'the ticket was deleted' },
    ]);
    const [message] = await t.db.query(`SELECT email_status, email_error FROM ticket_messages WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, reply.body.message.id]);
    expect(message).toEqual({ email_status: 'failed', email_error: 'the ticket was deleted' });
    expect(smtp.to(grey.email)).toEqual([]);
  });

  it('should retry a temporary refusal (4xx) after a backoff, then send once', async () => {
    const grey = await customer('greylisted');
    const ticketId = await ticketFor(grey.id);
    const reply = await post(`tickets/${ticketId}/messages.json`, { message: { message: 'Are you there?' } });
    const select = `SELECT attempts, last_error, available_at > now() + interval '20 seconds' AS backed_off, claimed_by FROM outbox WHERE tenant_id = $1 AND ticket_id = $2 AND topic = 'ticket.reply'`;
    const first = await waitFor('the first attempt to be refused', async () => {
      const [row] = await t.db.query(select, [acme.tenantId, ticketId]);
      return row.last_error ? row : null;
    });
    expect(first).toEqual({ attempts: 1, last_error: expect.stringMatching(/^451 Greylisted/), backed_off: true, claimed_by: null });
    expect((await threadMessage(ticketId, reply.body.message.id)).emailStatus).toBe('queued');

    // The backoff (a minute at least) has passed.
    await t.db.query(`UPDATE outbox SET available_at = now() WHERE tenant_id = $1 AND ticket_id = $2 AND topic = 'ticket.reply'`, [acme.tenantId, ticketId]);
    const [mail] = await mailsTo(grey.email, 1);
    expect(mail.mail.messageId).toBe(reply.body.message.emailMessageId);
    await waitFor('the reply to show it was sent', async () => (await threadMessage(ticketId, reply.body.message.id)).emailStatus === 'sent');
    const [row] = await t.db.query(`SELECT attempts, delivered_at IS NOT NULL AS delivered FROM outbox WHERE tenant_id = $1 AND ticket_id = $2 AND topic = 'ticket.reply'`, [
      acme.tenantId,
      ticketId,
    ]);
    expect(row).toEqual({ attempts: 2, delivered: true });
    expect(smtp.to(grey.email)).toHaveLength(1);
  });

  it('should send scheduled emails at their sendAt, not before, and each once with two processes dispatching', async () => {
    // A second process of the deployment (its own dispatcher); requests still go to the first.
    const second = await createTestAppOn(t.databaseEnv, env, { inProcessHttp: true });
    try {
      const sendAt = new Date(Math.ceil((Date.now() + 1_500) / 1000) * 1000);
      const scheduledEmail = { sendAt: sendAt.toISOString().replace('.000Z', 'Z'), subject: 'Following up', message: 'Did it work?' };
      // Several due at the same instant, so the two processes' claims race for them.
      const customers = await Promise.all(Array.from({ length: 8 }, () => customer()));
      const tickets = await Promise.all(customers.map((c) => ticketFor(c.id, { scheduledEmail })));
      await waitFor('every scheduled email', () => customers.every((c) => smtp.to(c.email).length > 0));
      const rows = await waitFor('every scheduled email recorded as sent', async () => {
        const found: { id: number; ticket_id: number; attempts: number; delivered_at: Date | null }[] = await t.db.query(
          `SELECT id, ticket_id, attempts, delivered_at FROM outbox WHERE tenant_id = $1 AND ticket_id = ANY($2) AND topic = 'ticket.scheduled_email' ORDER BY ticket_id`,
          [acme.tenantId, tickets],
        );
        return found.every((r) => r.delivered_at) ? (found as { id: number; ticket_id: number; attempts: number; delivered_at: Date }[]) : null;
      });
      expect(rows.map((r) => r.ticket_id)).toEqual([...tickets].sort((a, b) => a - b));
      for (const row of rows) {
        expect({ attempts: row.attempts, notBefore: row.delivered_at.getTime() >= sendAt.getTime() }).toEqual({ attempts: 1, notBefore: true });
      }
      const [first] = smtp.to(customers[0].email);
      const firstRow = rows.find((r) => r.ticket_id === tickets[0])!;
      expect(first.mail.subject).toBe('Following up');
      expect(first.mail.text?.trim()).toBe('Did it work?');
      expect(first.mail.messageId).toBe(`<t${acme.tenantId}.${tickets[0]}.o${firstRow.id}@acme.test>`);
      // Both processes keep polling a while longer: each email stays sent once.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(customers.map((c) => smtp.to(c.email).length)).toEqual(customers.map(() => 1));
    } finally {
      await second.close();
    }
  });

  it('should take back at once, after a failed tick, an entry it claimed without hearing so, rather than after the lease', async () => {
    const dispatcher = t.app.get(EmailDispatcher);
    const cora = await customer();
    const sendAt = new Date(Date.now() + 60 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ticketId = await ticketFor(cora.id, { scheduledEmail: { sendAt, subject: 'Lost claim' } });
    // The claim went through, but its answer never reached the dispatcher (the database went away):
    // what Outbox.claim writes, written here in one statement so no tick can take it first.
    await t.db.query(
      `UPDATE outbox SET attempts = attempts + 1, available_at = now() + interval '15 minutes', claimed_by = $3
        WHERE tenant_id = $1 AND ticket_id = $2 AND topic = 'ticket.scheduled_email'`,
      [acme.tenantId, ticketId, dispatcher.claimant],
    );
    // Its next tick follows a failed one.
    (dispatcher as unknown as { claimsInDoubt: boolean }).claimsInDoubt = true;
    const [mail] = await mailsTo(cora.email, 1);
    expect(mail.mail.subject).toBe('Lost claim');
    const row = await waitFor('the entry to be settled', async () => {
      const [r] = await t.db.query(`SELECT attempts, delivered_at IS NOT NULL AS delivered, claimed_by FROM outbox WHERE tenant_id = $1 AND ticket_id = $2`, [
        acme.tenantId,
        ticketId,
      ]);
      return r.delivered ? r : null;
    });
    expect(row).toEqual({ attempts: 1, delivered: true, claimed_by: null });
  });

  it("should purge sent emails' outbox entries after a week, and keep newer, failed and pending ones and live updates", async () => {
    const insert = async (topic: string, delivered: string | null, failed = false): Promise<number> => {
      const [{ id }] = await t.db.query(
        `INSERT INTO outbox (tenant_id, topic, payload, available_at, delivered_at, failed_at)
         VALUES ($1, $2, '{}', now() + interval '1 day', now() - $3::interval, CASE WHEN $4 THEN now() - interval '30 days' END) RETURNING id`,
        [globex.tenantId, topic, delivered, failed],
      );
      return id;
    };
    const old = await insert('ticket.reply', '8 days');
    const oldScheduled = await insert('ticket.scheduled_email', '8 days');
    const recent = await insert('ticket.reply', '6 days');
    const failed = await insert('ticket.reply', null, true);
    const pending = await insert('ticket.customer_notification', null);
    const oldLive = await insert('pusher', '8 days');
    expect(await t.app.get(EmailPurge).purgeSent()).toBe(2);
    const left = await t.db.query(`SELECT id FROM outbox WHERE id = ANY($1) ORDER BY id`, [[old, oldScheduled, recent, failed, pending, oldLive]]);
    expect(left.map((r: { id: number }) => r.id)).toEqual([recent, failed, pending, oldLive]);
    await t.db.query(`DELETE FROM outbox WHERE id = ANY($1)`, [[recent, failed, pending, oldLive]]);
  });

  it("should not show another tenant's thread or its email status", async () => {
    const cora = await customer();
    const ticketId = await ticketFor(cora.id);
    const res = await get(`tickets/${ticketId}/messages.json`, globex.auth);
    expect(res.status).toBe(404);
  });
});

describe('Email out, without SMTP_URL', () => {
  it('should keep a reply queued (test/logs.e2e-spec.ts: it says once at start that email is off)', async () => {
    const t = await createTestApp({ EMAIL_DISPATCH_INTERVAL_MS: '50' }, { inProcessHttp: true });
    try {
      const acme = await createTenant(t, 'Acme off');
      await t.db.query(`UPDATE inboxes SET email = 'support@acme.test' WHERE tenant_id = $1`, [acme.tenantId]);
      const { customerId } = await createContact(t.db, acme.tenantId, `off.${unique()}@example.test`);
      const created = await t.http.post(`${BASE}/tickets.json`).set('Authorization', acme.auth).send({ ticket: { customer: { id: customerId }, subject: 'Hi', message: 'Hello' } });
      const reply = await t.http.post(`${BASE}/tickets/${created.body.ticket.id}/messages.json`).set('Authorization', acme.auth).send({ message: { message: 'Answer' } });
      expect(reply.body.message.emailStatus).toBe('queued');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const [row] = await t.db.query(`SELECT attempts, delivered_at, failed_at FROM outbox WHERE tenant_id = $1 AND topic = 'ticket.reply'`, [acme.tenantId]);
      expect(row).toEqual({ attempts: 0, delivered_at: null, failed_at: null });
    } finally {
      await t.close();
    }
  });
});
