#!/usr/bin/env node
// Each table has one owning module (docs/architecture.md, "Modules"): only that module's files name
// it in SQL or hand its entity to the ORM. Others go through the owner's service. Run by `npm run lint`.
//
// A module is a folder of apps/api/src (tickets/settings is its own), or a library. An entity's
// owner is the module holding its file; the tables without an entity are listed below.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCES = ['apps/api/src', 'libs'];

const TABLES_WITHOUT_ENTITY = {
  conversation_members: 'conversations',
  conversation_status_counts: 'conversations',
  ticket_tags: 'tickets',
  ticket_custom_field_values: 'tickets',
  webhook_events: 'pusher-webhooks',
  webhook_subscriptions: 'webhooks',
  webhook_deliveries: 'webhooks',
  outbox: 'live',
  idempotency_keys: 'libs/common',
};

// Reads that join another module's table, each for a reason that a service call cannot serve
// (a filter or an order inside one indexed statement). Writes are never allowed here.
// `module → table: why`.
const ALLOWED_READS = new Map([
  [
    'conversations → customer_contacts',
    "the HighLevel search and the customer filter of the conversation list match a conversation by its contact in one statement; locking a conversation reads its contact's customer in the same statement",
  ],
  ['conversations → customers', "the HighLevel search matches a conversation by its contact's customer's values in one statement"],
]);

function files(dir) {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return files(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

function moduleOf(path) {
  const parts = relative(ROOT, join(ROOT, path)).split(sep);
  if (parts[0] === 'libs') return `libs/${parts[1]}`;
  const [feature, sub] = parts.slice(3);
  if (feature === 'tickets' && sub === 'settings') return 'tickets/settings';
  return feature.endsWith('.ts') ? 'app' : feature;
}

const sources = SOURCES.flatMap(files).map((path) => ({ path, module: moduleOf(path), text: readFileSync(join(ROOT, path), 'utf8') }));

const tableOwner = new Map(Object.entries(TABLES_WITHOUT_ENTITY));
const entityOwner = new Map();
for (const { module, text } of sources) {
  const entities = [...text.matchAll(/@Entity\(\s*\{\s*name:\s*'([a-z_]+)'\s*\}\s*\)\s*export class (\w+)/g)];
  // An entity declared another way would have no owner: every table must be read here.
  if (entities.length !== (text.match(/@Entity\(/g) ?? []).length) throw new Error(`${module}: an @Entity this check cannot read; write @Entity({ name: '<table>' }) export class …`);
  for (const [, table, name] of entities) {
    tableOwner.set(table, module);
    entityOwner.set(name, module);
  }
}

const SQL_TABLE = /\b(DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|FROM|JOIN|INTO|UPDATE|USING)\s+(?:ONLY\s+)?(?:public\.)?"?([a-z_][a-z0-9_]*)\b/g;
const ORM_ENTITY = /(?:\.|@)(getRepository|InjectRepository|find\w*|exists\w*|count\w*|sum|average|minimum|maximum|update|insert|delete|softDelete|restore|remove|softRemove|preload|increment|decrement|save|upsert|createQueryBuilder|from|into|innerJoin\w*|leftJoin\w*)\(\s*([A-Z]\w+)\s*[,)]/g;
const WRITES = new Set(['INTO', 'UPDATE', 'update', 'insert', 'delete', 'softDelete', 'restore', 'remove', 'softRemove', 'increment', 'decrement', 'save', 'upsert', 'into']);
const isWrite = (verb) => WRITES.has(verb) || /^(DELETE|TRUNCATE)/.test(verb);

const problems = [];
for (const { path, module, text } of sources) {
  const lines = text.split('\n');
  const report = (index, verb, table, owner) => {
    const line = text.slice(0, index).split('\n').length;
    const reason = ALLOWED_READS.get(`${module} → ${table}`);
    if (reason && !isWrite(verb)) return;
    problems.push(`${path}:${line}: ${module} ${isWrite(verb) ? 'writes' : 'reads'} ${table}, owned by ${owner}: ${lines[line - 1].trim().slice(0, 100)}`);
  };
  for (const match of text.matchAll(SQL_TABLE)) {
    const owner = tableOwner.get(match[2]);
    if (owner && owner !== module) report(match.index, match[1], match[2], owner);
  }
  for (const match of text.matchAll(ORM_ENTITY)) {
    const owner = entityOwner.get(match[2]);
    if (owner && owner !== module) report(match.index, match[1], match[2], owner);
  }
}

if (problems.length > 0) {
  process.stderr.write(`${problems.length} table(s) touched outside their owning module:\n${problems.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`tables: ${tableOwner.size} tables, each touched only by its owner\n`);
