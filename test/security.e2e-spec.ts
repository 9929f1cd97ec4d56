import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryFailedError } from 'typeorm';
import { ApiKeysService } from '../apps/api/src/auth/api-keys.service';
import { BASE } from './support/desk';
import { createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const DASHBOARD = 'https://desk.example.com';
const ADMIN = 'https://admin.example.com:8443';
const STRANGER = 'https://evil.example.net';

describe('Security headers, CORS, error bodies and downloads', () => {
  let t: TestApp;
  let acme: TestTenant;
  let filesDir: string;

  beforeAll(async () => {
    filesDir = await mkdtemp(join(tmpdir(), 'helpdesk-security-'));
    t = await createTestApp({ FILES_DIR: filesDir, CORS_ORIGINS: `${DASHBOARD}, ${ADMIN}` });
    acme = await createTenant(t, 'Acme');
  });
  afterAll(async () => {
    await t.close();
    await rm(filesDir, { recursive: true, force: true });
  });

  describe('helmet', () => {
    it("should send helmet's headers on API answers, errors included, and no X-Powered-By", async () => {
      for (const res of [
        await t.http.get('/health'),
        await t.http.get(`${BASE}/conversations.json`).set('Authorization', acme.auth),
        await t.http.get(`${BASE}/conversations.json`),
        await t.http.get('/conversations/search').set({ Authorization: acme.auth }),
      ]) {
        expect(res.headers).toMatchObject({
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'SAMEORIGIN',
          'strict-transport-security': expect.stringContaining('max-age='),
          'referrer-policy': 'no-referrer',
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-resource-policy': 'same-origin',
          'x-dns-prefetch-control': 'off',
          'content-security-policy': expect.stringContaining("default-src 'self'"),
        });
        expect(res.headers['x-powered-by']).toBeUndefined();
        expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      }
    });

    it('should still serve the Swagger UI at /docs with every script and stylesheet it loads, all of this origin and none inline', async () => {
      const page = await t.http.get('/docs').redirects(1);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      const csp = page.headers['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      const html = page.text;
      // Inline scripts would be blocked by script-src 'self'.
      const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThanOrEqual(3);
      for (const [, attributes, body] of scripts) {
        expect(attributes).toMatch(/src="/);
        expect(body.trim()).toBe('');
      }
      const assets = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map(([, path]) => path);
      expect(assets).toEqual(expect.arrayContaining([expect.stringContaining('swagger-ui-bundle.js'), expect.stringContaining('swagger-ui.css')]));
      for (const asset of assets) {
        expect(asset).not.toMatch(/^(https?:)?\/\//);
        // As the browser resolves it against the page's URL.
        const res = await t.http.get(new URL(asset, 'http://127.0.0.1/docs').pathname);
        expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
      }
      expect((await t.http.get('/docs-json')).status).toBe(200);
    });
  });

  describe('CORS', () => {
    const exposed = ['X-Request-Id', 'ETag', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After', 'X-Error-Code'];

    it('should allow a configured dashboard origin, exposing the headers dashboards read', async () => {
      for (const origin of [DASHBOARD, ADMIN]) {
        const res = await t.http.get(`${BASE}/conversations.json`).set({ Origin: origin, Authorization: acme.auth });
        expect(res.status).toBe(200);
        expect(res.headers['access-control-allow-origin']).toBe(origin);
        expect(res.headers['access-control-allow-credentials']).toBeUndefined();
        expect(res.headers.vary).toMatch(/origin/i);
        const exposes = res.headers['access-control-expose-headers'].split(/,\s*/);
        expect(exposes).toEqual(expect.arrayContaining(exposed));
      }
    });

    it('should give an origin not configured no CORS headers at all, on errors too', async () => {
      for (const origin of [STRANGER, `${DASHBOARD}.evil.example.net`, 'http://desk.example.com', 'null']) {
        for (const res of [
          await t.http.get(`${BASE}/conversations.json`).set({ Origin: origin, Authorization: acme.auth }),
          await t.http.get(`${BASE}/conversations.json`).set({ Origin: origin }),
        ]) {
          expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
        }
      }
    });

    it('should answer a preflight from a configured origin with the methods and request headers the API takes', async () => {
      const res = await t.http
        .options(`${BASE}/tickets/1.json`)
        .set({ Origin: DASHBOARD, 'Access-Control-Request-Method': 'PATCH', 'Access-Control-Request-Headers': 'authorization,content-type,if-match' });
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(DASHBOARD);
      expect(res.headers['access-control-allow-methods'].split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']));
      expect(res.headers['access-control-allow-headers'].split(/,\s*/)).toEqual(
        expect.arrayContaining(['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'Version']),
      );
      expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
    });

    it('should answer a preflight from any other origin without a CORS header', async () => {
      const res = await t.http
        .options(`${BASE}/tickets/1.json`)
        .set({ Origin: STRANGER, 'Access-Control-Request-Method': 'PATCH', 'Access-Control-Request-Headers': 'authorization' });
      expect(res.status).not.toBe(204);
      expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    });

    it('should send no CORS headers at all when CORS_ORIGINS is not set', async () => {
      const bare = await createTestApp();
      try {
        const simple = await bare.http.get('/health').set('Origin', DASHBOARD);
        const preflight = await bare.http.options('/health').set({ Origin: DASHBOARD, 'Access-Control-Request-Method': 'GET' });
        for (const res of [simple, preflight]) {
          expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
        }
      } finally {
        await bare.close();
      }
    });
  });

  describe('unexpected errors', () => {
    // A test-only fault in a real provider: the key lookup every authenticated route goes through
    // fails as a database error carrying its SQL and parameters would.
    async function withFailingKeyLookup<T>(work: () => Promise<T>): Promise<T> {
      const apiKeys = t.app.get(ApiKeysService);
      const fault = new QueryFailedError('SELECT k.id, k.secret_hash FROM api_keys k WHERE k.lookup = $1', ['deadbeef'], new Error('relation "api_keys" does not exist'));
      const spy = jest.spyOn(apiKeys, 'principalFor').mockRejectedValue(fault);
      try {
        return await work();
      } finally {
        spy.mockRestore();
      }
    }

    const leaks = (text: string) => text.match(/SELECT|api_keys|secret_hash|relation|deadbeef|QueryFailed|\bat \S+ \(|\.ts:\d+/g) ?? [];

    it("should answer each dialect's generic 500 with the request id only: no message, SQL or stack", async () => {
      const [desk, highLevel, upload] = await withFailingKeyLookup(() =>
        // The fault is planted in this process's app: its requests stay here under E2E_PROCESSES.
        Promise.all([
          t.inProcessHttp.get(`${BASE}/conversations.json`).set('Authorization', acme.auth),
          t.inProcessHttp.get('/conversations/search').set({ Authorization: acme.auth, Version: '2021-07-28' }),
          // Authenticated by the upload parser, before the route's own pipeline.
          t.inProcessHttp.post(`${BASE}/files.json`).set('Authorization', acme.auth).attach('file', Buffer.from('x'), 'x.txt'),
        ]),
      );
      for (const res of [desk, upload]) {
        expect(res.status).toBe(500);
        expect(res.headers['x-error-code']).toBe('INTERNAL');
        expect(res.body).toEqual({ errors: { _: [`internal error; request id ${res.headers['x-request-id']}`] } });
        expect(leaks(res.text)).toEqual([]);
      }
      expect(highLevel.status).toBe(500);
      expect(highLevel.body).toEqual({ statusCode: 500, message: `internal error; request id ${highLevel.headers['x-request-id']}`, error: 'Internal Server Error' });
      expect(leaks(highLevel.text)).toEqual([]);
      // Nothing was written for the refused upload.
      const [{ count }] = await t.db.query(`SELECT count(*)::int FROM files WHERE tenant_id = $1`, [acme.tenantId]);
      expect(count).toBe(0);
    });
  });

  describe('downloads', () => {
    const cases = [
      { filename: 'page.html', contentType: 'text/html', content: '<!doctype html><script>alert(document.cookie)</script>' },
      { filename: 'image.svg', contentType: 'image/svg+xml', content: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' },
      { filename: 'sneaky.txt', contentType: 'text/plain', content: '<html><body onload="alert(1)"></body></html>' },
    ];

    it.each(cases)('should serve $filename as an attachment that is never sniffed nor rendered', async ({ filename, contentType, content }) => {
      const uploaded = await t.http.post(`${BASE}/files.json`).set('Authorization', acme.auth).attach('file', Buffer.from(content), { filename, contentType });
      expect(uploaded.status).toBe(201);
      const res = await t.http.get(`${BASE}/files/${uploaded.body.file.id}/download`).set('Authorization', acme.auth).buffer(true).parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (chunk: Buffer) => chunks.push(chunk));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-disposition']).toMatch(/^attachment;/);
      expect(res.headers['content-disposition']).toContain(filename);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
      expect(res.headers['content-type']).toContain(contentType);
      expect((res.body as Buffer).toString()).toBe(content);
      const [row] = await t.db.query(`SELECT filename, mime_type FROM files WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, uploaded.body.file.id]);
      expect(row).toEqual({ filename, mime_type: contentType });
    });
  });
});
