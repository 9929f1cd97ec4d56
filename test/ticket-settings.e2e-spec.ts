import { randomBytes } from 'node:crypto';
import { TicketSettingsService } from '../apps/api/src/tickets/settings/ticket-settings.service';
import { BASE, ISO } from './support/desk';
import { createAgent, createTenant, TestTenant } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const AUDIT = ['createdAt', 'createdBy', 'state', 'updatedAt', 'updatedBy'];
const SETTING_FIELDS = ['code', 'color', 'displayOrder', 'id', 'isDefault', 'name', ...AUDIT].sort();
const INBOX_FIELDS = [...SETTING_FIELDS, 'aliases', 'email'].sort();
const TAG_FIELDS = ['color', 'id', 'name', ...AUDIT].sort();
const CUSTOM_FIELD_FIELDS = ['displayOrder', 'id', 'name', 'options', 'type', ...AUDIT].sort();
const TEMPLATE_FIELDS = [
  'agent',
  'bcc',
  'cc',
  'customfields',
  'editMethod',
  'id',
  'inbox',
  'message',
  'name',
  'priority',
  'source',
  'status',
  'subject',
  'tags',
  'type',
  ...AUDIT,
].sort();
const ADMIN_ONLY = { errors: { _: ['only an admin may change ticket settings'] } };

// The kinds that share one shape: a name, a color and the audit fields (the settings add a code,
// an order and a default).
interface Kind {
  path: string;
  singular: string;
  table: string;
  fields: string[];
  isSetting: boolean;
}
const KINDS: Kind[] = [
  { path: 'inboxes', singular: 'inbox', table: 'inboxes', fields: INBOX_FIELDS, isSetting: true },
  { path: 'ticketstatuses', singular: 'ticketstatus', table: 'ticket_statuses', fields: SETTING_FIELDS, isSetting: true },
  { path: 'ticketpriorities', singular: 'ticketpriority', table: 'ticket_priorities', fields: SETTING_FIELDS, isSetting: true },
  { path: 'tickettypes', singular: 'tickettype', table: 'ticket_types', fields: SETTING_FIELDS, isSetting: true },
  { path: 'ticketsources', singular: 'ticketsource', table: 'ticket_sources', fields: SETTING_FIELDS, isSetting: true },
  { path: 'tags', singular: 'tag', table: 'tags', fields: TAG_FIELDS, isSetting: false },
];
const ALL_PATHS = [...KINDS.map((kind) => kind.path), 'customfields', 'tickettemplates'];

let sequence = 0;
const unique = (prefix = 'n') => `${prefix} ${Date.now().toString(36)}${(sequence++).toString(36)}`;
const filter = (value: unknown) => `filter=${encodeURIComponent(JSON.stringify(value))}`;
const ids = (objects: { id: number }[]) => objects.map((object) => object.id);

