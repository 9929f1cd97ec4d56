import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { ReplyAddresses } from '../apps/api/src/email/reply-addresses';
import { InboundSecretsService } from '../apps/api/src/tickets/settings/inbound-secrets.service';
import { BASE } from './support/desk';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { recordSecret } from './support/secret-leaks';
import { createTestApp, TestApp } from './support/test-app';

const MAX_BYTES = 64 * 1024;
const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');
const newMessageId = () => `<${randomBytes(8).toString('hex')}@mail.customer.test>`;

// A real MIME message, as a mail client would write it.
async function mime(options: Mail.Options): Promise<Buffer> {
  return new MailComposer({ to: 'support@acme.test', subject: 'Printer on fire', ...options }).compile().build();
}

describe('Email in (POST /desk/api/v2/inbound/email.json)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;
  let acmeInbox: number;
  let acmeSecret: string;
  let globexSecret: string;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'helpdesk-email-in-'));
    t = await createTestApp({ FILES_DIR: dir, FILES_MAX_BYTES: String(MAX_BYTES) });
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
    acmeInbox = await defaultInbox(acme);
    acmeSecret = await issue(acme, acmeInbox);
    globexSecret = await issue(globex, await defaultInbox(globex));
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function defaultInbox(tenant: TestTenant): Promise<number> {
    const [{ id }] = await t.db.query(`SELECT id FROM inboxes WHERE tenant_id = $1 AND is_default`, [tenant.tenantId]);
    return Number(id);
  }

  async function issue(tenant: TestTenant, inboxId: number): Promise<string> {
    const res = await t.http.post(`${BASE}/inboxes/${inboxId}/inboundsecret.json`).set('Authorization', tenant.auth);
    expect(res.status).toBe(201);
    recordSecret('inbound secret', res.body.inboundSecret.secret);
    return res.body.inboundSecret.secret;
  }

  const post = (raw: Buffer | string, secret = acmeSecret, contentType = 'message/rfc822') =>
    t.http.post(`${BASE}/inbound/email.json`).set('Authorization', `Bearer ${secret}`).set('Content-Type', contentType).send(raw);

  const threadRows = (tenantId: number, ticketId: number) =>
    t.db.query(
      `SELECT id, contact_id, user_id, thread_type, message, edit_method, email_message_id, file_ids, cc
         FROM ticket_messages WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY id`,
      [tenantId, ticketId],
    );
  const replyAddress = (tenantId: number, ticketId: number) => t.app.get(ReplyAddresses).addressOf('support@acme.test', tenantId, ticketId);
  const countTickets = async (tenantId: number) => Number((await t.db.query(`SELECT count(*) FROM tickets WHERE tenant_id = $1`, [tenantId]))[0].count);

  describe('the inbox secret', () => {
    it('should be issued to admins once, stored only as a hash, and replaced by a second issue', async () => {
      const [row] = await t.db.query(`SELECT inbound_secret_lookup, inbound_secret_hash FROM inboxes WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, acmeInbox]);
      expect(acmeSecret).toMatch(/^hdi_[0-9a-f]{16}[A-Za-z0-9_-]{43}$/);
      expect(acmeSecret.slice(4, 20)).toBe(row.inbound_secret_lookup);
      expect(Buffer.from(row.inbound_secret_hash).equals(createHash('sha256').update(acmeSecret).digest())).toBe(true);
      const inbox = await t.http.get(`${BASE}/inboxes/${acmeInbox}.json`).set('Authorization', acme.auth);
      expect(JSON.stringify(inbox.body)).not.toContain(acmeSecret.slice(20));

      const [other] = await t.db.query(`INSERT INTO inboxes (tenant_id, name) VALUES ($1, 'Billing') RETURNING id`, [acme.tenantId]);
      const first = await issue(acme, other.id);
      const second = await issue(acme, other.id);
      expect(second).not.toBe(first);
      expect((await post(await mime({ from: 'a@customer.test', text: 'x' }), first)).status).toBe(401);
      expect((await post(await mime({ from: 'a@customer.test', text: 'x' }), second)).status).toBe(201);
    });

    it('should stop answering for a deleted inbox', async () => {
      const [inbox] = await t.db.query(`INSERT INTO inboxes (tenant_id, name) VALUES ($1, 'Old') RETURNING id`, [acme.tenantId]);
      const secret = await issue(acme, inbox.id);
      expect((await t.http.delete(`${BASE}/inboxes/${inbox.id}.json`).set('Authorization', acme.auth)).status).toBe(204);
      const res = await post(await mime({ from: 'late@customer.test', text: 'anyone there?' }), secret);
      expect(res.status).toBe(401);
      expect((await t.http.post(`${BASE}/inboxes/${inbox.id}/inboundsecret.json`).set('Authorization', acme.auth)).status).toBe(404);
    });

    it('should refuse agents (403) and another tenant’s inbox (404)', async () => {
      const agent = await createAgent(t, acme.tenantId);
      const refused = await t.http.post(`${BASE}/inboxes/${acmeInbox}/inboundsecret.json`).set('Authorization', agent.auth);
      expect(refused.status).toBe(403);
      expect(refused.headers['x-error-code']).toBe('ADMIN_REQUIRED');
      const foreign = await t.http.post(`${BASE}/inboxes/${acmeInbox}/inboundsecret.json`).set('Authorization', globex.auth);
      expect(foreign.status).toBe(404);
      const [row] = await t.db.query(`SELECT inbound_secret_lookup FROM inboxes WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, acmeInbox]);
      expect(row.inbound_secret_lookup).toBe(acmeSecret.slice(4, 20));
    });

    it('should refuse an agent in the service too, whoever calls it', async () => {
      const agent = await createAgent(t, acme.tenantId);
      const principal = { tenantId: acme.tenantId, locationId: '', userId: agent.id, role: 'agent' as const, apiKeyId: 0 };
      await expect(t.app.get(InboundSecretsService).issue(principal, acmeInbox)).rejects.toMatchObject({ code: 'ADMIN_REQUIRED' });
      const [row] = await t.db.query(`SELECT inbound_secret_lookup FROM inboxes WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, acmeInbox]);
      expect(row.inbound_secret_lookup).toBe(acmeSecret.slice(4, 20));
    });

    it('should answer a missing, malformed or wrong secret 401 in the Desk dialect, storing nothing', async () => {
      const raw = await mime({ from: 'nobody@customer.test', text: 'hello' });
      const before = await countTickets(acme.tenantId);
      const wrong = acmeSecret.slice(0, -4) + (acmeSecret.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      for (const auth of [undefined, 'Bearer nonsense', `Bearer ${wrong}`, `Basic ${Buffer.from(`${acmeSecret}:x`).toString('base64')}`, acme.auth]) {
        const req = t.http.post(`${BASE}/inbound/email.json`).set('Content-Type', 'message/rfc822');
        const res = await (auth ? req.set('Authorization', auth) : req).send(raw);
        expect(res.status).toBe(401);
        expect(res.headers['x-error-code']).toBe('INBOUND_SECRET_INVALID');
      }
      expect(await countTickets(acme.tenantId)).toBe(before);
    });
  });

  describe('a new mail', () => {
    it('should open a ticket in the inbox, the customer created by address, attachments as files', async () => {
      const messageId = newMessageId();
      const pdf = randomBytes(3000);
      const raw = await mime({
        from: '"Cora Customer" <Cora.New@Customer.test>',
        cc: 'boss@customer.test',
        messageId,
        text: 'My printer is on fire.\nPlease help.',
        html: '<p>My printer is <b>on fire</b>.</p>',
        attachments: [{ filename: 'photo.pdf', content: pdf, contentType: 'application/pdf' }],
      });
      const res = await post(raw);
      expect(res.status).toBe(201);
      const { ticket, message } = res.body;
      expect(ticket).toMatchObject({ subject: 'Printer on fire', inbox: { id: acmeInbox }, messageCount: 1, editMethod: 'markdown' });
      expect(message).toMatchObject({ threadType: 'message', message: 'My printer is on fire.\nPlease help.', editMethod: 'markdown', user: null, cc: ['boss@customer.test'] });
      expect(message.contact).toMatchObject({ id: ticket.contact.id });

      const [contact] = await t.db.query(`SELECT customer_id, type, value FROM customer_contacts WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, message.contact.id]);
      expect(contact).toMatchObject({ type: 'email', value: 'cora.new@customer.test' });
      expect(Number(contact.customer_id)).toBe(ticket.customer.id);
      const [customer] = await t.db.query(`SELECT first_name, last_name, email FROM customers WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, ticket.customer.id]);
      expect(customer).toEqual({ first_name: 'Cora', last_name: 'Customer', email: 'cora.new@customer.test' });
      const [row] = await t.db.query(
        `SELECT t.message_count, s.code AS source, st.is_default AS default_status, t.file_ids FROM tickets t
           JOIN ticket_sources s ON s.tenant_id = t.tenant_id AND s.id = t.source_id
           JOIN ticket_statuses st ON st.tenant_id = t.tenant_id AND st.id = t.status_id
          WHERE t.tenant_id = $1 AND t.id = $2`,
        [acme.tenantId, ticket.id],
      );
      expect(row).toMatchObject({ message_count: 1, source: 'email', default_status: true });
      const [stored] = await threadRows(acme.tenantId, ticket.id);
      expect(stored).toMatchObject({ email_message_id: messageId, thread_type: 'message', user_id: null });
      expect(stored.file_ids).toHaveLength(1);

      const fileId = Number(stored.file_ids[0]);
      const file = await t.http.get(`${BASE}/files/${fileId}.json`).set('Authorization', acme.auth);
      expect(file.body.file).toMatchObject({ filename: 'photo.pdf', mimeType: 'application/pdf', size: pdf.length, sha256: sha256(pdf) });
      const download = await t.http.get(`${BASE}/files/${fileId}/download`).set('Authorization', acme.auth).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (chunk: Buffer) => chunks.push(chunk));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(Buffer.compare(download.body as Buffer, pdf)).toBe(0);

      const [event] = await t.db.query(`SELECT payload FROM outbox WHERE topic = 'pusher' AND payload->>'event' = 'ticket.created' AND payload->'data'->>'id' = $1`, [String(ticket.id)]);
      expect(event).toBeDefined();
    });

    it('should keep an HTML-only mail as sanitised HTML, and take text/plain bodies too', async () => {
      const raw = await mime({ from: 'html@customer.test', html: '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:alert(2)">there</a></p>' });
      const res = await post(raw.toString('utf8'), acmeSecret, 'text/plain');
      expect(res.status).toBe(201);
      expect(res.body.message).toMatchObject({ editMethod: 'html', message: '<p>Hi <a>there</a></p>' });
      expect(res.body.ticket.editMethod).toBe('html');
    });

    it('should find an existing customer by address, without a Message-ID storing none', async () => {
      const known = await createContact(t.db, acme.tenantId, 'known@customer.test');
      const res = await post(await mime({ from: 'KNOWN@customer.test', text: 'again' }).then((b) => Buffer.from(b.toString().replace(/^Message-ID:.*\r\n/im, ''))));
      expect(res.status).toBe(201);
      expect(res.body.ticket.customer.id).toBe(known.customerId);
      expect(res.body.message.contact.id).toBe(known.contactId);
      const [row] = await threadRows(acme.tenantId, res.body.ticket.id);
      expect(row.email_message_id).toBeNull();
    });
  });

  describe('a reply', () => {
    async function ticketFrom(from: string): Promise<{ ticketId: number; messageId: string }> {
      const messageId = newMessageId();
      const res = await post(await mime({ from, messageId, text: 'first' }));
      expect(res.status).toBe(201);
      return { ticketId: res.body.ticket.id, messageId };
    }

    it('should be appended to the ticket whose thread holds its In-Reply-To, as the sender', async () => {
      const { ticketId, messageId } = await ticketFrom('thread@customer.test');
      const res = await post(await mime({ from: 'colleague@customer.test', subject: 'Re: Printer on fire', inReplyTo: messageId, references: [messageId], text: 'second' }));
      expect(res.status).toBe(201);
      expect(res.body.ticket).toMatchObject({ id: ticketId, messageCount: 2 });
      const rows = await threadRows(acme.tenantId, ticketId);
      expect(rows.map((r: { message: string }) => r.message)).toEqual(['first', 'second']);
      const [colleague] = await t.db.query(`SELECT value FROM customer_contacts WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, rows[1].contact_id]);
      expect(colleague.value).toBe('colleague@customer.test');
      expect(await t.db.query(`SELECT 1 FROM outbox WHERE payload->>'event' = 'ticket.updated' AND payload->'data'->>'id' = $1`, [String(ticketId)])).toHaveLength(1);
    });

    it('should follow References to a Message-ID that went out with an agent’s reply', async () => {
      const { ticketId } = await ticketFrom('refs@customer.test');
      const outgoing = `<t${acme.tenantId}.${ticketId}.1.abcdef@acme.test>`;
      await t.db.query(
        `INSERT INTO ticket_messages (tenant_id, ticket_id, message, user_id, email_message_id) VALUES ($1, $2, 'we are on it', $3, $4)`,
        [acme.tenantId, ticketId, acme.adminId, outgoing],
      );
      const res = await post(await mime({ from: 'refs@customer.test', references: [newMessageId(), outgoing], text: 'thanks' }));
      expect(res.status).toBe(201);
      expect(res.body.ticket.id).toBe(ticketId);
    });

    it('should take a reply address from the ticket’s customer, and open a new ticket for anyone else', async () => {
      const { ticketId } = await ticketFrom('owner@customer.test');
      const address = replyAddress(acme.tenantId, ticketId);
      const mine = await post(await mime({ from: 'owner@customer.test', to: address, text: 'by address' }));
      expect(mine.status).toBe(201);
      expect(mine.body.ticket.id).toBe(ticketId);
      const stranger = await post(await mime({ from: 'stranger@elsewhere.test', to: address, text: 'spoof' }));
      expect(stranger.status).toBe(201);
      expect(stranger.body.ticket.id).not.toBe(ticketId);
      expect((await threadRows(acme.tenantId, ticketId)).map((r: { message: string }) => r.message)).toEqual(['first', 'by address']);
    });

    it('should not take a guessed reply address (no tag, or a wrong one), even from the customer', async () => {
      const { ticketId } = await ticketFrom('guessed@customer.test');
      const tag = replyAddress(acme.tenantId, ticketId).split('.')[1].split('@')[0];
      const wrongTag = tag.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      for (const to of [`support+t${ticketId}@acme.test`, `support+t${ticketId}.${wrongTag}@acme.test`, replyAddress(globex.tenantId, ticketId)]) {
        const res = await post(await mime({ from: 'guessed@customer.test', to, text: 'forged' }));
        expect(res.status).toBe(201);
        expect(res.body.ticket.id).not.toBe(ticketId);
      }
      expect((await threadRows(acme.tenantId, ticketId)).map((r: { message: string }) => r.message)).toEqual(['first']);
    });

    it('should take the reply address of an inbox whose address has a tag of its own', async () => {
      const { ticketId } = await ticketFrom('tagged@customer.test');
      const address = t.app.get(ReplyAddresses).addressOf('support+sales@acme.test', acme.tenantId, ticketId);
      const res = await post(await mime({ from: 'tagged@customer.test', to: address, text: 'via sales' }));
      expect(res.status).toBe(201);
      expect(res.body.ticket.id).toBe(ticketId);
    });

    it('should open a new ticket when the ticket it answers is deleted', async () => {
      const { ticketId, messageId } = await ticketFrom('deleted@customer.test');
      expect((await t.http.delete(`${BASE}/tickets/${ticketId}.json`).set('Authorization', acme.auth)).status).toBe(204);
      const res = await post(await mime({ from: 'deleted@customer.test', inReplyTo: messageId, text: 'still broken' }));
      expect(res.status).toBe(201);
      expect(res.body.ticket.id).not.toBe(ticketId);
      expect(await threadRows(acme.tenantId, ticketId)).toHaveLength(1);
    });

    it('should never reach another tenant’s ticket, by Message-ID or by address', async () => {
      const { ticketId, messageId } = await ticketFrom('isolated@customer.test');
      const before = await threadRows(acme.tenantId, ticketId);
      const byId = await post(await mime({ from: 'isolated@customer.test', inReplyTo: messageId, text: 'wrong tenant' }), globexSecret);
      const byAddress = await post(await mime({ from: 'isolated@customer.test', to: replyAddress(acme.tenantId, ticketId), text: 'wrong tenant' }), globexSecret);
      for (const res of [byId, byAddress]) {
        expect(res.status).toBe(201);
        const [row] = await t.db.query(`SELECT tenant_id FROM tickets WHERE id = $1`, [res.body.ticket.id]);
        expect(Number(row.tenant_id)).toBe(globex.tenantId);
      }
      expect(await threadRows(acme.tenantId, ticketId)).toEqual(before);
    });
  });

  describe('duplicate deliveries', () => {
    it('should store a Message-ID once: the repeat answers 200 with the first ticket and message', async () => {
      const messageId = newMessageId();
      const raw = await mime({ from: 'dupe@customer.test', messageId, text: 'once', attachments: [{ filename: 'a.txt', content: 'bytes' }] });
      const first = await post(raw);
      const again = await post(raw);
      expect([first.status, again.status]).toEqual([201, 200]);
      expect(again.body.ticket.id).toBe(first.body.ticket.id);
      expect(again.body.message.id).toBe(first.body.message.id);
      expect(await t.db.query(`SELECT 1 FROM ticket_messages WHERE tenant_id = $1 AND email_message_id = $2`, [acme.tenantId, messageId])).toHaveLength(1);
      expect(await t.db.query(`SELECT 1 FROM files WHERE tenant_id = $1 AND filename = 'a.txt'`, [acme.tenantId])).toHaveLength(1);
    });

    it('should store one of three concurrent deliveries', async () => {
      const messageId = newMessageId();
      const raw = await mime({ from: 'race@customer.test', messageId, text: 'at once' });
      const before = await countTickets(acme.tenantId);
      const answers = await Promise.all([post(raw), post(raw), post(raw)]);
      expect(answers.map((res) => res.status).sort()).toEqual([200, 200, 201]);
      expect(new Set(answers.map((res) => res.body.message.id)).size).toBe(1);
      expect(await countTickets(acme.tenantId)).toBe(before + 1);
      expect(await t.db.query(`SELECT 1 FROM ticket_messages WHERE tenant_id = $1 AND email_message_id = $2`, [acme.tenantId, messageId])).toHaveLength(1);
    });

    it('should treat one Message-ID in two tenants as two mails', async () => {
      const raw = await mime({ from: 'both@customer.test', messageId: newMessageId(), text: 'to both' });
      const [a, g] = [await post(raw), await post(raw, globexSecret)];
      expect([a.status, g.status]).toEqual([201, 201]);
    });
  });

  describe('bad input', () => {
    it('should answer 400 to a body that is no MIME message with a From address', async () => {
      const before = await countTickets(acme.tenantId);
      for (const raw of ['', 'just some words', 'Subject: no sender\r\n\r\nbody']) {
        const res = await post(raw);
        expect(res.status).toBe(400);
        expect(res.headers['x-error-code']).toBe('EMAIL_MALFORMED');
      }
      expect(await countTickets(acme.tenantId)).toBe(before);
    });

    it('should store what PostgreSQL cannot hold as U+FFFD: NULs in the subject, text, Message-ID and addresses', async () => {
      const raw = [
        'From: =?utf-8?q?Eve=00?= <eve@customer.test>',
        'To: support@acme.test',
        'Cc: nul\u0000x@customer.test, ok@customer.test',
        'Subject: =?utf-8?q?nul=00here?=',
        `Message-ID: <nul\u0000${randomBytes(4).toString('hex')}@customer.test>`,
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'body=00text',
      ].join('\r\n');
      const res = await post(raw);
      expect(res.status).toBe(201);
      expect(res.body.ticket.subject).toBe('nul\uFFFDhere');
      expect(res.body.message).toMatchObject({ message: 'body\uFFFDtext', cc: ['nulx@customer.test', 'ok@customer.test'] });
      const [row] = await threadRows(acme.tenantId, res.body.ticket.id);
      expect(row.email_message_id).toMatch(/^<nul\uFFFD[0-9a-f]{8}@customer\.test>$/);
    });

    it('should answer 400 to a From address the contacts cannot take (NFKC makes it longer than 320), storing nothing', async () => {
      const before = await countTickets(acme.tenantId);
      // U+FDFA is one character that NFKC spells out in 18: 60 of them stay within a header's
      // address but become 1,080 characters.
      const raw = await mime({ from: `${'\uFDFA'.repeat(60)}@customer.test`, text: 'long' });
      const res = await post(raw);
      expect(res.status).toBe(400);
      expect(res.headers['x-error-code']).toBe('EMAIL_MALFORMED');
      expect(await countTickets(acme.tenantId)).toBe(before);
    });

    it('should take a mail whose Message-ID is too long for the index (over 900 bytes; 2,850 here) as one without a Message-ID', async () => {
      // Random CJK characters (3 bytes each), so the index entry does not compress below its limit.
      const cjk = Array.from(randomBytes(950), (byte, i) => String.fromCharCode(0x4e00 + byte * 64 + (i % 64))).join('');
      const long = `<${cjk}@customer.test>`;
      const raw = await mime({ from: 'longid@customer.test', messageId: long, text: 'long id' });
      const first = await post(raw);
      expect(first.status).toBe(201);
      const [row] = await threadRows(acme.tenantId, first.body.ticket.id);
      expect(row.email_message_id).toBeNull();
      const again = await post(raw);
      expect(again.status).toBe(201);
      expect(again.body.ticket.id).not.toBe(first.body.ticket.id);
    });

    it('should answer 415 to JSON and 413 to a message above FILES_MAX_BYTES', async () => {
      const json = await t.http.post(`${BASE}/inbound/email.json`).set('Authorization', `Bearer ${acmeSecret}`).send({ from: 'x@y.test' });
      expect(json.status).toBe(415);
      const big = await mime({ from: 'big@customer.test', text: 'x', attachments: [{ filename: 'big.bin', content: randomBytes(MAX_BYTES) }] });
      const tooLarge = await post(big);
      expect(tooLarge.status).toBe(413);
    });
  });
});
