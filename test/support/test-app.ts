import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadAppConfig } from '@app/config';
import pino from 'pino';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { ApiKeysService } from '../../apps/api/src/auth/api-keys.service';
import { ConversationsService } from '../../apps/api/src/conversations/conversations.service';
import { createApp } from '../../apps/api/src/create-app';
import { WebhookSecrets } from '../../apps/api/src/webhooks/webhook-secrets';
import { OpenApiResponses, validatingAgent } from './openapi-responses';
import { recordEnvSecrets, recordSecret, testRunDir } from './secret-leaks';
import { ServiceProcess, startRoundRobin, startServiceProcess } from './service-processes';
import { createDatabase, withDatabase } from './test-database';

export interface TestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  // Always the in-process app, for a test that watches that app's own internals during a request.
  inProcessHttp: TestAgent;
  // Straight to the database, for arranging and for asserting what a request left behind.
  db: DataSource;
  databaseUrl: string;
  // Where this app logs (see createTestApp); absent for an app a spec gave a log stream of its own.
  logFile?: string;
  // What a further app or CLI run needs to reach the same database the way this one does.
  databaseEnv: Record<string, string>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  // Requests go to the in-process app even when the run spreads them over service processes
  // (E2E_PROCESSES), for tests that depend on one process's own memory.
  inProcessHttp?: boolean;
}

// E2E_PROCESSES=n: `http` sends requests in turn to n service processes (the production build) on the
// same database and env, beside the in-process app (which tests still reach through `app` and `db`).
const PROCESSES = Number(process.env.E2E_PROCESSES ?? '1');

// A fresh database for this spec file, cloned from the migrated template, and the real app on it.
export async function createTestDatabase(): Promise<string> {
  return (await createTestDatabaseEnv()).DATABASE_URL;
}

// The new database's DATABASE_URL, and under E2E_PGBOUNCER that URL is PgBouncer's, with
// DATABASE_DIRECT_URL for the session work.
export async function createTestDatabaseEnv(): Promise<{ DATABASE_URL: string; DATABASE_DIRECT_URL?: string }> {
  const serverUrl = process.env.TEST_DB_SERVER_URL;
  const template = process.env.TEST_DB_TEMPLATE;
  const prefix = process.env.TEST_DB_PREFIX;
  if (!serverUrl || !template || !prefix) throw new Error('run the tests through jest: test/global-setup.ts prepares the database');
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await createDatabase(serverUrl, name, template);
  const direct = withDatabase(serverUrl, name);
  const pooler = process.env.TEST_DB_POOLER_URL;
  return pooler ? { DATABASE_URL: withDatabase(pooler, name), DATABASE_DIRECT_URL: direct } : { DATABASE_URL: direct };
}

// No test sends to the real Pusher: unless a spec points the app at its fake (test/support/
// pusher-server.ts), Pusher is a closed port on loopback.
const LOCAL_PUSHER = { PUSHER_HOST: '127.0.0.1', PUSHER_PORT: '1', PUSHER_USE_TLS: 'false' };

// The Desk dialect's limits (120 requests a minute per key) are below what one spec file sends as
// one tenant; test/rate-limits.e2e-spec.ts sets its own.
export const UNLIMITED_DESK = { DESK_RATE_LIMIT_PER_KEY: '1000000000', DESK_RATE_LIMIT_PER_TENANT: '1000000000' };

export async function createTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  return createTestAppOn(await createTestDatabaseEnv(), env, options);
}

