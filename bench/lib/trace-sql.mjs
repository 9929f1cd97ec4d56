// Preloaded into the service (node --import) by `npm run bench -- --trace-sql FILE`: appends every
// statement the service sends through `pg` to FILE, one JSON line each ({t, sql, params}). A tool
// for reading which statements an endpoint runs, when writing or checking a floor; a traced run's
// figures mean nothing (a synchronous write per statement).
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';

const file = process.env.BENCH_TRACE_SQL_FILE;
if (file) {
  // The service's own copy of pg (CommonJS, cached): patching it here patches what TypeORM uses.
  const pg = createRequire(path.join(process.cwd(), 'package.json'))('pg');
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function traced(config, values, callback) {
    const sql = typeof config === 'string' ? config : config?.text;
    const params = Array.isArray(values) ? values : config?.values;
    if (sql) {
      const shown = (params ?? []).map((p) => (typeof p === 'string' && p.length > 200 ? `${p.slice(0, 200)}…` : p));
      appendFileSync(file, `${JSON.stringify({ t: Date.now(), sql: sql.replace(/\s+/g, ' ').trim(), params: shown })}\n`);
    }
    return original.call(this, config, values, callback);
  };
}
