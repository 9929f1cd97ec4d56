// Compares the statements the service sent with those its floors sent (two --trace-sql files):
// after normalising away what does not reach PostgreSQL's work (quoting, column and table aliases,
// parameter numbers, the length of an IN list, LIMIT/OFFSET values), every statement the service
// ran for the benchmarked endpoints should also be the floor's, and the other way round. What the
// service does besides the endpoints (migrations at boot, the health check, the outbox dispatcher,
// the sweepers) is left out.
import { readFileSync } from 'node:fs';

const BACKGROUND = [
  /^select version\(\)$/,
  /current_schema\(\)/,
  /information_schema\./,
  /pg_(try_)?advisory_(un|xact_)?lock/,
  /\bmigrations\b/,
  /^(create|alter|drop) /,
  /^select 1$/,
  /\boutbox o\b|from outbox where|delete from outbox/,
  /^delete from (webhook_events|idempotency_keys)/,
  // The migrations' backfills.
  /^update (tenants|conversations|conversation_messages)( m| c)? set (location_id|inbox|status|source|unread_count|last_message_text|waiting_since) =/,
  /^update outbox set failed_at = now\(\), last_error = 'expired: queued before email was sent/,
  // The routing sweep (every 5 s): the teams with a queue and a member below capacity.
  /^select t\.tenant_id as tenantid, t\.id from teams t where t\.state = 'active' and t\.assignment_mode <> 'manual'/,
  // The snooze wake-up job, every second.
  /^with due as \( ?select tenant_id, id from conversations where status = 'snoozed'/,
  /^select seed_ticket_settings/,
  /^insert into conversation_status_counts \(tenant_id, status, delta\) select tenant_id, status, count\(\*\) from conversations /,
  // The periodic jobs' locks, and the status ledger's fold (every 10 s).
  /^select pg_try_advisory_xact_lock\(/,
  /^with groups as \( ?select tenant_id, status from conversation_status_counts /,
  /^update webhook_events e set dedupe_key = 'message:'/,
  /^select tenant_id, id, (type, value from customer_contacts|email, phone, mobile from customers) where \(tenant_id, id\) >/,
  /\b(contact|customer)_normal_forms\b/,
  // Both run these, when they happen to: a key is touched once a minute by whoever sees it first.
  /^update api_keys set last_used_at/,
  // The webhook dispatcher and its fan-out (every tick): deliveries claimed, written, settled, and
  // their subscriptions' health.
  /\bwebhook_deliveries\b/,
  /^with changed as \( ?select s\.tenant_id, s\.id,/,
  /^rollback$/,
  // The request deadline's bound on each of its transactions (Database.transaction), its value the
  // time left: transaction plumbing, not an endpoint's statement.
  /^set local statement_timeout = \d+$/,
];

export function normaliseSql(sql) {
  let s = sql.replace(/"/g, '').replace(/\s+/g, ' ').trim();
  s = s.replace(/\( /g, '(').replace(/ \)/g, ')');
  // Column aliases (TypeORM's `m.state AS m_state`, the repositories' `c.id AS "conversationId"`).
  s = s.replace(/ AS [A-Za-z_][A-Za-z0-9_]*(?=[ ,)]|$)/g, '');
  // Qualifiers: `Conversation.id`, `m.id` and `id` are one column here.
  s = s.replace(/\b[A-Za-z_][A-Za-z0-9_]*\.(?=[a-z_])/g, '');
  // The alias after a table name (`FROM conversations Conversation WHERE`).
  s = s.replace(/\b(FROM|JOIN) ([a-z_]+) (?!WHERE\b|JOIN\b|LEFT\b|CROSS\b|ORDER\b|GROUP\b|LIMIT\b|ON\b|AS\b|FOR\b)[A-Za-z_][A-Za-z0-9_]*\b/gi, '$1 $2');
  s = s.replace(/\$\d+/g, '$').replace(/IN \(\$(, \$)*\)/g, 'IN ($…)');
  s = s.replace(/\bLIMIT \d+/g, 'LIMIT n').replace(/\bOFFSET \d+/g, 'OFFSET n');
  return s.toLowerCase();
}

function statements(file) {
  const counts = new Map();
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return counts;
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const { sql } = JSON.parse(line);
    const plain = sql.replace(/"/g, '').replace(/\s+/g, ' ').trim().toLowerCase();
    if (BACKGROUND.some((re) => re.test(plain))) continue;
    const key = normaliseSql(sql);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export function compareTraces(serviceFile, floorFile) {
  const service = statements(serviceFile);
  const floor = statements(floorFile);
  const only = (a, b) => [...a.entries()].filter(([key]) => !b.has(key)).map(([sql, count]) => ({ count, sql }));
  return { common: [...service.keys()].filter((key) => floor.has(key)).length, serviceOnly: only(service, floor), floorOnly: only(floor, service) };
}