// The app on a database (another app on a database a test app already uses is a further process of
// one deployment). It logs at debug (TEST_LOG_LEVEL to change) to a file of its own under the run's
// directory, which the run's end greps for every secret the tests used (test/global-teardown.ts);
// the secrets it is configured with or issues are recorded as they appear.
export async function createTestAppOn(
  databaseEnv: Record<string, string>,
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  recordEnvSecrets(env);
  const appEnv = { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'debug', ...LOCAL_PUSHER, ...UNLIMITED_DESK, ...env, ...databaseEnv };
  const spread = PROCESSES > 1 && !options.inProcessHttp;
  // The processes boot while the in-process app does; their output is not kept, so they log little.
  const processEnv = { ...appEnv, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn' };
  const booting = Promise.allSettled(Array.from({ length: spread ? PROCESSES : 0 }, () => startServiceProcess(processEnv)));
  const stopStarted = async () => {
    for (const started of await booting) if (started.status === 'fulfilled') await started.value.stop();
  };
  const logFile = join(testRunDir() ?? '.data', 'logs', `${process.pid}-${randomBytes(4).toString('hex')}.log`);
  const logStream = pino.destination({ dest: logFile, sync: false, mkdir: true, minLength: 8 * 1024 });
  await once(logStream, 'ready');
  // Flushed, not ended: nestjs-pino keeps the first app's logger of a process for every later app's
  // lines outside a request (a module-level logger), and writing to an ended stream throws.
  const closeLog = () => new Promise<void>((resolve) => logStream.flush(() => resolve()));
  const app = await createApp(loadAppConfig(appEnv), { logStream }).catch(async (error: unknown) => {
    await stopStarted();
    await closeLog();
    throw error;
  });
  recordIssuedSecrets(app);
  const responses = await openApiResponsesOf(app).catch(async (error: unknown) => {
    await stopStarted();
    await app.close();
    await closeLog();
    throw error;
  });
  const inProcessHttp = validatingAgent(request(app.getHttpServer()), responses);
  const base = { app, inProcessHttp, db: app.get(DataSource), databaseUrl: databaseEnv.DATABASE_URL, databaseEnv, logFile };
  const closeApp = async () => {
    await app.close();
    await closeLog();
  };
  if (!spread) return { ...base, http: inProcessHttp, close: closeApp };
  const booted = await booting;
  const failed = booted.find((started) => started.status === 'rejected');
  if (failed) {
    await stopStarted();
    await closeApp();
    throw failed.reason;
  }
  const services = booted.map((started) => (started as PromiseFulfilledResult<ServiceProcess>).value);
  const proxy = await startRoundRobin(services.map((service) => service.url));
  return {
    ...base,
    // supertest takes a URL as well as a server: the same API, over the network.
    http: validatingAgent(request(proxy.url) as unknown as TestAgent, responses),
    close: async () => {
      await proxy.close();
      await Promise.all(services.map((service) => service.stop()));
      await closeApp();
    },
  };
}

// A test app around an app a spec built itself (its own log stream, its own way to the database).
export async function testAppOf(app: NestFastifyApplication, databaseEnv: { DATABASE_URL: string; DATABASE_DIRECT_URL?: string }): Promise<TestApp> {
  const http = validatingAgent(request(app.getHttpServer()), await openApiResponsesOf(app));
  return { app, http, inProcessHttp: http, db: app.get(DataSource), databaseUrl: databaseEnv.DATABASE_URL, databaseEnv, close: () => app.close() };
}

// The document the app serves, read once, against which every response of its agents is checked.
async function openApiResponsesOf(app: NestFastifyApplication): Promise<OpenApiResponses> {
  const served = await app.inject({ method: 'GET', url: '/docs-json' });
  if (served.statusCode !== 200) throw new Error(`GET /docs-json answered ${served.statusCode}`);
  return new OpenApiResponses(served.json());
}

// API keys (bootstrap, agents, the CLI, the API), conversation tokens and webhook signing secrets,
// whichever way they are issued.
function recordIssuedSecrets(app: NestFastifyApplication): void {
  const webhookSecrets = app.get(WebhookSecrets);
  const issueSigningSecret = webhookSecrets.issue.bind(webhookSecrets);
  webhookSecrets.issue = () => {
    const issued = issueSigningSecret();
    recordSecret('webhook signing secret', issued.secret);
    return issued;
  };
  const apiKeys = app.get(ApiKeysService);
  const issueKey = apiKeys.issue.bind(apiKeys);
  apiKeys.issue = async (...args) => {
    const issued = await issueKey(...args);
    recordSecret('API key', issued.plaintext);
    return issued;
  };
  const conversations = app.get(ConversationsService);
  const issueToken = conversations.issueToken.bind(conversations);
  conversations.issueToken = async (...args) => {
    const issued = await issueToken(...args);
    recordSecret('conversation token', issued.token);
    return issued;
  };
}
