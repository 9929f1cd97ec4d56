// Seeding through SQL: multi-row INSERT … SELECT over generate_series, in chunks (a progress bar
// counts rows). Tenants, agents and API keys come from the service's own CLI, so keys are made
// exactly as the service makes them (apps/api/src/auth/api-keys.service.ts, issueSecret).
import { CLI_JS, cleanEnv, runCommand } from './service.mjs';
import { mapLimit } from './util.mjs';

export const FIRST_NAMES = [
  'Ada', 'Alan', 'Amara', 'Ana', 'Ari', 'Bea', 'Ben', 'Bianca', 'Carlos', 'Chen', 'Chloe', 'Dario', 'Dev', 'Diana', 'Elena', 'Emil',
  'Eva', 'Farah', 'Felix', 'Grace', 'Hana', 'Hugo', 'Ines', 'Ivan', 'Jamal', 'Jana', 'Jon', 'Kai', 'Kira', 'Lars', 'Lea', 'Liam',
  'Lina', 'Luca', 'Maya', 'Maria', 'Mateo', 'Mei', 'Nadia', 'Nico', 'Noor', 'Olga', 'Omar', 'Paula', 'Priya', 'Quinn', 'Rafael',
  'Rosa', 'Sami', 'Sara', 'Sven', 'Tara', 'Teo', 'Uma', 'Vera', 'Victor', 'Wen', 'Xavier', 'Yara', 'Yusuf', 'Zoe', 'Zhang',
];

export const LAST_NAMES = [
  'Abara', 'Becker', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ivanova', 'Jensen', 'Kowalski', 'Larsen', 'Moreau',
  'Nakamura', 'Okafor', 'Petrov', 'Quispe', 'Rossi', 'Schmidt', 'Tanaka', 'Usman', 'Varga', 'Weber', 'Xu', 'Yilmaz', 'Zimmermann',
  'Almeida', 'Brennan', 'Castillo', 'Dimitrov', 'Esposito', 'Fernandes', 'Gupta', 'Horvat', 'Iqbal', 'Jovanovic', 'Kim', 'Lopez',
  'Mendes', 'Novak', 'Oliveira', 'Popescu', 'Ramos', 'Silva', 'Torres', 'Ueda', 'Valdez', 'Wagner', 'Young', 'Zhou',
];

export const DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.test', 'acme.test', 'globex.test', 'initech.test', 'umbrella.test'];

// What customers write in chats; some need HTML escaping when a transcript becomes a ticket.
export const SENTENCES = [
  'Hi, I cannot log in to my account since this morning.',
  'My order #4521 arrived damaged & the box was open.',
  'Could you check why the invoice shows <two> charges?',
  'Thanks, that fixed it! Have a great day.',
  'The app says "session expired" every five minutes.',
  'When will the refund reach my card?',
  'I changed my email address and now the password reset link never arrives.',
  'Is there a way to export all my data as CSV?',
  "We're a team of 12 and need to add three more seats to the plan.",
  'The mobile app crashes when I open the settings page on Android 14.',
  'Can I switch from monthly to yearly billing without losing my discount?',
  'Please cancel the subscription at the end of this period.',
  'Our webhook endpoint returns 200 but events arrive twice.',
  'Your colleague said it would be fixed by Friday; any news?',
  'The PDF export cuts off the last column of the table.',
  'I would like to speak with someone about an enterprise contract.',
];

