import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE, ISO } from './support/desk';
import { clientMessageEvent, sendSignedWebhook } from './support/signed-webhook';
import { expectNoTempFiles, sha256, spoolDir, storedFiles, tempFiles } from './support/files';
import { createAgent, createContact, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

// The customer's file, written out here: a key added to the presenter must be added here too.
const FILE_KEYS = ['createdAt', 'filename', 'id', 'mimeType', 'size'];
const MAX_BYTES = 4096;
const PUSHER = { PUSHER_APP_ID: '1', PUSHER_KEY: 'app-key', PUSHER_SECRET: 'app-secret' };
const NO_SUCH_TOKEN = { errors: { _: ['no conversation has this token'] } };

interface Chat {
  id: number;
  contactId: number;
  token: string;
}

// A customer's files: uploaded by conversation token, the only files a customer's message may
// carry, and downloaded by token only when the conversation may see them.
describe('Customer files (Desk v2, by conversation token)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'helpdesk-customer-files-'));
    t = await createTestApp({ FILES_DIR: dir, FILES_MAX_BYTES: String(MAX_BYTES), ...PUSHER });
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
    // The first upload makes the spool; from then on every check of it finds it.
    const first = await t.http.post(`${BASE}/files.json`).set('Authorization', globex.auth).attach('file', Buffer.from('first'), 'first.txt');
    expect(first.status).toBe(201);
    expect((await stat(spoolDir(t))).isDirectory()).toBe(true);
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  // A conversation with its widget's token.
  async function chat(tenant = acme): Promise<Chat> {
    const { contactId } = await createContact(t.db, tenant.tenantId);
    const res = await t.http.post(`${BASE}/conversations/token.json`).set('Authorization', tenant.auth).send({ contactId });
    expect(res.status).toBe(201);
    return { id: res.body.conversation.id, contactId, token: res.body.conversation.token };
  }

  const customerUpload = (token: string, content: Buffer | string, filename = 'photo.png', contentType = 'image/png') =>
    t.http.post(`${BASE}/conversations/token/${token}/files.json`).attach('file', Buffer.from(content), { filename, contentType });
  const agentUpload = async (content: string, tenant = acme): Promise<number> => {
    const res = await t.http.post(`${BASE}/files.json`).set('Authorization', tenant.auth).attach('file', Buffer.from(content), 'agent.txt');
    expect(res.status).toBe(201);
    return res.body.file.id;
  };
  const uploadFor = async (c: Chat, content = `bytes of ${c.id} ${randomBytes(4).toString('hex')}`): Promise<number> => {
    const res = await customerUpload(c.token, content);
    expect(res.status).toBe(201);
    return res.body.file.id;
  };
  const postMessage = (body: object, tenant = acme) => t.http.post(`${BASE}/conversationmessages.json`).set('Authorization', tenant.auth).send(body);
  const patchMessage = (id: number, body: object) => t.http.patch(`${BASE}/conversationmessages/${id}.json`).set('Authorization', acme.auth).send(body);
  const download = (token: string, id: number | string) =>
    t.http
      .get(`${BASE}/conversations/token/${token}/files/${id}/download`)
      .buffer(true)
      .parse((response, done) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => done(null, Buffer.concat(chunks)));
      });
  const json = (body: unknown) => JSON.parse((body as Buffer).toString('utf8'));

  const fileRows = async () => t.db.query(`SELECT * FROM files ORDER BY id`);
  const messageRows = (conversationId: number) => t.db.query(`SELECT * FROM conversation_messages WHERE conversation_id = $1 ORDER BY id`, [conversationId]);

  describe('POST /conversations/token/{token}/files.json', () => {
    it('should store the file for the conversation and its contact, and answer 201 with the customer view', async () => {
      const c = await chat();
      const content = randomBytes(1000);
      const res = await customerUpload(c.token, content, 'screenshot.png', 'image/png');

      expect(res.status).toBe(201);
      expect(Object.keys(res.body)).toEqual(['file']);
      expect(Object.keys(res.body.file).sort()).toEqual([...FILE_KEYS]);
      expect(res.body.file).toEqual({ id: expect.any(Number), filename: 'screenshot.png', mimeType: 'image/png', size: 1000, createdAt: expect.stringMatching(ISO) });

      const [row] = await t.db.query(`SELECT * FROM files WHERE id = $1`, [res.body.file.id]);
      expect(row).toMatchObject({
        tenant_id: acme.tenantId,
        conversation_id: c.id,
        contact_id: c.contactId,
        created_by: null,
        updated_by: null,
        filename: 'screenshot.png',
        size: 1000,
        sha256: sha256(content),
        state: 'active',
      });
      expect(row.storage_key).toMatch(new RegExp(`^${acme.tenantId}/[0-9a-f]{2}/[0-9a-f-]{36}$`));
      expect(Buffer.compare(await readFile(join(dir, 'tenants', ...String(row.storage_key).split('/'))), content)).toBe(0);
      await expectNoTempFiles(t);
    });

    it("should sanitise the name and type as agents' uploads do", async () => {
      const c = await chat();
      const res = await customerUpload(c.token, '<script>1</script>', '../../etc/in\u202Evoice.html', 'TEXT/HTML; charset=utf-8');
      expect(res.status).toBe(201);
      expect(res.body.file).toMatchObject({ filename: 'invoice.html', mimeType: 'text/html' });
      const odd = await customerUpload(c.token, 'x', 'x.bin', 'not a type');
      expect(odd.body.file.mimeType).toBe('application/octet-stream');
    });

    it('should answer 404 and write nothing for a malformed, unknown, replaced or deleted conversation token', async () => {
      const replaced = await chat();
      await t.http.post(`${BASE}/conversations/token.json`).set('Authorization', acme.auth).send({ id: replaced.id }).expect(201);
      const deleted = await chat();
      await t.http.delete(`${BASE}/conversations/${deleted.id}.json`).set('Authorization', acme.auth).expect(204);
      const live = await chat();
      const unknown = `${live.token.slice(0, -4)}${live.token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      const [rowsBefore, storedBefore] = [await fileRows(), await storedFiles(dir)];

      for (const token of ['nope', unknown, replaced.token, deleted.token]) {
        const res = await customerUpload(token, 'sneaked in');
        expect({ token, status: res.status, body: res.body }).toEqual({ token, status: 404, body: NO_SUCH_TOKEN });
      }
      expect(await fileRows()).toEqual(rowsBefore);
      expect(await storedFiles(dir)).toEqual(storedBefore);
      expect(await tempFiles(t)).toEqual([]);
    });

    it('should refuse an unknown token before reading the body: the 404 comes while the body is still being sent', async () => {
      const server = t.app.getHttpServer();
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const boundary = '----half';
      const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      const answer = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: `${BASE}/conversations/token/hdc_notatokenatall0000000000000000000000000000000000/files.json`,
            headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + 3000) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) });
              req.destroy();
            });
          },
        );
        req.on('error', reject);
        // Only the part's head and a few bytes: the rest never comes, so only an answer given
        // before the body is read can arrive.
        req.write(Buffer.concat([head, randomBytes(100)]));
      });
      expect(answer).toEqual({ status: 404, body: NO_SUCH_TOKEN });
      expect(await tempFiles(t)).toEqual([]);
    }, 10_000);

    it('should answer 413 in the Desk dialect and store nothing when the file is over FILES_MAX_BYTES', async () => {
      const c = await chat();
      const [rowsBefore, storedBefore] = [await fileRows(), await storedFiles(dir)];
      const res = await customerUpload(c.token, randomBytes(MAX_BYTES + 1), 'big.bin');
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ errors: { _: [`the file must be at most ${MAX_BYTES} bytes`] } });
      expect(res.headers['x-error-code']).toBe('FILE_TOO_LARGE');
      expect(await fileRows()).toEqual(rowsBefore);
      expect(await storedFiles(dir)).toEqual(storedBefore);
      await expectNoTempFiles(t);
    });

    it('should answer 400 to a multipart body without a file and 415 to a JSON body, storing nothing', async () => {
      const c = await chat();
      const rowsBefore = await fileRows();
      const noFile = await t.http.post(`${BASE}/conversations/token/${c.token}/files.json`).field('note', 'hi');
      expect(noFile.status).toBe(400);
      expect(noFile.body).toEqual({ errors: { file: ['must be set'], note: ['is not a known field'] } });
      const asJson = await t.http.post(`${BASE}/conversations/token/${c.token}/files.json`).send({ file: 'x' });
      expect(asJson.status).toBe(415);
      expect(await fileRows()).toEqual(rowsBefore);
      await expectNoTempFiles(t);
    });
  });

  describe("a customer's message", () => {
    it('should carry files uploaded for its conversation, whether posted by REST or by the widget', async () => {
      const c = await chat();
      const mine = await uploadFor(c);
      const res = await postMessage({ conversationId: c.id, contactId: c.contactId, message: 'See attached', files: [mine] });
      expect(res.status).toBe(201);
      expect(res.body.conversationmessage.files).toEqual([{ id: mine, type: 'files' }]);
      expect((await messageRows(c.id)).map((m: { file_ids: number[] }) => m.file_ids)).toEqual([[mine]]);
    });

    it("should answer 400 on files, the same for another conversation's, an agent's, another tenant's and an unknown file, and write nothing", async () => {
      const c = await chat();
      const other = await chat();
      const [mine, othersFile, agents, foreign] = [await uploadFor(c), await uploadFor(other), await agentUpload('agent only'), await agentUpload('globex', globex)];

      for (const fileId of [othersFile, agents, foreign, 999_999_999]) {
        const res = await postMessage({ conversationId: c.id, contactId: c.contactId, message: 'peek', files: [mine, fileId] });
        expect({ fileId, status: res.status, body: res.body }).toEqual({ fileId, status: 400, body: { errors: { 'files[1]': ['does not exist'] } } });
      }
      expect(await messageRows(c.id)).toEqual([]);
      const [conversation] = await t.db.query(`SELECT last_message_at, unread_count FROM conversations WHERE id = $1`, [c.id]);
      expect(conversation).toEqual({ last_message_at: null, unread_count: 0 });
    });

    it("should keep a customer's message to its own files when edited, and let an agent's carry its own and the conversation's", async () => {
      const c = await chat();
      const other = await chat();
      const [mine, othersFile, agents] = [await uploadFor(c), await uploadFor(other), await agentUpload('agent file')];
      const customers = (await postMessage({ conversationId: c.id, contactId: c.contactId, message: 'hi' })).body.conversationmessage;

      for (const fileId of [agents, othersFile]) {
        const res = await patchMessage(customers.id, { files: [fileId] });
        expect({ fileId, status: res.status, body: res.body }).toEqual({ fileId, status: 400, body: { errors: { 'files[0]': ['does not exist'] } } });
      }
      expect((await patchMessage(customers.id, { files: [mine] })).status).toBe(200);

      const agent = await postMessage({ conversationId: c.id, message: 'from us', files: [agents, mine] });
      expect(agent.status).toBe(201);
      expect(agent.body.conversationmessage.files).toEqual([
        { id: agents, type: 'files' },
        { id: mine, type: 'files' },
      ]);
      const leak = await postMessage({ conversationId: c.id, message: 'wrong chat', files: [othersFile] });
      expect(leak.status).toBe(400);
      expect(leak.body).toEqual({ errors: { 'files[0]': ['does not exist'] } });
      expect((await patchMessage(agent.body.conversationmessage.id, { files: [othersFile] })).status).toBe(400);
      expect((await messageRows(c.id)).map((m: { file_ids: number[] }) => m.file_ids)).toEqual([[mine], [agents, mine]]);
    });

    it('should drop from a widget message, signed as Pusher signs, every file not uploaded for its conversation, and keep the message', async () => {
      const c = await chat();
      const other = await chat();
      const [mine, othersFile, agents, foreign] = [await uploadFor(c), await uploadFor(other), await agentUpload('agent only'), await agentUpload('globex', globex)];
      const data = { message: 'my files', clientMessageId: 'w-files-1', files: [othersFile, mine, agents, foreign, 999_999_999] };

      const res = await sendSignedWebhook(t.http, [clientMessageEvent(c.id, data)], { key: PUSHER.PUSHER_KEY, secret: PUSHER.PUSHER_SECRET });

      expect(res.status).toBe(201);
      expect(res.body.meta).toMatchObject({ received: 1, created: 1, ignored: 0 });
      expect(res.body.conversationmessage).toMatchObject({ message: 'my files', files: [{ id: mine, type: 'files' }] });
      expect((await messageRows(c.id)).map((m: { file_ids: number[]; contact_id: number }) => [m.file_ids, m.contact_id])).toEqual([[[mine], c.contactId]]);
      const [event] = await t.db.query(`SELECT outcome, reason FROM webhook_events WHERE conversation_id = $1`, [c.id]);
      expect(event).toEqual({
        outcome: 'message',
        reason: 'data.files[0], data.files[2], data.files[3], data.files[4] dropped: not a file this author may attach to the conversation',
      });
      // Nothing of the dropped files reaches the widget's history.
      const history = await t.http.get(`${BASE}/conversationmessages/history/${c.token}.json?includes=files`);
      expect(history.body.included.files.map((f: { id: number }) => f.id)).toEqual([mine]);
    });
  });

  describe("an agent's message through HighLevel's send", () => {
    const send = (body: object) => t.http.post('/conversations/messages').set('Authorization', acme.auth).set('Version', '2021-07-28').send(body);
    const url = (fileId: number) => `http://desk.example/desk/api/v2/files/${fileId}/download`;

    it("should carry its conversation's customer files, and answer 422 without writing for another conversation's", async () => {
      const c = await chat();
      const other = await chat();
      const [mine, othersFile] = [await uploadFor(c), await uploadFor(other)];
      const base = { type: 'Live_Chat', contactId: String(c.contactId), conversationId: String(c.id), message: 'from HighLevel' };

      const refused = await send({ ...base, attachments: [url(mine), url(othersFile)] });
      expect(refused.status).toBe(422);
      expect(refused.body).toEqual({ statusCode: 422, message: ['attachments.1 is not a file of this location'], error: 'Unprocessable Entity' });
      expect(await messageRows(c.id)).toEqual([]);

      const sent = await send({ ...base, attachments: [url(mine)] });
      expect(sent.status).toBe(200);
      expect((await messageRows(c.id)).map((m: { file_ids: number[]; user_id: number }) => [m.file_ids, m.user_id])).toEqual([[[mine], acme.adminId]]);
    });
  });

  describe('GET /conversations/token/{token}/files/{id}/download', () => {
    it("should serve a file attached to the conversation's messages, or uploaded for it, as agents' downloads are served", async () => {
      const c = await chat();
      const content = randomBytes(2000);
      const res = await customerUpload(c.token, content, 'résumé.pdf', 'application/pdf');
      const attached = res.body.file.id;
      await postMessage({ conversationId: c.id, contactId: c.contactId, message: 'cv', files: [attached] }).expect(201);
      const agents = await agentUpload('from the agent');
      await postMessage({ conversationId: c.id, message: 'reply', files: [agents] }).expect(201);
      const notYetSent = await uploadFor(c, 'still in the widget');

      const got = await download(c.token, attached);
      expect(got.status).toBe(200);
      expect(Buffer.compare(got.body as Buffer, content)).toBe(0);
      expect(got.headers).toMatchObject({
        'content-type': 'application/pdf',
        'content-length': String(content.length),
        'content-disposition': `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
        'cache-control': 'private, no-cache',
      });
      expect((await download(c.token, agents)).body.toString()).toBe('from the agent');
      expect((await download(c.token, notYetSent)).body.toString()).toBe('still in the widget');

      // The history by token shows the attached files.
      const history = await t.http.get(`${BASE}/conversationmessages/history/${c.token}.json?includes=files`);
      expect(history.status).toBe(200);
      expect(history.body.conversationmessages.map((m: { files: { id: number }[] }) => m.files.map((f) => f.id))).toEqual([[attached], [agents]]);
      expect(history.body.included.files).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: attached, filename: 'résumé.pdf' }), expect.objectContaining({ id: agents, filename: 'agent.txt' })]),
      );
    });

    it("should answer the 404 of an unknown id for another conversation's, an unattached agent's, another tenant's and a deleted message's file", async () => {
      const c = await chat();
      const other = await chat();
      const theirs = await chat(globex);
      const othersFile = await uploadFor(other);
      const loose = await agentUpload('not attached anywhere');
      const foreignFile = await uploadFor(theirs);
      const unsent = await agentUpload('attached, then deleted');
      const message = (await postMessage({ conversationId: c.id, message: 'oops', files: [unsent] })).body.conversationmessage;
      await t.http.delete(`${BASE}/conversationmessages/${message.id}.json`).set('Authorization', acme.auth).expect(204);
      // Attached in another conversation only.
      await postMessage({ conversationId: other.id, message: 'elsewhere', files: [loose] }).expect(201);

      for (const id of [othersFile, loose, foreignFile, unsent, 999_999_999]) {
        const res = await download(c.token, id);
        expect({ id, status: res.status, body: json(res.body) }).toEqual({ id, status: 404, body: { errors: { _: [`file ${id} not found`] } } });
        expect(res.headers['content-disposition']).toBeUndefined();
      }
      // Each is served where it belongs.
      expect((await download(other.token, othersFile)).status).toBe(200);
      expect((await download(other.token, loose)).status).toBe(200);
      expect((await download(theirs.token, foreignFile)).status).toBe(200);
    });

    it('should answer 404 to an unknown token, and 400 to an id that is not one', async () => {
      const c = await chat();
      const mine = await uploadFor(c);
      const unknown = await download('hdc_notatokenatall0000000000000000000000000000000000', mine);
      expect({ status: unknown.status, body: json(unknown.body) }).toEqual({ status: 404, body: NO_SUCH_TOKEN });
      const bad = await download(c.token, 'abc');
      expect({ status: bad.status, body: json(bad.body) }).toEqual({ status: 400, body: { errors: { id: ['must be a whole number'] } } });
    });
  });

  it('should document both routes as public, with the customer view of a file', async () => {
    const doc = (await t.http.get('/docs-json')).body;
    const upload = doc.paths['/desk/api/v2/conversations/token/{token}/files.json'].post;
    expect(upload.security).toEqual([]);
    expect(upload.requestBody.content['multipart/form-data'].schema).toMatchObject({ required: ['file'] });
    expect(Object.keys(upload.responses['201'].content['application/json'].schema.properties.file.properties).sort()).toEqual([...FILE_KEYS]);
    expect(Object.keys(upload.responses).sort()).toEqual(['201', '400', '404', '409', '413', '415', '500', '503']);
    const get = doc.paths['/desk/api/v2/conversations/token/{token}/files/{id}/download'].get;
    expect(get.security).toEqual([]);
    expect(get.responses['200'].content['application/octet-stream'].schema).toEqual({ type: 'string', format: 'binary' });
  });

  it("should show agents a customer's upload in their own view, uploaded by no agent", async () => {
    const c = await chat();
    const agent = await createAgent(t, acme.tenantId);
    const id = await uploadFor(c);
    const meta = await t.http.get(`${BASE}/files/${id}.json`).set('Authorization', agent.auth);
    expect(meta.status).toBe(200);
    expect(meta.body.file).toMatchObject({ id, createdBy: null });
  });
});
