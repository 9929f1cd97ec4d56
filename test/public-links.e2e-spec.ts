import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '@app/config';
import { BASE } from './support/desk';
import { createContact, createTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const VERSION = '2021-07-28';

// Links the service writes (HighLevel's attachment URLs) start with PUBLIC_BASE_URL; the request's
// Host or X-Forwarded-* only from a proxy TRUST_PROXY names. A client's Host never makes a link.
describe('public links', () => {
  let filesDir: string;
  beforeAll(async () => {
    filesDir = await mkdtemp(join(tmpdir(), 'helpdesk-links-'));
  });
  afterAll(() => rm(filesDir, { recursive: true, force: true }));

  // A HighLevel message with an uploaded file, read back with `headers`: its attachment URL, and
  // the file's id as stored.
  async function attachmentAs(t: TestApp, headers: Record<string, string>): Promise<{ url: string; fileId: number; auth: string; contactId: number }> {
    const acme = await createTenant(t);
    const { contactId } = await createContact(t.db, acme.tenantId);
    const uploaded = await t.http
      .post(`${BASE}/files.json`)
      .set('Authorization', acme.auth)
      .attach('file', Buffer.from('bytes'), { filename: 'a.txt', contentType: 'text/plain' });
    expect(uploaded.status).toBe(201);
    const fileId: number = uploaded.body.file.id;
    const sent = await t.http
      .post('/conversations/messages')
      .set({ Authorization: acme.auth, Version: VERSION, ...headers })
      .send({ type: 'Live_Chat', contactId: String(contactId), message: 'see attached', attachments: [`/desk/api/v2/files/${fileId}/download`] });
    expect(sent.status).toBe(200);
    const [row] = await t.db.query(`SELECT file_ids FROM conversation_messages WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, Number(sent.body.messageId)]);
    expect(row.file_ids).toEqual([fileId]);
    const shown = await t.http.get(`/conversations/messages/${sent.body.messageId}`).set({ Authorization: acme.auth, Version: VERSION, ...headers });
    expect(shown.status).toBe(200);
    expect(shown.body.attachments).toHaveLength(1);
    return { url: shown.body.attachments[0], fileId, auth: acme.auth, contactId };
  }

  const evil = { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' };

  it('should link to loopback on PORT when PUBLIC_BASE_URL is unset and no proxy is trusted, whatever the Host', async () => {
    // The in-process app's PORT, which the links name: its requests must go there.
    const t = await createTestApp({ FILES_DIR: filesDir }, { inProcessHttp: true });
    try {
      const { url, fileId } = await attachmentAs(t, evil);
      expect(url).toBe(`http://127.0.0.1:${t.app.get(AppConfig).PORT}/desk/api/v2/files/${fileId}/download`);
    } finally {
      await t.close();
    }
  });

  it('should link under PUBLIC_BASE_URL (its path too) whatever the Host and X-Forwarded-* say, and read such links back', async () => {
    const t = await createTestApp({ FILES_DIR: filesDir, PUBLIC_BASE_URL: 'https://desk.example.com/help/', TRUST_PROXY: 'true' });
    try {
      const { url, fileId, auth, contactId: own } = await attachmentAs(t, evil);
      expect(url).toBe(`https://desk.example.com/help/desk/api/v2/files/${fileId}/download`);
      // The link names its file when sent back.
      const again = await t.http
        .post('/conversations/messages')
        .set({ Authorization: auth, Version: VERSION })
        .send({ type: 'Live_Chat', contactId: String(own), message: 'again', attachments: [url] });
      expect(again.status).toBe(200);
      const [row] = await t.db.query(`SELECT file_ids FROM conversation_messages WHERE id = $1`, [Number(again.body.messageId)]);
      expect(row.file_ids).toEqual([fileId]);
      const acme = await createTenant(t);
      const { contactId } = await createContact(t.db, acme.tenantId);
      // Another tenant's file by its full public URL: refused as any foreign file is.
      const foreign = await t.http
        .post('/conversations/messages')
        .set({ Authorization: acme.auth, Version: VERSION })
        .send({ type: 'Live_Chat', contactId: String(contactId), message: 'x', attachments: [url] });
      expect(foreign.status).toBe(422);
    } finally {
      await t.close();
    }
  });

  it("should take the forwarded origin from a trusted proxy only, and never a client's own Host", async () => {
    // The tests connect from loopback: trusted by the first app, not by the second.
    const trusted = await createTestApp({ FILES_DIR: filesDir, TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }, { inProcessHttp: true });
    try {
      const forwarded = await attachmentAs(trusted, { Host: 'internal:8080', 'X-Forwarded-Host': 'desk.example.net', 'X-Forwarded-Proto': 'https' });
      expect(forwarded.url).toBe(`https://desk.example.net/desk/api/v2/files/${forwarded.fileId}/download`);
    } finally {
      await trusted.close();
    }
    const untrusted = await createTestApp({ FILES_DIR: filesDir, TRUST_PROXY: '10.0.0.0/8' }, { inProcessHttp: true });
    try {
      const direct = await attachmentAs(untrusted, evil);
      expect(direct.url).toBe(`http://127.0.0.1:${untrusted.app.get(AppConfig).PORT}/desk/api/v2/files/${direct.fileId}/download`);
    } finally {
      await untrusted.close();
    }
  });
});