// Ten tenants, each with its admin agent and the agent's API key, through the service's CLI.
export async function bootstrapTenants(pool, databaseUrl, count, onEach) {
  const env = cleanEnv({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', MIGRATIONS_RUN: 'false' });
  const numbers = Array.from({ length: count }, (_, i) => i + 1);
  const tenants = await mapLimit(numbers, 2, async (n) => {
    const name = `Bench tenant ${n}`;
    const email = `admin@bench${n}.test`;
    const output = await runCommand('node', [CLI_JS, 'bootstrap', '--tenant', name, '--email', email], { env, label: `cli bootstrap ${name}` });
    const key = output.trim().split('\n').at(-1).trim();
    if (!/^hdk_[0-9a-f]{16}[A-Za-z0-9_-]{43}$/.test(key)) throw new Error(`cli bootstrap printed no key on its last line:\n${output}`);
    onEach?.();
    return { n, name, email, key };
  });
  const { rows } = await pool.query(
    `SELECT t.id, t.name, t.location_id, u.id AS user_id
       FROM tenants t JOIN users u ON u.tenant_id = t.id AND u.role = 'admin'
      WHERE t.name = ANY($1::text[])`,
    [tenants.map((t) => t.name)],
  );
  return tenants.map((t) => {
    const row = rows.find((r) => r.name === t.name);
    if (!row) throw new Error(`tenant ${t.name} not found after bootstrap`);
    return { ...t, id: row.id, userId: row.user_id, locationId: row.location_id };
  });
}

const CHUNK = 10_000;

// `count` customers of a tenant, each with one (main) email contact and one conversation, the
// customers named from the lists above with distinct emails and phone numbers. Returns the
// conversations [{id, contactId, tenantId}] in id order. `label` (lowercase letters) keeps the
// emails of one seed set apart from another's in the same tenant.
export async function createConversations(pool, { tenant, count, label, participants = false, progress }) {
  const conversations = [];
  for (let from = 1; from <= count; from += CHUNK) {
    const to = Math.min(count, from + CHUNK - 1);
    const { rows } = await pool.query(
      `WITH g AS (
         SELECT g,
                ($5::text[])[1 + (g * 7 + g / 101) % cardinality($5::text[])] AS fn,
                ($6::text[])[1 + (g * 13 + g / 37) % cardinality($6::text[])] AS ln,
                ($7::text[])[1 + g % cardinality($7::text[])] AS domain,
                now() - interval '120 days' + (g % 100000) * interval '1 minute' AS ts
           FROM generate_series($3::int, $4::int) g),
       cu AS (
         INSERT INTO customers (tenant_id, first_name, last_name, email, phone, external_id, created_by, updated_by, created_at, updated_at)
         SELECT $1, fn, ln, lower(fn || '.' || ln || '.' || $8 || g || '@' || domain),
                '+1 555 ' || lpad(((g::bigint * 7919) % 10000000)::text, 7, '0'), $8 || ':' || g, $2, $2, ts, ts
           FROM g
         RETURNING tenant_id, id, email, created_at),
       ct AS (
         INSERT INTO customer_contacts (tenant_id, customer_id, type, value, is_main, created_by, updated_by, created_at, updated_at)
         SELECT tenant_id, id, 'email', email, true, $2, $2, created_at, created_at FROM cu
         RETURNING tenant_id, id, created_at)
       INSERT INTO conversations (tenant_id, contact_id, created_by, updated_by, created_at, updated_at)
       SELECT tenant_id, id, $2, $2, created_at, created_at FROM ct ORDER BY id
       RETURNING id, contact_id`,
      [tenant.id, tenant.userId, from, to, FIRST_NAMES, LAST_NAMES, DOMAINS, label],
    );
    rows.sort((a, b) => a.id - b.id);
    for (const row of rows) conversations.push({ id: row.id, contactId: row.contact_id, tenantId: tenant.id });
    if (participants) {
      await pool.query(
        `INSERT INTO conversation_users (tenant_id, conversation_id, user_id, created_by)
         SELECT $1, id, $2, $2 FROM unnest($3::bigint[]) AS id`,
        [tenant.id, tenant.userId, rows.map((r) => r.id)],
      );
    }
    progress?.add((to - from + 1) * 3, `${label}: ${to.toLocaleString('en')} conversations`);
  }
  return conversations;
}

// `perConversation` messages in each of the tenant's `conversations`, alternating the customer's
// (odd) and the agent's (even), a second apart from the conversation's start; then each
// conversation's lastMessageAt. Chunks keep every statement near CHUNK rows, whether over many
// conversations or within one.
export async function addMessages(pool, { tenant, conversations, perConversation, progress, label = '' }) {
  const perGroup = Math.max(1, Math.floor(CHUNK / perConversation));
  for (let i = 0; i < conversations.length; i += perGroup) {
    const group = conversations.slice(i, i + perGroup);
    const kStep = Math.max(1, Math.min(perConversation, CHUNK));
    for (let from = 1; from <= perConversation; from += kStep) {
      const to = Math.min(perConversation, from + kStep - 1);
      await pool.query(
        `INSERT INTO conversation_messages
           (tenant_id, conversation_id, user_id, contact_id, message, created_at, updated_at, created_by, updated_by, status)
         SELECT $1, c.id,
                CASE WHEN k % 2 = 0 THEN $2::bigint END,
                CASE WHEN k % 2 = 1 THEN c.contact_id END,
                ($5::text[])[1 + (k * 7 + c.id) % cardinality($5::text[])] || ' #' || k,
                t.at, t.at,
                CASE WHEN k % 2 = 0 THEN $2::bigint END,
                CASE WHEN k % 2 = 0 THEN $2::bigint END,
                CASE WHEN k % 2 = 0 THEN 'sent' ELSE 'delivered' END
           FROM (SELECT u.id, u.contact_id, cv.created_at
                   FROM unnest($3::bigint[], $4::bigint[]) AS u(id, contact_id)
                   JOIN conversations cv ON cv.tenant_id = $1 AND cv.id = u.id) AS c
          CROSS JOIN generate_series($6::int, $7::int) AS k
          CROSS JOIN LATERAL (SELECT c.created_at + k * interval '1 second' AS at) t`,
        [tenant.id, tenant.userId, group.map((c) => c.id), group.map((c) => c.contactId), SENTENCES, from, to],
      );
      progress?.add(group.length * (to - from + 1), `${label}: messages`);
    }
    await pool.query(
      `UPDATE conversations c SET last_message_at = x.at
         FROM (SELECT conversation_id, max(created_at) AS at FROM conversation_messages
                WHERE tenant_id = $1 AND conversation_id = ANY($2::bigint[]) GROUP BY conversation_id) x
        WHERE c.tenant_id = $1 AND c.id = x.conversation_id`,
      [tenant.id, group.map((c) => c.id)],
    );
  }
}

// `perTenant` conversations (and `options.messages` messages in each) for every tenant, returned
// interleaved by tenant, so that rotating through them rotates through the tenants.
export async function conversationsAcrossTenants(pool, tenants, perTenant, options) {
  const byTenant = [];
  for (const tenant of tenants) {
    const conversations = await createConversations(pool, { ...options, tenant, count: perTenant });
    if (options.messages) await addMessages(pool, { tenant, conversations, perConversation: options.messages, progress: options.progress, label: options.label });
    byTenant.push(conversations);
  }
  const interleaved = [];
  for (let i = 0; i < perTenant; i++) for (const list of byTenant) interleaved.push(list[i]);
  return interleaved;
}
