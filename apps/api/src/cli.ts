import { InvalidConfigError, loadAppConfig } from '@app/config';
import { openDatabaseServer } from '@app/database';
import { parseCommand, USAGE, UsageError } from './cli-commands';

// `npm run cli -- <command>`: works against the service's database, the embedded default included,
// whether or not the service is running (it joins a running embedded server, or starts one).
async function main(): Promise<number> {
  const config = loadAppConfig();
  // Help and usage errors need no database server.
  const command = parseCommand(process.argv.slice(2));
  if (!command) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const opening = openDatabaseServer(config, (message) => process.stderr.write(`${message}\n`));
  // Interrupted (Ctrl-C, or a SIGTERM forwarded by npm), even while the server starts: stop an
  // embedded server this process started, then end as the signal would have (130, 143). A
  // repeated signal (Ctrl-C under npm brings two) changes nothing.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      void opening.then((database) => database.stop()).finally(() => process.exit(code));
    });
  }
  const database = await opening;
  config.DATABASE_URL = database.url;
  try {
    await command.run(config, { out: (line) => process.stdout.write(`${line}\n`) });
    return 0;
  } finally {
    await database.stop();
  }
}

// Once interrupted, the signal's handler sets the exit status, whatever the command then does.
let interrupted = false;

main().then(
  (code) => interrupted || process.exit(code),
  (error: unknown) => {
    if (interrupted) return;
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${(error as Error).message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    if (error instanceof InvalidConfigError) process.stderr.write(`${error.message}\n`);
    else process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
