import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { TempUploadSweeper } from '../apps/api/src/files/temp-upload-sweeper';
import { BASE, ISO } from './support/desk';
import { expectNoTempFiles, sha256, spoolDir, storedFiles, tempFiles } from './support/files';
import { createAgent, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const MAX_BYTES = 4096;
const FILE_FIELDS = ['createdAt', 'createdBy', 'filename', 'id', 'mimeType', 'sha256', 'size', 'state', 'updatedAt', 'updatedBy'];

interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  content: Buffer | string;
}

// A multipart body byte for byte, for what a form-data library would never send.
function multipart(parts: Part[], boundary = `----test${randomBytes(8).toString('hex')}`): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    const headers = [`Content-Disposition: ${disposition}`, ...(part.contentType ? [`Content-Type: ${part.contentType}`] : [])];
    chunks.push(Buffer.from(`--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`), Buffer.from(part.content), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('Files (Desk v2)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'helpdesk-files-'));
    t = await createTestApp({ FILES_DIR: dir, FILES_MAX_BYTES: String(MAX_BYTES) });
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
    // The first upload makes the spool; from then on every check of it finds it.
    expect((await upload('first', { auth: globex.auth })).status).toBe(201);
    expect((await stat(spoolDir(t))).isDirectory()).toBe(true);
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  const upload = (content: Buffer | string, options: { filename?: string; contentType?: string; auth?: string } = {}) =>
    t.http
      .post(`${BASE}/files.json`)
      .set('Authorization', options.auth ?? acme.auth)
      .attach('file', Buffer.from(content), { filename: options.filename ?? 'notes.txt', contentType: options.contentType ?? 'text/plain' });
  const postRaw = ({ body, contentType }: { body: Buffer; contentType: string }, auth = acme.auth) =>
    t.http.post(`${BASE}/files.json`).set('Authorization', auth).set('Content-Type', contentType).send(body);

  // Sent with Transfer-Encoding: chunked, so the server cannot refuse it by its Content-Length.
  const postChunked = async ({ body, contentType }: { body: Buffer; contentType: string }): Promise<{ status: number; body: unknown }> => {
    const server = t.app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: `${BASE}/files.json`, headers: { authorization: acme.auth, 'content-type': contentType } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
        },
      );
      req.on('error', reject);
      for (let offset = 0; offset < body.length; offset += 8192) req.write(body.subarray(offset, offset + 8192));
      req.end();
    });
  };

  const fileRows = async (): Promise<Record<string, unknown>[]> => t.db.query(`SELECT * FROM files ORDER BY id`);

  describe('POST /files.json', () => {
    it('should store the file and answer 201 with its metadata when given one part named file', async () => {
      const content = 'hello, attachments\n';
      const res = await upload(content, { filename: 'notes.txt', contentType: 'text/plain' });

      expect(res.status).toBe(201);
      expect(Object.keys(res.body)).toEqual(['file']);
      const file = res.body.file;
      expect(Object.keys(file).sort()).toEqual(FILE_FIELDS);
      expect(file).toMatchObject({
        filename: 'notes.txt',
        mimeType: 'text/plain',
        size: Buffer.byteLength(content),
        sha256: sha256(content),
        state: 'active',
        createdBy: { id: acme.adminId, type: 'users' },
        updatedBy: { id: acme.adminId, type: 'users' },
      });
      expect(Number.isInteger(file.id)).toBe(true);
      expect(file.createdAt).toMatch(ISO);

      const [row] = await t.db.query(`SELECT * FROM files WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, file.id]);
      expect(row).toMatchObject({ filename: 'notes.txt', mime_type: 'text/plain', size: Buffer.byteLength(content), sha256: sha256(content), created_by: acme.adminId });
      expect(row.storage_key).toMatch(new RegExp(`^${acme.tenantId}/[0-9a-f]{2}/[0-9a-f-]{36}$`));
      expect(await readFile(join(dir, 'tenants', ...String(row.storage_key).split('/')), 'utf8')).toBe(content);
      await expectNoTempFiles(t);
    });

    it('should accept a file of exactly FILES_MAX_BYTES and keep binary bytes as they are', async () => {
      const content = randomBytes(MAX_BYTES);
      const res = await upload(content, { filename: 'blob.bin', contentType: 'application/octet-stream' });
      expect(res.status).toBe(201);
      expect(res.body.file).toMatchObject({ size: MAX_BYTES, sha256: sha256(content), mimeType: 'application/octet-stream' });
    });

    it('should answer 413 in the Desk dialect and leave no row, no stored file and no temp file when the file is one byte too large', async () => {
      const [rowsBefore, storedBefore] = [await fileRows(), await storedFiles(dir)];
      const res = await upload(randomBytes(MAX_BYTES + 1), { filename: 'big.bin' });

      expect(res.status).toBe(413);
      expect(res.body).toEqual({ errors: { _: [`the file must be at most ${MAX_BYTES} bytes`] } });
      expect(res.headers['x-error-code']).toBe('FILE_TOO_LARGE');
      expect(await fileRows()).toEqual(rowsBefore);
      expect(await storedFiles(dir)).toEqual(storedBefore);
      expect(await tempFiles(t)).toEqual([]);
    });

    it('should answer 413 when the body is far larger than the limit, reading no more of it than it must', async () => {
      const rowsBefore = await fileRows();
      const res = await upload(randomBytes(MAX_BYTES * 64), { filename: 'huge.bin' });
      expect(res.status).toBe(413);
      expect(res.body.errors._).toEqual([`the file must be at most ${MAX_BYTES} bytes`]);
      expect(await fileRows()).toEqual(rowsBefore);
      expect(await tempFiles(t)).toEqual([]);
    });

    it('should answer 413 to a chunked body without Content-Length, whether the file or the parts around it are too large', async () => {
      const rowsBefore = await fileRows();
      const bigFile = await postChunked(multipart([{ name: 'file', filename: 'big.bin', content: randomBytes(MAX_BYTES * 4) }]));
      expect(bigFile).toEqual({ status: 413, body: { errors: { _: [`the file must be at most ${MAX_BYTES} bytes`] } } });
      const bigField = await postChunked(
        multipart([
          { name: 'note', content: 'x'.repeat(128 * 1024) },
          { name: 'file', filename: 'small.txt', content: 'small' },
        ]),
      );
      expect(bigField.status).toBe(413);
      expect(await fileRows()).toEqual(rowsBefore);
      expect(await tempFiles(t)).toEqual([]);
    });

    it('should not apply the 1 MB JSON limit to uploads, nor FILES_MAX_BYTES to JSON', async () => {
      const big = await createTestApp({ FILES_DIR: dir, FILES_MAX_BYTES: String(3 * 1024 * 1024) });
      try {
        const tenant = await createTenant(big);
        const content = randomBytes(2 * 1024 * 1024);
        const res = await request(big.app.getHttpServer())
          .post(`${BASE}/files.json`)
          .set('Authorization', tenant.auth)
          .attach('file', content, { filename: 'two-megabytes.bin', contentType: 'application/octet-stream' });
        expect(res.status).toBe(201);
        expect(res.body.file).toMatchObject({ size: content.length, sha256: sha256(content) });

        const json = await request(big.app.getHttpServer())
          .post(`${BASE}/conversations.json`)
          .set('Authorization', tenant.auth)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ socket_id: 'x'.repeat(1024 * 1024 + 10) }));
        expect(json.status).toBe(413);
      } finally {
        await big.close();
      }
    });

    it.each<[string, Part[], Record<string, string[]>]>([
      ['there is no part at all', [], { file: ['must be set'] }],
      ['the only part is a text field', [{ name: 'note', content: 'hi' }], { file: ['must be set'], note: ['is not a known field'] }],
      ['the file part has another name', [{ name: 'upload', filename: 'a.txt', content: 'a' }], { file: ['must be set'], upload: ['is not a known field'] }],
      [
        'two files are named file',
        [
          { name: 'file', filename: 'a.txt', content: 'a' },
          { name: 'file', filename: 'b.txt', content: 'b' },
        ],
        { file: ['must be given once'] },
      ],
      ['file is a text field', [{ name: 'file', content: 'not a file' }], { file: ['must be a file'] }],
      ['a browser form sends no file chosen', [{ name: 'file', filename: '', contentType: 'application/octet-stream', content: '' }], { file: ['must be set'] }],
      [
        'a second part comes with the file',
        [
          { name: 'file', filename: 'a.txt', content: 'a' },
          { name: 'filter_args', content: '{}' },
        ],
        { filter_args: ['is not a known field'] },
      ],
      ['a part is named like a prototype member', [{ name: '__proto__', filename: 'a.txt', content: 'a' }], { file: ['must be set'], _: ['the body must have one part, named file'] }],
    ])('should answer 400 naming the part and store nothing when %s', async (_case, parts, errors) => {
      const rowsBefore = await fileRows();
      const res = await postRaw(multipart(parts));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
      expect(await fileRows()).toEqual(rowsBefore);
      expect(await tempFiles(t)).toEqual([]);
    });

    it('should answer 400 when the multipart body is cut short or has no boundary', async () => {
      const { body, contentType } = multipart([{ name: 'file', filename: 'a.txt', content: 'abc' }]);
      const cut = await postRaw({ body: body.subarray(0, body.length - 20), contentType });
      expect(cut.status).toBe(400);
      expect(cut.body.errors._).toEqual(['the multipart/form-data body is cut short or malformed']);
      const noBoundary = await postRaw({ body, contentType: 'multipart/form-data' });
      expect(noBoundary.status).toBe(400);
      expect(noBoundary.body.errors._).toEqual(['the multipart/form-data body has no boundary']);
      expect(await tempFiles(t)).toEqual([]);
    });

    it('should answer 415 to a JSON body, and to multipart sent to a route that takes JSON', async () => {
      const json = await t.http.post(`${BASE}/files.json`).set('Authorization', acme.auth).send({ file: 'x' });
      expect(json.status).toBe(415);
      expect(json.body.errors._).toEqual(['send the file as multipart/form-data, in one part named file']);

      const elsewhere = await t.http.post(`${BASE}/conversations.json`).set('Authorization', acme.auth).attach('file', Buffer.from('x'), 'x.txt');
      expect(elsewhere.status).toBe(415);
      expect(Object.keys(elsewhere.body)).toEqual(['errors']);
      expect(await tempFiles(t)).toEqual([]);
    });

    it('should answer 401 before writing anything when the API key is missing or revoked', async () => {
      const revoked = await createAgent(t, acme.tenantId, { state: 'deleted' });
      const rowsBefore = await fileRows();
      for (const auth of [undefined, revoked.auth]) {
        const req = t.http.post(`${BASE}/files.json`).attach('file', Buffer.from('secret'), 'a.txt');
        const res = await (auth ? req.set('Authorization', auth) : req);
        expect(res.status).toBe(401);
        expect(res.body.errors._).toHaveLength(1);
      }
      expect(await fileRows()).toEqual(rowsBefore);
      expect(await tempFiles(t)).toEqual([]);
    });

    it('should keep only the base name of the filename, without control characters, and at most 255 characters', async () => {
      const cases: [string, string][] = [
        ['../../etc/passwd', 'passwd'],
        ['C:\\Users\\me\\report.pdf', 'report.pdf'],
        ['in\u0007voice\u202Etxt.exe', 'invoicetxt.exe'],
        ['..', 'file'],
        [`${'n'.repeat(300)}.pdf`, `${'n'.repeat(251)}.pdf`],
      ];
      for (const [sent, kept] of cases) {
        const res = await postRaw(multipart([{ name: 'file', filename: sent, contentType: 'application/pdf', content: 'x' }]));
        expect(res.status).toBe(201);
        expect(res.body.file.filename).toBe(kept);
      }
    });

    it('should keep a valid type/subtype and fall back to application/octet-stream otherwise', async () => {
      const cases: [string, string][] = [
        ['Image/PNG', 'image/png'],
        ['text/plain; charset=utf-8', 'text/plain'],
        ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
        ['not a type', 'application/octet-stream'],
        ['text/', 'application/octet-stream'],
        ['a/b/c', 'application/octet-stream'],
      ];
      for (const [sent, kept] of cases) {
        const res = await postRaw(multipart([{ name: 'file', filename: 'f', contentType: sent, content: 'x' }]));
        expect(res.status).toBe(201);
        expect(res.body.file.mimeType).toBe(kept);
      }
    });

    describe('with an Idempotency-Key', () => {
      it('should replay the first answer for the same file even though the multipart framing differs, and store it once', async () => {
        const key = `files-${randomBytes(6).toString('hex')}`;
        const send = (boundary: string) =>
          postRaw(multipart([{ name: 'file', filename: 'once.txt', contentType: 'text/plain', content: 'exactly once' }], boundary)).set(
            'Idempotency-Key',
            key,
          );
        const first = await send('----first');
        const [storedBefore] = [await storedFiles(dir)];
        const again = await send('----second-boundary');

        expect(first.status).toBe(201);
        expect(again.status).toBe(201);
        expect(again.body).toEqual(first.body);
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(first.headers['idempotent-replayed']).toBeUndefined();
        const rows = await t.db.query(`SELECT id FROM files WHERE tenant_id = $1 AND filename = 'once.txt'`, [acme.tenantId]);
        expect(rows).toEqual([{ id: first.body.file.id }]);
        expect(await storedFiles(dir)).toEqual(storedBefore);
        await expectNoTempFiles(t);
      });

      it('should answer 409 and store nothing when the key comes back with another file', async () => {
        const key = `files-${randomBytes(6).toString('hex')}`;
        const first = await upload('first bytes', { filename: 'x.txt' }).set('Idempotency-Key', key);
        expect(first.status).toBe(201);
        const rowsBefore = await fileRows();
        const storedBefore = await storedFiles(dir);

        const other = await upload('other bytes', { filename: 'x.txt' }).set('Idempotency-Key', key);
        expect(other.status).toBe(409);
        expect(other.body.errors._).toEqual(['this Idempotency-Key was used with another request; use a new key for a new request']);
        expect(await fileRows()).toEqual(rowsBefore);
        expect(await storedFiles(dir)).toEqual(storedBefore);
        await expectNoTempFiles(t);
      });
    });
  });

  it('should sweep upload spools abandoned over an hour ago, and leave younger ones', async () => {
    const spool = spoolDir(t);
    await mkdir(spool, { recursive: true });
    const abandoned = join(spool, 'upload-abandoned');
    const live = join(spool, 'upload-live');
    await writeFile(abandoned, 'half an upload');
    await writeFile(live, 'an upload in flight');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(abandoned, twoHoursAgo, twoHoursAgo);
    expect(await t.app.get(TempUploadSweeper).sweep()).toBe(1);
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(live)).toBe(true);
    await rm(live);
  });

  describe('GET /files/{id}.json and /files/{id}/download', () => {
    it('should answer the metadata of a file', async () => {
      const created = (await upload('meta', { filename: 'meta.txt' })).body.file;
      const res = await t.http.get(`${BASE}/files/${created.id}.json`).set('Authorization', acme.auth);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ file: created });
    });

    it('should download the same bytes as an attachment, with the stored type and length', async () => {
      const content = randomBytes(3000);
      const created = (await upload(content, { filename: 'résumé 2026.pdf', contentType: 'application/pdf' })).body.file;

      const res = await t.http
        .get(`${BASE}/files/${created.id}/download`)
        .set('Authorization', acme.auth)
        .buffer(true)
        .parse((response, done) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => done(null, Buffer.concat(chunks)));
        });

      expect(res.status).toBe(200);
      expect(Buffer.compare(res.body as Buffer, content)).toBe(0);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['content-length']).toBe(String(content.length));
      expect(res.headers['content-disposition']).toBe(`attachment; filename="r_sum_ 2026.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.pdf`);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    });

    it('should serve an uploaded HTML page as a download that a browser will not render', async () => {
      const page = '<html><script>alert(document.cookie)</script></html>';
      // A quote in the name, escaped in the part header as RFC 7578 allows.
      const created = (await postRaw(multipart([{ name: 'file', filename: 'evil\\".html', contentType: 'text/html', content: page }]))).body.file;
      expect(created).toMatchObject({ filename: 'evil".html', mimeType: 'text/html' });

      const res = await t.http.get(`${BASE}/files/${created.id}/download`).set('Authorization', acme.auth);
      expect(res.status).toBe(200);
      expect(res.text).toBe(page);
      expect(res.headers['content-type']).toBe('text/html');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="evil_.html"; filename*=UTF-8''evil%22.html`);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    });

    it('should answer 404 to another tenant, whose own files show nothing of the first', async () => {
      const created = (await upload('acme only', { filename: 'private.txt' })).body.file;
      for (const path of [`files/${created.id}.json`, `files/${created.id}/download`]) {
        const res = await t.http.get(`${BASE}/${path}`).set('Authorization', globex.auth);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ errors: { _: [`file ${created.id} not found`] } });
        expect(res.headers['content-disposition']).toBeUndefined();
      }
      const own = (await upload('globex', { filename: 'g.txt', auth: globex.auth })).body.file;
      const [row] = await t.db.query(`SELECT tenant_id, storage_key FROM files WHERE id = $1`, [own.id]);
      expect(row.tenant_id).toBe(globex.tenantId);
      expect(row.storage_key.startsWith(`${globex.tenantId}/`)).toBe(true);
    });

    it('should answer 404 for an id that does not exist and 400 for one that is not an id', async () => {
      expect((await t.http.get(`${BASE}/files/999999.json`).set('Authorization', acme.auth)).status).toBe(404);
      const bad = await t.http.get(`${BASE}/files/abc/download`).set('Authorization', acme.auth);
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ errors: { id: ['must be a whole number'] } });
    });

    it('should not serve the bytes of a deleted file, though its metadata stays readable', async () => {
      const created = (await upload('gone', { filename: 'gone.txt' })).body.file;
      await t.db.query(`UPDATE files SET state = 'deleted', deleted_at = now() WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, created.id]);
      expect((await t.http.get(`${BASE}/files/${created.id}/download`).set('Authorization', acme.auth)).status).toBe(404);
      const meta = await t.http.get(`${BASE}/files/${created.id}.json`).set('Authorization', acme.auth);
      expect(meta.status).toBe(200);
      expect(meta.body.file.state).toBe('deleted');
    });
  });

  it('should document the multipart body and the binary download in the OpenAPI document', async () => {
    const doc = (await t.http.get('/docs-json')).body;
    const create = doc.paths['/desk/api/v2/files.json'].post;
    expect(create.requestBody.content['multipart/form-data'].schema).toMatchObject({
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    });
    expect(Object.keys(create.responses).sort()).toEqual(['201', '400', '401', '409', '413', '415', '429', '500', '503']);
    expect(create.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
    const download = doc.paths['/desk/api/v2/files/{id}/download'].get;
    expect(download.responses['200'].content['application/octet-stream'].schema).toEqual({ type: 'string', format: 'binary' });
    expect(doc.paths['/desk/api/v2/files/{id}.json'].get.responses['200'].content['application/json'].schema.properties.file.properties).toHaveProperty('sha256');
  });
});
