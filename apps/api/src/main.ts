import { setTimeout as delay } from 'node:timers/promises';
import { InvalidConfigError, loadAppConfig } from '@app/config';
import { openDatabaseServer } from '@app/database';
import pino, { Logger } from 'pino';
import { createApp } from './create-app';

const SHUTDOWN_DEADLINE_MS = 25_000;
// After a stop signal the service keeps accepting this long before it closes its listening socket:
// closing it resets the connections the kernel has accepted but the process has not taken yet, and
// those requests were sent before the signal. Requests that arrive meanwhile are served as usual.
const ACCEPT_DRAIN_MS = 200;
const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

// What a stop signal closes, last opened first: the app (stop accepting, let in-flight requests
// finish, close the pool), then an embedded database server.
class Shutdown {
  private readonly closers: (() => Promise<unknown>)[] = [];
  private received: string | undefined;
  private listening = false;
  private closing = false;

  constructor(private readonly log: Logger) {
    // Listening from the first moment (a signal while starting is acted on once started), and for
    // good: Ctrl-C under npm brings SIGINT twice (the terminal's and npm's forwarded copy), and a
    // second one must not kill the process midway with its default action.
    for (const signal of STOP_SIGNALS) process.on(signal, () => this.signalled(signal));
  }

  add(close: () => Promise<unknown>): void {
    this.closers.unshift(close);
  }

  // Started: a signal stops the service from now on, one received meanwhile at once.
  ready(): void {
    this.listening = true;
    if (this.received) void this.run(this.received);
  }

  private signalled(signal: string): void {
    if (this.received) return;
    this.received = signal;
    this.log.info(`${signal} received: shutting down`);
    if (this.listening) void this.run(signal);
  }

  private async run(signal: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // A stuck close (a request that never ends) must not keep the process forever.
    setTimeout(() => {
      this.log.error(`shutdown after ${signal} took over ${SHUTDOWN_DEADLINE_MS} ms: exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    try {
      for (const close of this.closers) await close();
      this.log.info('shut down cleanly');
      process.exit(0);
    } catch (error) {
      this.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

async function main(): Promise<void> {
  const config = loadAppConfig();
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'helpdesk-api' } });
  const shutdown = new Shutdown(log);

  const database = await openDatabaseServer(config, (message) => log.info(message));
  shutdown.add(() => database.stop());
  config.DATABASE_URL = database.url;
  try {
    const app = await createApp(config);
    shutdown.add(async () => {
      await delay(ACCEPT_DRAIN_MS);
      await app.close();
    });
    await app.listen({ port: config.PORT, host: config.HOST });
    log.info(`listening on ${await app.getUrl()} (OpenAPI at /docs)`);
    // Reachable from elsewhere, yet links would name loopback: say so once.
    if (!config.PUBLIC_BASE_URL && config.TRUST_PROXY === 'false' && !isLoopback(config.HOST)) {
      log.warn(`PUBLIC_BASE_URL is not set: links the service writes (HighLevel's attachment URLs) start with http://127.0.0.1:${config.PORT}`);
    }
  } catch (error) {
    // Leave no embedded server behind when the service cannot start.
    await database.stop();
    throw error;
  }
  shutdown.ready();
}

main().catch((error: unknown) => {
  if (error instanceof InvalidConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
