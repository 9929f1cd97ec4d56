import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { InvalidConfigError, loadAppConfig } from '@app/config';
import { openDatabaseServer } from '@app/database';
import pino from 'pino';
import { createApp } from './create-app';

const SHUTDOWN_DEADLINE_MS = 25_000;

async function main(): Promise<void> {
  const config = loadAppConfig();
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'helpdesk-api' } });

  const database = await openDatabaseServer(config, (message) => log.info(message));
  config.DATABASE_URL = database.url;
  let app: NestFastifyApplication;
  try {
    app = await createApp(config);
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    // Leave no embedded server behind when the service cannot start.
    await database.stop();
    throw error;
  }
  log.info(`listening on ${await app.getUrl()} (OpenAPI at /docs)`);

  // Stop accepting, let in-flight requests finish, close the pool, stop an embedded server, exit 0.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received: shutting down`);
    // In-flight requests get this long; a stuck close must not keep the process forever.
    setTimeout(() => {
      log.error(`shutdown took over ${SHUTDOWN_DEADLINE_MS} ms: exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    try {
      await app.close();
      await database.stop();
      log.info('shut down cleanly');
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof InvalidConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
