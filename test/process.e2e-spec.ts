import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, freePort, ROOT, ServiceProcess as Service, startService } from './support/service-process';
import { createTestDatabaseEnv } from './support/test-app';

const run = promisify(execFile);

// Sends half a request body, signals the service, then sends the rest: the request is in flight
// when the signal arrives.
function requestAcrossSignal(service: Service, key: string, body: string): Promise<{ status: number; body: string }> {
  const url = new URL('/desk/api/v2/conversations.json', service.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.write(body.slice(0, 10));
    setTimeout(() => {
      service.child.kill('SIGTERM');
      setTimeout(() => req.end(body.slice(10)), 300);
    }, 200);
  });
}

async function cli(env: Record<string, string>, ...args: string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, [CLI, ...args], { cwd: ROOT, env: { PATH: process.env.PATH, ...env } });
  return stdout.trimEnd().split('\n');
}

describe('The service and CLI processes', () => {
  beforeAll(async () => {
    // Under E2E_PROCESSES the run has built it, and other spec files' processes are running it.
    if (process.env.E2E_BUILT !== 'true') await run('npx', ['nest', 'build', 'api'], { cwd: ROOT, timeout: 120_000 });
  }, 150_000);

  it('should finish an in-flight request on SIGTERM, refuse new ones, and exit 0', async () => {
    const databaseEnv = await createTestDatabaseEnv();
    const key = (await cli(databaseEnv, 'bootstrap', '--tenant', 'Proc', '--email', 'p@proc.test')).at(-1)!;
    expect(key).toMatch(/^hdk_/);
    const service = await startService(databaseEnv);

    const body = JSON.stringify({ contact: { type: 'email', value: 'inflight@proc.test' } });
    const response = requestAcrossSignal(service, key, body);

    const done = await response;
    expect(done.status).toBe(201);
    expect(JSON.parse(done.body).conversation.contact.value).toBe('inflight@proc.test');
    await expect(fetch(new URL('/health', service.url))).rejects.toThrow();
    expect(await service.exited).toBe(0);
    expect(service.output()).toContain('shut down cleanly');
    expect(service.output()).not.toContain(key);
  });

  it('should run on the embedded PostgreSQL with no DATABASE_URL, and the CLI should work beside it and without it', async () => {
    await mkdir(join(ROOT, '.data'), { recursive: true });
    const dir = await mkdtemp(join(ROOT, '.data', 'embedded-e2e-'));
    const env = { EMBEDDED_PG_DIR: dir, EMBEDDED_PG_PORT: String(await freePort()) };
    try {
      const service = await startService(env);
      expect(service.output()).toContain('DATABASE_URL is not set: using the embedded PostgreSQL');
      // The CLI joins the running embedded server.
      const key = (await cli(env, 'bootstrap', '--tenant', 'Embedded', '--email', 'e@embedded.test')).at(-1)!;
      const created = await fetch(new URL('/desk/api/v2/conversations.json', service.url), {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ contact: { type: 'email', value: 'c@embedded.test' } }),
      });
      expect(created.status).toBe(201);
      // The embedded database stays up until the in-flight request is answered.
      const inFlight = await requestAcrossSignal(service, key, JSON.stringify({ contact: { type: 'email', value: 'late@embedded.test' } }));
      expect(inFlight.status).toBe(201);
      expect(await service.exited).toBe(0);
      expect(service.output()).toContain('embedded PostgreSQL stopped');

      // With the service stopped, the CLI starts the embedded server itself, and the data is still there.
      const listed = await cli(env, 'list-keys', '--email', 'e@embedded.test');
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatch(/^\d+\tactive\t/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
