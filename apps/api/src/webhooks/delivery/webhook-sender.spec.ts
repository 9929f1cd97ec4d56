import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Resolve, UnsafeWebhookAddress, webhookAddressRules } from './safe-address';
import { deliverWebhook } from './webhook-sender';

// The deadline of one attempt covers the host's resolution too (no real DNS: injected resolvers).
describe(deliverWebhook.name, () => {
  const rules = webhookAddressRules({ WEBHOOK_ALLOW_HTTP: true, WEBHOOK_ALLOWED_HOSTS: 'hooks.test' });
  const req = { messageId: 'msg_1', body: '{}', secrets: ['whsec_' + Buffer.alloc(24, 1).toString('base64')] };
  let server: Server;
  let port: number;
  const pending = new Set<() => void>();

  beforeAll(async () => {
    // Takes the request and never answers until the test ends.
    server = createServer((_req, res) => pending.add(() => res.destroy()));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const end of pending) end();
    await new Promise((done) => server.close(done));
  });

  const slowResolve =
    (ms: number, address = '127.0.0.1'): Resolve =>
    () =>
      new Promise((done) => setTimeout(() => done([{ address, family: 4 }]), ms));

  it('should give up a resolution that hangs at the attempt deadline', async () => {
    const never: Resolve = () => new Promise(() => undefined);
    const started = Date.now();
    const result = await deliverWebhook(`http://hooks.test:${port}/`, rules, req, 300, never);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result).toMatchObject({ statusCode: null, response: null, error: 'no answer within 300 ms (resolving the host)' });
    expect(result.durationMs).toBeGreaterThanOrEqual(290);
  });

  it('should count a slow resolution against the time left for the answer', async () => {
    const result = await deliverWebhook(`http://hooks.test:${port}/`, rules, req, 600, slowResolve(300));
    expect(result).toMatchObject({ statusCode: null, error: 'no answer within 600 ms' });
    expect(result.durationMs).toBeGreaterThanOrEqual(590);
    expect(result.durationMs).toBeLessThan(850);
  });

  it('should still refuse an address the rules refuse, and ignore a refusal that comes too late', async () => {
    await expect(deliverWebhook(`http://other.test:${port}/`, rules, req, 600, slowResolve(10))).rejects.toBeInstanceOf(UnsafeWebhookAddress);
    const late = await deliverWebhook(`http://other.test:${port}/`, rules, req, 50, slowResolve(150));
    expect(late.error).toBe('no answer within 50 ms (resolving the host)');
    // The late refusal settles without an unhandled rejection (Jest would fail the run).
    await new Promise((done) => setTimeout(done, 200));
  });
});
