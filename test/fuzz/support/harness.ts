import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createAgent, createContact, createTenant, TestTenant } from '../../support/factories';
import { createTestApp, TestApp } from '../../support/test-app';

// The fuzz suite's one app and database per file, what it seeded, and the invariants every case is
// held to: never a 5xx, an error in the endpoint's dialect, and the database unchanged by an error.

export interface FuzzRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string | string[]>;
  payload?: string | Buffer;
}

export interface Seed {
  acme: TestTenant;
  globex: TestTenant;
  agent: { id: number; auth: string };
  customerId: number;
  contactId: number;
  otherCustomerId: number;
  conversationId: number;
  globexConversationId: number;
  messageId: number;
  ticketId: number;
  token: string;
  settings: Record<string, number>;
  teamId: number;
  globexTeamId: number;
  tagId: number;
}

// Case counts: FUZZ_RUNS per property (the full run's default when unset), FUZZ_SEED fixed or random.
export const FUZZ_RUNS = positiveInt(process.env.FUZZ_RUNS) ?? 1700;
export const FUZZ_SEED = Number.isInteger(Number(process.env.FUZZ_SEED)) && process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;

export class FuzzHarness {
  t!: TestApp;
  seed!: Seed;
  private baseline = '';
  private checksumSql = '';
  cases = 0;
  // Answers by status class (2xx, 4xx, …), for the summary: how many cases got past validation.
  private statuses: Record<string, number> = {};

  async start(): Promise<void> {
    // HighLevel's per-tenant limit would answer most of the run with 429s.
    this.t = await createTestApp({ HL_RATE_LIMIT_MAX: '1000000', HL_RATE_LIMIT_DAILY: '1000000', ...PUSHER_APP });
    this.seed = await seedData(this);
    this.checksumSql = await buildChecksumSql(this.t);
    // The checksum must see a write, even one that changes no value, or every case would pass.
    const before = await this.checksum();
    await this.t.db.query(`UPDATE tenants SET name = name WHERE id = $1`, [this.seed.acme.tenantId]);
    this.baseline = await this.checksum();
    if (this.baseline === before) throw new Error('the database checksum did not see a write');
  }

  close(): Promise<void> {
    return this.t?.close();
  }

  // Mostly the admin's key, sometimes an agent's, or another tenant's.
  authArbitrary(): fc.Arbitrary<string> {
    const { acme, agent, globex } = this.seed;
    return fc.oneof({ weight: 8, arbitrary: fc.constant(acme.auth) }, { weight: 1, arbitrary: fc.constant(agent.auth) }, { weight: 1, arbitrary: fc.constant(globex.auth) });
  }

  inject(request: FuzzRequest): Promise<LightMyRequestResponse> {
    return this.t.app.getHttpAdapter().getInstance().inject(request as InjectOptions);
  }

  // Every table's row count and a digest of its rows' versions. The outbox is emptied by its
  // dispatcher in the background, so only its highest id counts; an API key's last_used_at is
  // touched by reads, so its rows are compared by their text without it; the status-counts ledger
  // is folded by a job in the background, so only its sums count.
  async checksum(): Promise<string> {
    const [row] = await this.t.db.query(this.checksumSql);
    return JSON.stringify(row);
  }

  // One case: send it, and hold its answer and the database to the invariants. Returns a message
  // when one fails (fast-check then shrinks the case), else null.
  async check(request: FuzzRequest): Promise<string | null> {
    this.cases++;
    let res: LightMyRequestResponse;
    try {
      res = await this.inject(request);
    } catch (error) {
      // light-my-request refuses header values with control characters, as Node's client would;
      // counted, so a harness bug that throws TypeErrors shows in the summary.
      if ((error as { code?: string }).code === 'ERR_INVALID_CHAR') {
        this.statuses['not sent'] = (this.statuses['not sent'] ?? 0) + 1;
        return null;
      }
      throw error;
    }
    const status = `${Math.floor(res.statusCode / 100)}xx`;
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    const problem = dialectProblem(request.url, res);
    if (problem) return `${res.statusCode} ${problem}: ${clip(res.body)}`;
    const after = await this.checksum();
    if (res.statusCode >= 400 && after !== this.baseline) {
      return `${res.statusCode} answered an error but the database changed: ${diff(this.baseline, after)}; body ${clip(res.body)}`;
    }
    this.baseline = after;
    return null;
  }