describe('Ticket settings (Desk v2)', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;
  let agent: { id: number; auth: string };

  beforeAll(async () => {
    t = await createTestApp();
    [acme, globex] = await Promise.all([createTenant(t, 'Acme'), createTenant(t, 'Globex')]);
    agent = await createAgent(t, acme.tenantId);
  });
  afterAll(() => t.close());

  const get = (path: string, auth = acme.auth) => t.http.get(`${BASE}/${path}`).set('Authorization', auth);
  const post = (path: string, body: unknown, auth = acme.auth) => t.http.post(`${BASE}/${path}.json`).set('Authorization', auth).send(body as object);
  const patch = (path: string, id: number, body: unknown, auth = acme.auth) =>
    t.http.patch(`${BASE}/${path}/${id}.json`).set('Authorization', auth).send(body as object);
  const del = (path: string, id: number, auth = acme.auth) => t.http.delete(`${BASE}/${path}/${id}.json`).set('Authorization', auth);

  const row = async (table: string, id: number): Promise<Record<string, unknown>> =>
    (await t.db.query(`SELECT * FROM ${table} WHERE id = $1`, [id]))[0];
  const tableRows = (table: string, tenantId = acme.tenantId): Promise<Record<string, unknown>[]> =>
    t.db.query(`SELECT * FROM ${table} WHERE tenant_id = $1 ORDER BY id`, [tenantId]);
  const activeDefaults = async (table: string, tenantId = acme.tenantId): Promise<number[]> =>
    (await t.db.query(`SELECT id FROM ${table} WHERE tenant_id = $1 AND is_default AND state = 'active' ORDER BY id`, [tenantId])).map(
      (r: { id: number }) => r.id,
    );
  const create = async (path: string, singular: string, body: Record<string, unknown>, auth = acme.auth) => {
    const res = await post(path, { [singular]: body }, auth);
    expect(res.status).toBe(201);
    return res.body[singular];
  };
  const byCode = async (path: string, code: string, auth = acme.auth) => {
    const res = await get(`${path}.json?${filter({ code })}`, auth);
    return res.body[path][0];
  };

  describe('a new tenant', () => {
    let fresh: TestTenant;
    beforeAll(async () => {
      fresh = await createTenant(t, 'Fresh');
    });

    const list = async (path: string) => {
      const res = await get(`${path}.json`, fresh.auth);
      expect(res.status).toBe(200);
      return res.body[path] as { name: string; code: string; isDefault: boolean; displayOrder: number }[];
    };
    const summary = (objects: { code: string; isDefault: boolean }[]) => objects.map((o) => [o.code, o.isDefault]);

    it('should start with one default inbox, Support', async () => {
      const res = await get('inboxes.json', fresh.auth);
      expect(res.body.meta.page).toMatchObject({ count: 1, pageOffset: 0, pages: 1, hasMore: false });
      const [inbox] = res.body.inboxes;
      expect(Object.keys(inbox).sort()).toEqual(INBOX_FIELDS);
      expect(inbox).toMatchObject({ name: 'Support', code: 'support', isDefault: true, email: null, aliases: [], state: 'active', createdBy: null });
      expect(inbox.createdAt).toMatch(ISO);
    });

    it('should start with the statuses, "active" the default, in display order', async () => {
      const statuses = await list('ticketstatuses');
      expect(summary(statuses)).toEqual([
        ['active', true],
        ['waiting', false],
        ['on-hold', false],
        ['solved', false],
        ['closed', false],
      ]);
      expect(statuses.map((s) => s.displayOrder)).toEqual([1, 2, 3, 4, 5]);
      expect(statuses[0]).toMatchObject({ name: 'Active', color: '#2f80ed' });
    });

    it('should start with priorities and types without a default, and sources with "api" the default', async () => {
      expect(summary(await list('ticketpriorities'))).toEqual([
        ['low', false],
        ['medium', false],
        ['high', false],
        ['urgent', false],
      ]);
      expect((await list('tickettypes')).map((type) => type.code)).toEqual(['question', 'problem', 'incident', 'feature-request']);
      expect(summary(await list('ticketsources'))).toEqual([
        ['email', false],
        ['chat', false],
        ['api', true],
        ['phone', false],
        ['web-form', false],
      ]);
    });

    it('should start with no tags, custom fields or templates', async () => {
      for (const path of ['tags', 'customfields', 'tickettemplates']) {
        const res = await get(`${path}.json`, fresh.auth);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          [path]: [],
          meta: { page: { count: 0, pageSize: 50, pageOffset: 0, pages: 0, hasMore: false, nextCursor: null } },
        });
      }
    });

    it('should let an agent read every list', async () => {
      const reader = await createAgent(t, fresh.tenantId);
      for (const path of ALL_PATHS) expect((await get(`${path}.json`, reader.auth)).status).toBe(200);
    });
  });

  describe.each(KINDS)('/$path', ({ path, singular, table, fields, isSetting }) => {
    const extra = isSetting ? { displayOrder: 7 } : {};

    it('should create, read, update and soft-delete, leaving the rows the answers describe', async () => {
      const name = unique('Created');
      const created = await create(path, singular, { name: `  ${name} `, color: '#A0b1C2', ...extra });
      expect(Object.keys(created).sort()).toEqual(fields);
      expect(created).toMatchObject({
        name,
        color: '#A0b1C2',
        state: 'active',
        createdBy: { id: acme.adminId, type: 'users' },
        updatedBy: { id: acme.adminId, type: 'users' },
        ...extra,
        ...(isSetting ? { code: null, isDefault: false } : {}),
      });
      expect(created.createdAt).toMatch(ISO);
      expect(await row(table, created.id)).toMatchObject({ tenant_id: acme.tenantId, name, color: '#A0b1C2', state: 'active', created_by: acme.adminId });

      const read = await get(`${path}/${created.id}.json`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual({ [singular]: created });
      expect((await get(`${path}/${created.id}.json`, agent.auth)).body).toEqual({ [singular]: created });

      const renamed = unique('Renamed');
      const changed = await patch(path, created.id, { [singular]: { name: renamed, color: null } });
      expect(changed.status).toBe(200);
      expect(changed.body[singular]).toMatchObject({ name: renamed, color: null, createdAt: created.createdAt, ...extra });
      expect(Date.parse(changed.body[singular].updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
      expect(await row(table, created.id)).toMatchObject({ name: renamed, color: null, updated_by: acme.adminId });

      const removed = await del(path, created.id);
      expect(removed.status).toBe(204);
      expect(removed.text).toBe('');
      const deletedRow = await row(table, created.id);
      expect(deletedRow).toMatchObject({ state: 'deleted', deleted_by: acme.adminId, name: renamed });
      expect(deletedRow.deleted_at).toBeInstanceOf(Date);
      expect((deletedRow.updated_at as Date).toISOString()).toBe(changed.body[singular].updatedAt);

      const gone = await get(`${path}/${created.id}.json`);
      expect(gone.status).toBe(200);
      expect(gone.body[singular]).toMatchObject({ state: 'deleted', deletedBy: { id: acme.adminId, type: 'users' } });
      expect(gone.body[singular].deletedAt).toMatch(ISO);
      expect(ids((await get(`${path}.json?pageSize=100`)).body[path])).not.toContain(created.id);
      expect(ids((await get(`${path}.json?${filter({ state: 'deleted', id: created.id })}`)).body[path])).toEqual([created.id]);

      // Again: nothing changes.
      expect((await del(path, created.id)).status).toBe(204);
      expect(await row(table, created.id)).toEqual(deletedRow);
      const edit = await patch(path, created.id, { name: unique() });
      expect(edit.status).toBe(409);
      expect(edit.headers['x-error-code']).toBe('SETTING_DELETED');
    });

    it('should take the bare object, ignore read-only fields, and leave updatedAt alone when nothing changes', async () => {
      const name = unique('Bare');
      const readOnly = { id: 999999, state: 'deleted', createdAt: '2001-01-01T00:00:00Z', ...(isSetting ? { code: 'hacked' } : {}) };
      const res = await post(path, { name, ...readOnly, filter_args: {} });
      expect(res.status).toBe(201);
      const created = res.body[singular];
      expect(created.id).not.toBe(999999);
      expect(created).toMatchObject({ name, state: 'active', color: null });
      if (isSetting) expect(created).toMatchObject({ code: null, displayOrder: 0, isDefault: false });
      expect(await row(table, created.id)).toMatchObject({ state: 'active', ...(isSetting ? { code: null } : {}) });

      const echoed = await patch(path, created.id, { ...created, ...(isSetting ? { code: 'other' } : {}), updatedAt: '2001-01-01T00:00:00Z' });
      expect(echoed.status).toBe(200);
      expect(echoed.body[singular]).toEqual(created);
    });

    it('should answer 404 for an unknown id, and 400 for a bad id', async () => {
      for (const res of [await get(`${path}/987654321.json`), await patch(path, 987654321, { name: 'x' }), await del(path, 987654321)]) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ errors: { _: [`${singular} 987654321 not found`] } });
        expect(res.headers['x-error-code']).toBe('SETTING_NOT_FOUND');
      }
      const bad = await get(`${path}/abc.json`);
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ errors: { id: ['must be a whole number'] } });
    });

    it.each([
      ['no name', {}, { name: ['must be set'] }],
      ['a blank name', { name: '   ' }, { name: ['must be set'] }],
      ['a name that is a number', { name: 5 }, { name: ['must be a string'] }],
      ['a bad color', { name: 'x', color: 'red' }, { color: ['must be a color as ‘#rrggbb’'] }],
      ['an unknown field', { name: 'x', colour: '#000000' }, { colour: ['is not a known field'] }],
    ])('should answer 400 and write nothing for %s', async (_case, body, errors) => {
      const before = await tableRows(table);
      const res = await post(path, { [singular]: body });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
      expect(await tableRows(table)).toEqual(before);
    });

    it('should refuse writes by an agent with 403, writing nothing, and let the agent read', async () => {
      const existing = await create(path, singular, { name: unique('Guarded') });
      const before = await tableRows(table);
      for (const res of [
        await post(path, { name: unique('ByAgent') }, agent.auth),
        await patch(path, existing.id, { name: unique('ByAgent') }, agent.auth),
        await del(path, existing.id, agent.auth),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body).toEqual(ADMIN_ONLY);
        expect(res.headers['x-error-code']).toBe('ADMIN_REQUIRED');
      }
      expect(await tableRows(table)).toEqual(before);
      expect((await get(`${path}/${existing.id}.json`, agent.auth)).status).toBe(200);
    });

    it('should refuse a name an active one has, whatever its case, and free it when that one is deleted', async () => {
      const name = unique('Taken');
      const first = await create(path, singular, { name });
      const other = await create(path, singular, { name: unique('Other') });
      const before = await tableRows(table);

      const again = await post(path, { name: name.toUpperCase() });
      expect(again.status).toBe(409);
      expect(again.headers['x-error-code']).toBe('SETTING_NAME_TAKEN');
      expect(again.body).toEqual({
        errors: { name: [`is already taken by ${singular} ${first.id}`], _: [`${singular} ${first.id} already has this name`] },
      });
      const renamed = await patch(path, other.id, { name: ` ${name.toLowerCase()} ` });
      expect(renamed.status).toBe(409);
      expect(renamed.body.errors.name).toEqual([`is already taken by ${singular} ${first.id}`]);
      expect(await tableRows(table)).toEqual(before);

      // Its own name in another case is no conflict; another tenant may use the name.
      expect((await patch(path, first.id, { name: name.toUpperCase() })).status).toBe(200);
      expect((await post(path, { name }, globex.auth)).status).toBe(201);

      expect((await del(path, first.id)).status).toBe(204);
      expect((await post(path, { name: name.toLowerCase() })).status).toBe(201);
    });

    it('should create one when five requests race for a name, and answer the rest 409', async () => {
      const name = unique('Race');
      const results = await Promise.all(Array.from({ length: 5 }, () => post(path, { name })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      const winner = results.find((r) => r.status === 201)!.body[singular];
      for (const loser of results.filter((r) => r.status === 409)) {
        expect(loser.body.errors.name).toEqual([`is already taken by ${singular} ${winner.id}`]);
      }
      const rows = await t.db.query(`SELECT id FROM ${table} WHERE tenant_id = $1 AND name = $2`, [acme.tenantId, name]);
      expect(rows).toEqual([{ id: winner.id }]);
    });

    it('should keep another tenant out: 404 on read, change and delete, and absent from its lists', async () => {
      const mine = await create(path, singular, { name: unique('Mine') });
      const before = await row(table, mine.id);
      for (const res of [
        await get(`${path}/${mine.id}.json`, globex.auth),
        await patch(path, mine.id, { name: unique() }, globex.auth),
        await del(path, mine.id, globex.auth),
      ]) {
        expect(res.status).toBe(404);
        expect(res.headers['x-error-code']).toBe('SETTING_NOT_FOUND');
      }
      expect(await row(table, mine.id)).toEqual(before);
      const listed = await get(`${path}.json?${filter({ $or: [{ id: mine.id }, { state: 'deleted' }, { state: 'active' }] })}&pageSize=100`, globex.auth);
      expect(listed.status).toBe(200);
      expect(ids(listed.body[path])).not.toContain(mine.id);
      expect(listed.body[path].length).toBeGreaterThan(0);
    });
  });

  describe('defaults', () => {
    it('should move the default to a new inbox, keeping exactly one, and back', async () => {
      const support = await byCode('inboxes', 'support');
      expect(await activeDefaults('inboxes')).toEqual([support.id]);

      const sales = await create('inboxes', 'inbox', { name: unique('Sales'), isDefault: true, email: 'sales@acme.test' });
      expect(sales).toMatchObject({ isDefault: true, email: 'sales@acme.test' });
      expect(await activeDefaults('inboxes')).toEqual([sales.id]);
      const previous = await get(`inboxes/${support.id}.json`);
      expect(previous.body.inbox.isDefault).toBe(false);
      expect(previous.body.inbox.updatedBy).toEqual({ id: acme.adminId, type: 'users' });

      const back = await patch('inboxes', support.id, { isDefault: true });
      expect(back.status).toBe(200);
      expect(back.body.inbox.isDefault).toBe(true);
      expect(await activeDefaults('inboxes')).toEqual([support.id]);
    });

    it('should refuse to leave the tenant without a default inbox or status (409), changing nothing', async () => {
      for (const [path, singular, code, table] of [
        ['inboxes', 'inbox', 'support', 'inboxes'],
        ['ticketstatuses', 'ticketstatus', 'active', 'ticket_statuses'],
      ]) {
        const current = await byCode(path, code);
        const before = await tableRows(table);

        const unset = await patch(path, current.id, { [singular]: { isDefault: false } });
        expect(unset.status).toBe(409);
        expect(unset.headers['x-error-code']).toBe('SETTING_DEFAULT_REQUIRED');
        expect(unset.body.errors.isDefault).toEqual([
          `cannot be false: there must always be a default ${singular}; make another ${singular} the default first`,
        ]);

        const removed = await del(path, current.id);
        expect(removed.status).toBe(409);
        expect(removed.headers['x-error-code']).toBe('SETTING_DEFAULT_REQUIRED');
        expect(removed.body).toEqual({
          errors: { _: [`${singular} ${current.id} is the default, and there must always be one; make another ${singular} the default first`] },
        });
        expect(await tableRows(table)).toEqual(before);
        expect(await activeDefaults(table)).toEqual([current.id]);
      }
    });

    it('should let priorities, types and sources have no default, and clear the flag of a deleted default', async () => {
      const low = await byCode('ticketpriorities', 'low');
      const high = await byCode('ticketpriorities', 'high');
      expect((await patch('ticketpriorities', low.id, { isDefault: true })).body.ticketpriority.isDefault).toBe(true);
      expect((await patch('ticketpriorities', high.id, { isDefault: true })).status).toBe(200);
      expect(await activeDefaults('ticket_priorities')).toEqual([high.id]);
      expect((await get(`ticketpriorities/${low.id}.json`)).body.ticketpriority.isDefault).toBe(false);

      expect((await patch('ticketpriorities', high.id, { isDefault: false })).body.ticketpriority.isDefault).toBe(false);
      expect(await activeDefaults('ticket_priorities')).toEqual([]);

      const chosen = await create('tickettypes', 'tickettype', { name: unique('Chosen'), isDefault: true });
      expect(await activeDefaults('ticket_types')).toEqual([chosen.id]);
      expect((await del('tickettypes', chosen.id)).status).toBe(204);
      expect(await activeDefaults('ticket_types')).toEqual([]);
      expect(await row('ticket_types', chosen.id)).toMatchObject({ state: 'deleted', is_default: false });
    });

    it('should keep exactly one default when admins move it concurrently', async () => {
      const sources = (await get('ticketsources.json')).body.ticketsources as { id: number }[];
      const results = await Promise.all(sources.map((source) => patch('ticketsources', source.id, { isDefault: true })));
      expect(results.map((r) => r.status)).toEqual(sources.map(() => 200));
      const defaults = await activeDefaults('ticket_sources');
      expect(defaults).toHaveLength(1);

      const created = await Promise.all(
        Array.from({ length: 3 }, () => post('ticketsources', { name: unique('Concurrent'), isDefault: true })),
      );
      expect(created.map((r) => r.status)).toEqual([201, 201, 201]);
      expect(await activeDefaults('ticket_sources')).toHaveLength(1);
      const api = await byCode('ticketsources', 'api');
      expect((await patch('ticketsources', api.id, { isDefault: true })).status).toBe(200);
    });

    it('should refuse a non-boolean isDefault', async () => {
      const res = await post('ticketpriorities', { name: unique(), isDefault: 'yes' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: { isDefault: ['must be true or false'] } });
    });
  });

  describe('inboxes', () => {
    it('should keep valid email and aliases, each alias once whatever its case', async () => {
      const inbox = await create('inboxes', 'inbox', {
        name: unique('Billing'),
        email: 'billing@acme.test',
        aliases: ['help@acme.test', 'HELP@acme.test', 'pay@acme.test'],
      });
      expect(inbox).toMatchObject({ email: 'billing@acme.test', aliases: ['help@acme.test', 'pay@acme.test'] });
      expect(await row('inboxes', inbox.id)).toMatchObject({ email: 'billing@acme.test', aliases: ['help@acme.test', 'pay@acme.test'] });

      const cleared = await patch('inboxes', inbox.id, { email: null, aliases: [] });
      expect(cleared.body.inbox).toMatchObject({ email: null, aliases: [] });
    });

    it.each([
      ['a bad email', { email: 'nope' }, { email: ['must be a valid email address'] }],
      ['a bad alias', { aliases: ['ok@acme.test', 'nope'] }, { aliases: ['must be a valid email address'] }],
      ['aliases that are not an array', { aliases: 'a@acme.test' }, { aliases: ['must be an array'] }],
      ['null aliases', { aliases: null }, { aliases: ['must be set'] }],
      ['too many aliases', { aliases: Array.from({ length: 51 }, (_, i) => `a${i}@acme.test`) }, { aliases: ['must have at most 50 items'] }],
    ])('should refuse %s', async (_case, body, errors) => {
      const res = await post('inboxes', { name: unique(), ...body });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
    });
  });

  describe('/customfields', () => {
    it('should create every type, options only for dropdown and multiselect, and keep the type', async () => {
      const text = await create('customfields', 'customfield', { name: unique('Text'), type: 'text', displayOrder: 3 });
      expect(Object.keys(text).sort()).toEqual(CUSTOM_FIELD_FIELDS);
      expect(text).toMatchObject({ type: 'text', options: [], displayOrder: 3, state: 'active' });

      const dropdown = await create('customfields', 'customfield', { name: unique('Plan'), type: 'dropdown', options: ['Free', 'Pro'] });
      expect(dropdown.options).toEqual(['Free', 'Pro']);
      expect(await row('custom_fields', dropdown.id)).toMatchObject({ type: 'dropdown', options: ['Free', 'Pro'] });

      const changed = await patch('customfields', dropdown.id, { type: 'dropdown', options: ['Free', 'Pro', 'Team'] });
      expect(changed.status).toBe(200);
      expect(changed.body.customfield.options).toEqual(['Free', 'Pro', 'Team']);

      const retyped = await patch('customfields', dropdown.id, { type: 'multiselect' });
      expect(retyped.status).toBe(400);
      expect(retyped.body).toEqual({ errors: { type: ['cannot be changed'] } });
      const emptied = await patch('customfields', dropdown.id, { options: [] });
      expect(emptied.body).toEqual({ errors: { options: ['must have at least one option for a dropdown field'] } });
      const optioned = await patch('customfields', text.id, { options: ['a'] });
      expect(optioned.body).toEqual({ errors: { options: ['must be empty for a text field'] } });
      expect(await row('custom_fields', dropdown.id)).toMatchObject({ type: 'dropdown', options: ['Free', 'Pro', 'Team'] });

      const byType = await get(`customfields.json?${filter({ type: 'dropdown' })}`);
      expect(ids(byType.body.customfields)).toEqual([dropdown.id]);
    });

    it.each([
      ['no type', {}, { type: ['must be set'] }],
      ['an unknown type', { type: 'color' }, { type: ['must be one of ‘text, textarea, number, date, checkbox, dropdown, multiselect’'] }],
      ['a dropdown without options', { type: 'dropdown' }, { options: ['must have at least one option for a dropdown field'] }],
      ['a multiselect with no options', { type: 'multiselect', options: [] }, { options: ['must have at least one option for a multiselect field'] }],
      ['repeated options', { type: 'dropdown', options: ['a', 'b', 'a'] }, { 'options[2]': ['is given more than once'] }],
      ['an empty option', { type: 'dropdown', options: ['a', ''] }, { options: ['must not hold an empty option'] }],
      ['options that are not strings', { type: 'dropdown', options: [1] }, { options: ['must be a string'] }],
      ['options on a number field', { type: 'number', options: ['1'] }, { options: ['must be empty for a number field'] }],
    ])('should answer 400 and write nothing for %s', async (_case, body, errors) => {
      const before = await tableRows('custom_fields');
      const res = await post('customfields', { customfield: { name: unique(), ...body } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
      expect(await tableRows('custom_fields')).toEqual(before);
    });
  });

  describe('/tickettemplates', () => {
    let refs: {
      inbox: number;
      status: number;
      priority: number;
      type: number;
      source: number;
      tags: number[];
      plan: number;
      due: number;
    };

    beforeAll(async () => {
      const tagA = await create('tags', 'tag', { name: unique('vip') });
      const tagB = await create('tags', 'tag', { name: unique('billing') });
      const plan = await create('customfields', 'customfield', { name: unique('Plan'), type: 'dropdown', options: ['Free', 'Pro'] });
      const due = await create('customfields', 'customfield', { name: unique('Due'), type: 'date' });
      refs = {
        inbox: (await byCode('inboxes', 'support')).id,
        status: (await byCode('ticketstatuses', 'waiting')).id,
        priority: (await byCode('ticketpriorities', 'urgent')).id,
        type: (await byCode('tickettypes', 'problem')).id,
        source: (await byCode('ticketsources', 'email')).id,
        tags: [tagA.id, tagB.id],
        plan: plan.id,
        due: due.id,
      };
    });

    const fullBody = () => ({
      name: unique('Refund'),
      subject: 'About your refund',
      message: '<p>Hello</p>',
      editMethod: 'html',
      inbox: { id: refs.inbox, type: 'inboxes' },
      status: { id: refs.status },
      priority: { id: refs.priority },
      type: { id: refs.type },
      source: { id: refs.source },
      agent: { id: agent.id, type: 'users' },
      tags: refs.tags.map((id) => ({ id })),
      customfields: [
        { id: refs.plan, value: 'Pro' },
        { id: refs.due, value: '2026-03-01' },
      ],
      cc: ['boss@acme.test', 'BOSS@acme.test'],
      bcc: ['audit@acme.test'],
    });

    it('should create a template with every ref, and show refs with their types', async () => {
      const body = fullBody();
      const template = await create('tickettemplates', 'tickettemplate', body);
      expect(Object.keys(template).sort()).toEqual(TEMPLATE_FIELDS);
      expect(template).toMatchObject({
        name: body.name,
        subject: 'About your refund',
        message: '<p>Hello</p>',
        editMethod: 'html',
        inbox: { id: refs.inbox, type: 'inboxes' },
        status: { id: refs.status, type: 'ticketstatuses' },
        priority: { id: refs.priority, type: 'ticketpriorities' },
        type: { id: refs.type, type: 'tickettypes' },
        source: { id: refs.source, type: 'ticketsources' },
        agent: { id: agent.id, type: 'users' },
        tags: refs.tags.map((id) => ({ id, type: 'tags' })),
        customfields: [
          { id: refs.plan, value: 'Pro' },
          { id: refs.due, value: '2026-03-01' },
        ],
        cc: ['boss@acme.test'],
        bcc: ['audit@acme.test'],
      });
      expect(await row('ticket_templates', template.id)).toMatchObject({
        tenant_id: acme.tenantId,
        inbox_id: refs.inbox,
        status_id: refs.status,
        agent_id: agent.id,
        tag_ids: refs.tags,
        custom_fields: [
          { id: refs.plan, value: 'Pro' },
          { id: refs.due, value: '2026-03-01' },
        ],
        cc: ['boss@acme.test'],
      });
      expect((await get(`tickettemplates/${template.id}.json?fields=name,inbox`)).body).toEqual({
        tickettemplate: { id: template.id, name: body.name, inbox: { id: refs.inbox, type: 'inboxes' } },
      });
    });

    it('should create a template with a name alone, and change only what a PATCH gives', async () => {
      const bare = await create('tickettemplates', 'tickettemplate', { name: unique('Bare') });
      expect(bare).toMatchObject({ subject: null, inbox: null, agent: null, tags: [], customfields: [], cc: [], bcc: [], editMethod: null });

      const res = await patch('tickettemplates', bare.id, { inbox: { id: refs.inbox }, tags: [{ id: refs.tags[0] }] });
      expect(res.status).toBe(200);
      expect(res.body.tickettemplate).toMatchObject({ name: bare.name, inbox: { id: refs.inbox, type: 'inboxes' }, tags: [{ id: refs.tags[0], type: 'tags' }] });

      const cleared = await patch('tickettemplates', bare.id, { inbox: null, tags: [] });
      expect(cleared.body.tickettemplate).toMatchObject({ inbox: null, tags: [] });
      expect(await row('ticket_templates', bare.id)).toMatchObject({ inbox_id: null, tag_ids: [] });
    });

    it('should check only the refs a PATCH gives: a template whose tag was deleted can be renamed', async () => {
      const tag = await create('tags', 'tag', { name: unique('short-lived') });
      const template = await create('tickettemplates', 'tickettemplate', { name: unique('Stale'), tags: [{ id: tag.id }] });
      expect((await del('tags', tag.id)).status).toBe(204);
      const renamed = await patch('tickettemplates', template.id, { name: unique('Renamed') });
      expect(renamed.status).toBe(200);
      const again = await patch('tickettemplates', template.id, { tags: [{ id: tag.id }] });
      expect(again.status).toBe(400);
      expect(again.body).toEqual({ errors: { 'tags[0].id': ['does not exist'] } });
    });

    it('should answer 400 naming every ref that is not an active row of the tenant, and write nothing', async () => {
      const otherStatus = (await get('ticketstatuses.json', globex.auth)).body.ticketstatuses[0].id;
      const gone = await create('tags', 'tag', { name: unique('gone') });
      await del('tags', gone.id);
      const retired = await createAgent(t, acme.tenantId, { state: 'deleted' });
      const before = await tableRows('ticket_templates');

      const res = await post('tickettemplates', {
        tickettemplate: {
          ...fullBody(),
          inbox: { id: 987654321 },
          status: { id: otherStatus },
          agent: { id: retired.id },
          tags: [{ id: refs.tags[0] }, { id: gone.id }],
          customfields: [
            { id: refs.plan, value: 'Pro' },
            { id: refs.due, value: '01/03/2026' },
            { id: 987654321, value: 'x' },
            { id: refs.plan, value: 'Free' },
          ],
        },
      });
      expect(res.status).toBe(400);
      expect(res.headers['x-error-code']).toBe('VALIDATION_FAILED');
      expect(res.body).toEqual({
        errors: {
          'inbox.id': ['does not exist'],
          'status.id': ['does not exist'],
          'agent.id': ['does not exist'],
          'tags[1].id': ['does not exist'],
          'customfields[1].value': ['must be a date as ‘2006-01-02’'],
          'customfields[2].id': ['does not exist'],
          'customfields[3].id': ['is given more than once'],
        },
      });
      const valueless = await post('tickettemplates', { name: unique(), customfields: [{ id: refs.plan }] });
      expect(valueless.body).toEqual({ errors: { 'customfields[0].value': ['must be set'] } });
      const unfit = await post('tickettemplates', { name: unique(), customfields: [{ id: refs.due, value: '2026-01-01' }, { id: refs.plan, value: 'Gold' }] });
      expect(unfit.body).toEqual({ errors: { 'customfields[1].value': ['must be one of ‘Free, Pro’'] } });
      expect(await tableRows('ticket_templates')).toEqual(before);
    });

    it.each([
      ['a ref that is not an object', { inbox: 5 }, { inbox: ['must be an object'] }],
      ['a ref without an id', { status: { type: 'ticketstatuses' } }, { 'status.id': ['must be set'] }],
      ['a bad edit method', { editMethod: 'rtf' }, { editMethod: ['must be one of ‘html, markdown’'] }],
      ['a bad cc', { cc: ['nope'] }, { cc: ['must be a valid email address'] }],
      ['a custom field without an id', { customfields: [{ value: 'x' }] }, { 'customfields[0].id': ['must be set'] }],
    ])('should answer 400 for %s', async (_case, body, errors) => {
      const res = await post('tickettemplates', { name: unique(), ...body });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors });
    });

    it('should keep template names unique per tenant', async () => {
      const first = await create('tickettemplates', 'tickettemplate', { name: unique('Same') });
      const res = await post('tickettemplates', { name: first.name.toUpperCase() });
      expect(res.status).toBe(409);
      expect(res.body.errors.name).toEqual([`is already taken by tickettemplate ${first.id}`]);
    });

    it('should refuse agents and other tenants', async () => {
      const template = await create('tickettemplates', 'tickettemplate', { name: unique('Private') });
      expect((await post('tickettemplates', { name: unique() }, agent.auth)).status).toBe(403);
      expect((await patch('tickettemplates', template.id, { name: unique() }, agent.auth)).status).toBe(403);
      expect((await get(`tickettemplates/${template.id}.json`, globex.auth)).status).toBe(404);
      expect((await del('tickettemplates', template.id, globex.auth)).status).toBe(404);
      expect((await del('tickettemplates', template.id)).status).toBe(204);
    });
  });

  describe('lists', () => {
    it('should filter by name, without regard to case, and by code', async () => {
      const low = await get(`ticketpriorities.json?${filter({ name: { $eq: 'Low' } })}`);
      expect(low.status).toBe(200);
      expect(low.body.ticketpriorities.map((p: { code: string }) => p.code)).toEqual(['low']);
      expect(low.body.meta.page.count).toBe(1);
      const lowered = await get(`ticketpriorities.json?${filter({ name: 'LOW' })}`);
      expect(ids(lowered.body.ticketpriorities)).toEqual(ids(low.body.ticketpriorities));
      const some = await get(`ticketstatuses.json?${filter({ code: { $in: ['solved', 'closed'] } })}`);
      expect(some.body.ticketstatuses.map((s: { code: string }) => s.code)).toEqual(['solved', 'closed']);
    });

    it('should order by displayOrder by default, and by name, id or createdAt when asked', async () => {
      const byName = await get('ticketstatuses.json?orderBy=name&orderMode=desc');
      const names = byName.body.ticketstatuses.map((s: { name: string }) => s.name);
      expect(names).toEqual([...names].sort((a: string, b: string) => b.toLowerCase().localeCompare(a.toLowerCase())));
      const byId = await get('ticketstatuses.json?orderBy=id&orderMode=desc');
      const statusIds = ids(byId.body.ticketstatuses);
      expect(statusIds).toEqual([...statusIds].sort((a, b) => b - a));
      const types = (await get(`tickettypes.json?${filter({ code: { $ne: null } })}`)).body.tickettypes;
      expect(types.map((type: { displayOrder: number }) => type.displayOrder)).toEqual([1, 2, 3, 4]);
    });

    it('should order tags by name by default, and page them by cursor', async () => {
      const prefix = unique('page').replace(' ', '-');
      for (const letter of ['c', 'A', 'b']) await create('tags', 'tag', { name: `${prefix}-${letter}` });
      const mine = filter({ name: { $gte: `${prefix}-`, $lt: `${prefix}-~` } });
      const first = await get(`tags.json?${mine}&pageSize=2`);
      expect(first.body.tags.map((tag: { name: string }) => tag.name)).toEqual([`${prefix}-A`, `${prefix}-b`]);
      expect(first.body.meta.page).toMatchObject({ count: 3, hasMore: true });
      const next = await get(`tags.json?${mine}&pageSize=2&cursor=${first.body.meta.page.nextCursor}`);
      expect(next.body.tags.map((tag: { name: string }) => tag.name)).toEqual([`${prefix}-c`]);
      expect(next.body.meta.page).toMatchObject({ hasMore: false, nextCursor: null, pageOffset: null });
    });

    it('should return sparse fieldsets, and refuse unknown fields, filters and orders', async () => {
      const sparse = await get('inboxes.json?fields=name,isDefault');
      expect(Object.keys(sparse.body.inboxes[0]).sort()).toEqual(['id', 'isDefault', 'name']);
      const one = await get(`inboxes/${sparse.body.inboxes[0].id}.json?fields=email`);
      expect(Object.keys(one.body.inbox).sort()).toEqual(['email', 'id']);

      const badOrder = await get('tags.json?orderBy=displayOrder');
      expect(badOrder.status).toBe(400);
      expect(badOrder.body).toEqual({ errors: { orderBy: ['must be one of ‘name, id, createdAt, updatedAt’'] } });
      const badFilter = await get(`customfields.json?${filter({ type: 'color' })}`);
      expect(badFilter.status).toBe(400);
      const badField = await get(`tickettemplates.json?${filter({ code: 'x' })}`);
      expect(badField.body.errors.filter[0]).toMatch(/^unknown field 'code'/);
    });
  });

  describe('Idempotency-Key', () => {
    it('should replay the first answer for a repeated POST and create one row', async () => {
      const key = `settings-${randomBytes(6).toString('hex')}`;
      const body = { tag: { name: unique('idem') } };
      const first = await post('tags', body).set('Idempotency-Key', key);
      const again = await post('tags', body).set('Idempotency-Key', key);
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      const rows = await t.db.query(`SELECT id FROM tags WHERE tenant_id = $1 AND name = $2`, [acme.tenantId, body.tag.name]);
      expect(rows).toEqual([{ id: first.body.tag.id }]);
    });

    it('should answer 409 for a taken name inside the key’s transaction, recording nothing', async () => {
      const name = unique('idem-taken');
      await create('ticketpriorities', 'ticketpriority', { name });
      const key = `settings-${randomBytes(6).toString('hex')}`;
      const res = await post('ticketpriorities', { name, isDefault: true }).set('Idempotency-Key', key);
      expect(res.status).toBe(409);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, [acme.tenantId, key]);
      expect(n).toBe(0);
    });
  });

  describe('findByIds (for ticket includes)', () => {
    it('should present the tenant’s rows of a kind, deleted ones too, never another tenant’s', async () => {
      const service = t.app.get(TicketSettingsService);
      const kept = await create('tags', 'tag', { name: unique('kept') });
      const dropped = await create('tags', 'tag', { name: unique('dropped') });
      await del('tags', dropped.id);
      const foreign = await create('tags', 'tag', { name: unique('foreign') }, globex.auth);

      const found = await service.findByIds(acme.tenantId, 'tags', [dropped.id, kept.id, foreign.id, kept.id]);
      expect(ids(found)).toEqual([kept.id, dropped.id]);
      expect(found[1]).toMatchObject({ name: dropped.name, state: 'deleted' });
      expect(Object.keys(found[0]).sort()).toEqual(TAG_FIELDS);
      expect(await service.findByIds(acme.tenantId, 'inboxes', [])).toEqual([]);
      const [inbox] = await service.findByIds(acme.tenantId, 'inboxes', [(await byCode('inboxes', 'support')).id]);
      expect(inbox).toMatchObject({ code: 'support', aliases: [] });
    });
  });

  describe('OpenAPI', () => {
    it('should document every path, with the admin-only 403 and an Idempotency-Key on every POST', async () => {
      const doc = (await t.http.get('/docs-json')).body;
      for (const path of ALL_PATHS) {
        const collection = doc.paths[`/desk/api/v2/${path}.json`];
        const member = doc.paths[`/desk/api/v2/${path}/{id}.json`];
        expect(Object.keys(collection).sort()).toEqual(['get', 'post']);
        expect(Object.keys(member).sort()).toEqual(['delete', 'get', 'patch']);
        expect(collection.post.parameters.some((p: { name: string; in: string }) => p.in === 'header' && p.name === 'Idempotency-Key')).toBe(true);
        for (const operation of [collection.post, member.patch, member.delete]) expect(operation.responses).toHaveProperty('403');
        expect(collection.get.tags).toEqual([path]);
      }
      const operationIds = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap((item) =>
        Object.values(item).map((operation) => operation.operationId),
      );
      expect(new Set(operationIds).size).toBe(operationIds.length);
    });
  });
});
