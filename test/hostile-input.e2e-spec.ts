import { createTenant, TestTenant } from './support/factories';
import { BASE } from './support/desk';
import { createTestApp, TestApp } from './support/test-app';

// Counterexamples the fuzz suite (test/fuzz) found, shrunk, kept here as regular regressions: each
// is answered in its endpoint's dialect, never with a 5xx, and writes nothing.
describe('hostile input', () => {
  let t: TestApp;
  let acme: TestTenant;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await createTenant(t, 'Acme');
  });
  afterAll(() => t.close());

  const inject = (options: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; headers?: Record<string, string>; payload?: string }) =>
    t.app.getHttpAdapter().getInstance().inject(options);
  const json = (res: { body: string }) => JSON.parse(res.body);
  const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

  it('should answer a path id longer than the router takes with a Desk error', async () => {
    const res = await inject({ method: 'GET', url: `${BASE}/conversationmessages/history/${'x'.repeat(200)}.json`, headers: { authorization: acme.auth } });

    expect(res.statusCode).toBe(414);
    expect(res.headers['x-error-code']).toBe('FST_ERR_MAX_PARAM_LENGTH');
    expect(json(res)).toEqual({ errors: { _: [expect.any(String)] } });
  });

  it('should answer a deeply nested value in a Desk body with a 400 and create nothing', async () => {
    const [{ n: before }] = await t.db.query(`SELECT count(*)::int AS n FROM ticket_types`);

    const res = await inject({
      method: 'POST',
      url: `${BASE}/tickettypes.json`,
      headers: { authorization: acme.auth, 'content-type': 'application/json' },
      payload: `{"tickettype":{"name":${nested(100_000)}}}`,
    });

    expect(res.statusCode).toBe(400);
    expect(res.headers['x-error-code']).toBe('BODY_TOO_DEEP');
    expect(json(res)).toEqual({ errors: { _: ['the body must not nest deeper than 64 levels'] } });
    const [{ n: after }] = await t.db.query(`SELECT count(*)::int AS n FROM ticket_types`);
    expect(after).toBe(before);
  });

  it('should answer a deeply nested value in a Desk PATCH with a 400 and change nothing', async () => {
    const [type] = await t.db.query(`SELECT * FROM ticket_types WHERE tenant_id = $1 ORDER BY id LIMIT 1`, [acme.tenantId]);

    const res = await inject({
      method: 'PATCH',
      url: `${BASE}/tickettypes/${type.id}.json`,
      headers: { authorization: acme.auth, 'content-type': 'application/json' },
      payload: `{"tickettype":{"name":${nested(100_000)}}}`,
    });

    expect(res.statusCode).toBe(400);
    expect(res.headers['x-error-code']).toBe('BODY_TOO_DEEP');
    expect(json(res)).toEqual({ errors: { _: ['the body must not nest deeper than 64 levels'] } });
    expect((await t.db.query(`SELECT * FROM ticket_types WHERE tenant_id = $1 AND id = $2`, [acme.tenantId, type.id]))[0]).toEqual(type);
  });
});