  // Runs a property of `runs` cases and prints its summary line; throws fast-check's report on a failure.
  async run<T>(name: string, arbitrary: fc.Arbitrary<T>, toRequest: (value: T) => FuzzRequest, runs = FUZZ_RUNS): Promise<void> {
    const started = Date.now();
    const before = this.cases;
    this.statuses = {};
    const result = await fc.check(
      fc.asyncProperty(arbitrary, async (value) => {
        const failure = await this.check(toRequest(value));
        if (failure) throw new Error(failure);
      }),
      { numRuns: runs, seed: FUZZ_SEED, endOnFailure: false },
    );
    const seconds = (Date.now() - started) / 1000;
    const cases = this.cases - before;
    process.stdout.write(
      `fuzz ${name}: ${result.numRuns} cases (${cases} sent with shrinking), seed ${FUZZ_SEED}, failures ${result.failed ? 1 : 0}, ` +
        `${seconds.toFixed(1)} s, ${(cases / seconds).toFixed(0)} cases/s; answers ${Object.entries(this.statuses).sort().map(([k, n]) => `${k} ${n}`).join(', ')}\n`,
    );
    if (result.failed) {
      const example = result.counterexample ? clip(JSON.stringify(toRequest(result.counterexample[0]))) : '?';
      throw new Error(`fuzz ${name} failed after ${result.numRuns} runs (seed ${FUZZ_SEED}, path ${result.counterexamplePath}):\n` +
        `${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}\nshrunk request: ${example}`);
    }
  }
}

export const PUSHER_APP = { PUSHER_APP_ID: '4242', PUSHER_KEY: 'fuzz-key', PUSHER_SECRET: 'fuzz-secret' };

// Desk: {"errors": {field: [string, ...]}} and an X-Error-Code; HighLevel: {statusCode, message}.
// Successful answers are only held to "not a 5xx".
export function dialectProblem(url: string, res: LightMyRequestResponse): string | null {
  if (res.statusCode >= 500) return 'a 5xx';
  if (res.statusCode < 400) return null;
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return 'an error body that is not JSON';
  }
  if (!String(res.headers['content-type']).startsWith('application/json')) return `an error with content type ${res.headers['content-type']}`;
  if (url.startsWith('/desk/')) {
    const errors = (body as { errors?: unknown })?.errors;
    if (!errors || typeof errors !== 'object' || Array.isArray(errors) || Object.keys(body as object).length !== 1) return 'not a Desk error body';
    const bad = Object.values(errors).some((messages) => !Array.isArray(messages) || messages.length === 0 || messages.some((m) => typeof m !== 'string'));
    if (bad) return 'Desk error messages that are not arrays of strings';
    if (!res.headers['x-error-code']) return 'a Desk error without X-Error-Code';
    return null;
  }
  if (url === '/conversations' || url.startsWith('/conversations/') || url.startsWith('/conversations?')) {
    const { statusCode, message } = (body ?? {}) as { statusCode?: unknown; message?: unknown };
    if (statusCode !== res.statusCode) return 'a HighLevel error whose statusCode is not the status';
    const isMessage = typeof message === 'string' || (Array.isArray(message) && message.every((m) => typeof m === 'string'));
    if (!isMessage) return 'a HighLevel error without a string message';
    return null;
  }
  return null;
}

async function buildChecksumSql(t: TestApp): Promise<string> {
  const tables: { table_name: string }[] = await t.db.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const parts = tables
    .map(({ table_name: name }) => name)
    .filter((name) => name !== 'migrations')
    .map((name) => {
      if (name === 'outbox') return `(SELECT coalesce(max(id), 0)::text FROM outbox) AS "outbox"`;
      if (name === 'conversation_status_counts') {
        const sums = `SELECT tenant_id, status, sum(delta) AS n FROM conversation_status_counts GROUP BY tenant_id, status HAVING sum(delta) <> 0`;
        return `(SELECT coalesce(md5(string_agg(s::text, ',' ORDER BY s::text)), '') FROM (${sums}) s) AS "conversation_status_counts"`;
      }
      if (name === 'api_keys') {
        const row = `(to_jsonb(r) - 'last_used_at')::text`;
        return `(SELECT count(*) || ':' || coalesce(md5(string_agg(${row}, E'\\n' ORDER BY ${row})), '') FROM api_keys r) AS "api_keys"`;
      }
      // Every write (even of the same values) gives a row a new version, with a new ctid and xmin:
      // stricter than the rows' text, and it reads no column, so large rows cost nothing.
      return `(SELECT count(*) || ':' || coalesce(md5(string_agg(ctid::text || xmin::text, ',' ORDER BY ctid)), '') FROM "${name}") AS "${name}"`;
    });
  return `SELECT ${parts.join(', ')}`;
}

