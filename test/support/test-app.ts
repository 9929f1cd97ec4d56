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
import { recordEnvSecrets, recordSecret, testRunDir } from './secret-leaks';
import { createDatabase, withDatabase } from './test-database';

export interface TestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  // Straight to the database, for arranging and for asserting what a request left behind.
  db: DataSource;
  databaseUrl: string;
  // Where this app logs (see createTestApp); absent for an app a spec gave a log stream of its own.
  logFile?: string;
  close(): Promise<void>;
}

// A fresh database for this spec file, cloned from the migrated template, and the real app on it.
export async function createTestDatabase(): Promise<string> {
  const serverUrl = process.env.TEST_DB_SERVER_URL;
  const template = process.env.TEST_DB_TEMPLATE;
  const prefix = process.env.TEST_DB_PREFIX;
  if (!serverUrl || !template || !prefix) throw new Error('run the tests through jest: test/global-setup.ts prepares the database');
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await createDatabase(serverUrl, name, template);
  return withDatabase(serverUrl, name);
}

// No test sends to the real Pusher: unless a spec points the app at its fake (test/support/
// pusher-server.ts), Pusher is a closed port on loopback.
const LOCAL_PUSHER = { PUSHER_HOST: '127.0.0.1', PUSHER_PORT: '1', PUSHER_USE_TLS: 'false' };

// The Desk dialect's limits (120 requests a minute per key) are below what one spec file sends as
// one tenant; test/rate-limits.e2e-spec.ts sets its own.
const UNLIMITED_DESK = { DESK_RATE_LIMIT_PER_KEY: '1000000000', DESK_RATE_LIMIT_PER_TENANT: '1000000000' };

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  return createTestAppOn(await createTestDatabase(), env);
}

// Another app on a database a test app already uses: several processes of one deployment.
// Every test app logs at debug (TEST_LOG_LEVEL to change) to a file of its own under the run's
// directory, which the run's end greps for every secret the tests used (test/global-teardown.ts).
// The secrets the app is configured with or issues are recorded as they appear.
export async function createTestAppOn(databaseUrl: string, env: Record<string, string> = {}): Promise<TestApp> {
  recordEnvSecrets(env);
  const config = loadAppConfig({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'debug',
    ...LOCAL_PUSHER,
    ...UNLIMITED_DESK,
    ...env,
    DATABASE_URL: databaseUrl,
  });
  const logFile = join(testRunDir() ?? '.data', 'logs', `${process.pid}-${randomBytes(4).toString('hex')}.log`);
  const logStream = pino.destination({ dest: logFile, sync: false, mkdir: true, minLength: 8 * 1024 });
  await once(logStream, 'ready');
  const app = await createApp(config, { logStream });
  recordIssuedSecrets(app);
  return {
    app,
    http: request(app.getHttpServer()),
    db: app.get(DataSource),
    databaseUrl,
    logFile,
    close: async () => {
      await app.close();
      logStream.end();
      await once(logStream, 'close');
    },
  };
}

// API keys (bootstrap, agents, the CLI, the API) and conversation tokens, whichever way they are issued.
function recordIssuedSecrets(app: NestFastifyApplication): void {
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