function diff(before: string, after: string): string {
  const a = JSON.parse(before) as Record<string, string>;
  const b = JSON.parse(after) as Record<string, string>;
  return Object.keys(b)
    .filter((key) => a[key] !== b[key])
    .map((key) => `${key} ${a[key]} -> ${b[key]}`)
    .join(', ');
}

// Long enough to reproduce from, short enough to read: the middle of a huge value is elided.
function clip(text: string, max = 1500): string {
  return text.length <= max ? text : `${text.slice(0, max / 2)}…(${text.length - max} more)…${text.slice(-max / 2)}`;
}

function positiveInt(text: string | undefined): number | undefined {
  const n = Number(text);
  return text && Number.isInteger(n) && n > 0 ? n : undefined;
}

// A few rows of each kind in two tenants, made through the API where it is quick, so every id the
// fuzzer names may exist.
async function seedData(h: FuzzHarness): Promise<Seed> {
  const { t } = h;
  const [acme, globex] = [await createTenant(t, 'Acme'), await createTenant(t, 'Globex')];
  const agent = await createAgent(t, acme.tenantId);
  const { contactId, customerId } = await createContact(t.db, acme.tenantId);
  const other = await createContact(t.db, acme.tenantId);
  const theirs = await createContact(t.db, globex.tenantId);
  const json = async (method: FuzzRequest['method'], url: string, body: unknown, auth = acme.auth) => {
    const res = await h.inject({ method, url, headers: { authorization: auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    if (res.statusCode >= 300) throw new Error(`seeding ${method} ${url}: ${res.statusCode} ${res.body}`);
    return JSON.parse(res.body);
  };
  const conversation = await json('POST', '/desk/api/v2/conversations.json', { conversation: { contactId } });
  const conversationId = conversation.conversation.id;
  const globexConversation = await json('POST', '/desk/api/v2/conversations.json', { conversation: { contactId: theirs.contactId } }, globex.auth);
  const message = await json('POST', '/desk/api/v2/conversationmessages.json', { conversationmessage: { conversationId, message: 'Hello there' } });
  await json('POST', '/desk/api/v2/conversationmessages.json', { conversationmessage: { conversationId, message: 'Second' } });
  // The workflow's: a manual team (nothing routes in the background), a label, a note that mentions
  // the admin, and a change of state, so that teams, queues, mentions and activities have rows.
  const team = await json('POST', '/desk/api/v2/teams.json', { team: { name: 'Support', users: [{ id: agent.id }, { id: acme.adminId }] } });
  const globexTeam = await json('POST', '/desk/api/v2/teams.json', { team: { name: 'Support' } }, globex.auth);
  const tag = await json('POST', '/desk/api/v2/tags.json', { tag: { name: 'vip', color: '#00ff00' } });
  await json('POST', '/desk/api/v2/conversationmessages.json', { conversationmessage: { conversationId, message: 'See this', private: true, mentions: [{ id: acme.adminId }] } }, agent.auth);
  const workflow = { status: 'pending', priority: 'high', assignee: { id: agent.id }, team: { id: team.team.id }, labels: [{ id: tag.tag.id }] };
  await json('PATCH', `/desk/api/v2/conversations/${conversationId}.json`, { conversation: workflow });
  const ticket = await json('POST', '/desk/api/v2/tickets.json', { ticket: { subject: 'Printer jam', message: 'It jams.', customer: { id: other.customerId } } });
  const issued = await json('POST', '/desk/api/v2/conversations/token.json', { id: conversationId });
  const settings: Record<string, number> = {};
  for (const table of ['inboxes', 'ticket_statuses', 'ticket_priorities', 'ticket_types', 'ticket_sources']) {
    const [row] = await t.db.query(`SELECT id FROM ${table} WHERE tenant_id = $1 ORDER BY id LIMIT 1`, [acme.tenantId]);
    if (row) settings[table] = Number(row.id);
  }
  return {
    acme,
    globex,
    agent,
    customerId,
    contactId,
    otherCustomerId: other.customerId,
    conversationId,
    globexConversationId: globexConversation.conversation.id,
    messageId: message.conversationmessage?.id ?? message.id,
    ticketId: ticket.ticket.id,
    token: issued.conversation?.token ?? issued.token,
    settings,
    teamId: team.team.id,
    globexTeamId: globexTeam.team.id,
    tagId: tag.tag.id,
  };
}
