import type { IncomingMessage } from 'node:http';
import fastifyCors from '@fastify/cors';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { bodyTooDeep, frameworkErrorHandler, hasUnstorableText, isRawBodyRoute, MAX_BODY_DEPTH, Messages, ValidationError } from '@app/common';
import { AppConfig, trustedProxy } from '@app/config';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import secureJson from 'secure-json-parse';
import { AppModule } from './app.module';
import { ApiKeysService } from './auth/api-keys.service';
import { ConversationsService } from './conversations/conversations.service';
import { registerRequestDeadline, slowClientOptions } from './http-timeouts';
import { registerInboundEmailParser } from './email/inbound/inbound-email-body';
import { uploadTempDir } from './files/file-storage';
import { registerMultipartUploadParser } from './files/multipart-upload.parser';
import { NestLogger, requestIdFor } from './logging';
import { addCommonResponses } from './common-responses.openapi';
import { METRICS_SECURITY } from './metrics/metrics.openapi';
import { MetricsService } from './metrics/metrics.service';

declare module 'fastify' {
  interface FastifyRequest {
    // The body's exact bytes, for signature checks (the Pusher webhook).
    rawBody?: Buffer;
  }
}

// The app as main.ts serves it and as the end-to-end tests call it: one place for both.
export interface CreateAppOptions {
  // Where log lines go; stdout by default.
  logStream?: DestinationStream;
}

export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    // JSON and form bodies; multipart uploads have their own limit, FILES_MAX_BYTES.
    bodyLimit: config.HTTP_BODY_MAX_BYTES,
    // HighLevel's clients post to /conversations/ with its trailing slash.
    routerOptions: { ignoreTrailingSlash: true },
    genReqId: (request: IncomingMessage) => requestIdFor(request),
    // X-Forwarded-* are believed only from the proxies TRUST_PROXY names (none by default).
    trustProxy: config.TRUST_PROXY === 'false' ? false : trustedProxy(config),
    ...slowClientOptions(config),
    // A request that reached the service on a connection it had accepted before shutdown began is
    // served (its answer then closes the connection, see onSend below), not refused with Fastify's
    // own 503 body: only connections not yet accepted are turned away.
    return503OnClosing: false,
    // Errors Fastify's router meets before any route are answered in the endpoint's dialect too.
    frameworkErrors: frameworkErrorHandler,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, options.logStream), adapter, {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(new NestLogger(app.get(Logger)));

  const fastify = app.getHttpAdapter().getInstance();
  registerJsonParser(fastify);
  registerInboundEmailParser(fastify, config.FILES_MAX_BYTES);
  // pusher-js posts its channel-authorisation form urlencoded.
  await app.register(fastifyFormbody);
  const apiKeys = app.get(ApiKeysService);
  const conversations = app.get(ConversationsService);
  registerMultipartUploadParser(fastify, {
    maxFileBytes: config.FILES_MAX_BYTES,
    tempDir: uploadTempDir(config.FILES_DIR),
    authenticate: async (request, credential) => {
      // A customer's upload: an unknown token is the 404 of every token route.
      if (credential === 'conversationToken') return conversations.findByToken((request.params as { token?: string }).token ?? '');
      // The guard then finds the principal already there.
      request.principal = await apiKeys.principalFor(request.headers.authorization);
    },
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id);
    done();
  });
  registerRequestDeadline(fastify, config.HTTP_REQUEST_TIMEOUT_MS);
  // Once shutdown starts, answers to requests still in flight close their connection, so a client
  // holding it open does not keep the process waiting.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('Connection', 'close');
    done(null, payload);
  });
  app.get(MetricsService).instrument(fastify);
  await registerBrowserProtections(app, config);
  setupOpenApi(app);

  await app.init();
  await fastify.ready();
  // Nest holds its own lines (bufferLogs) until listen(); the tests' apps never listen, and a start's
  // lines then come before "listening" rather than after it.
  app.flushLogs();
  return app;
}

// Keeps the raw bytes, refuses prototype poisoning, and turns bad JSON into a 400 in the
// endpoint's own dialect (the error filter renders it) instead of Fastify's default body.
function registerJsonParser(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done: (error: Error | null, body?: unknown) => void) => {
      request.rawBody = body;
      if (body.length === 0 || isRawBodyRoute(request.routeOptions.config)) return done(null, undefined);
      let parsed: unknown;
      try {
        parsed = secureJson.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' });
      } catch {
        return done(ValidationError.of('_', `the body ${Messages.json}`, 'MALFORMED_JSON'));
      }
      // Refused here rather than failing deep in a validator or a query.
      const problem = bodyProblem(parsed);
      if (problem) return done(problem);
      done(null, parsed);
    },
  );
}

// Helmet's headers on every answer. Its default CSP suits the one HTML this service serves, the
// Swagger UI at /docs (its scripts and styles are files of this origin, plus inline styles);
// downloads set a stricter one of their own. No upgrade-insecure-requests: /docs is also read over
// plain HTTP on loopback. CORS only for the configured dashboard origins: any other origin (or
// none configured) gets no CORS headers at all, preflights included.
async function registerBrowserProtections(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
  const origins = new Set(config.CORS_ORIGINS?.split(',').map((origin) => origin.trim()) ?? []);
  if (origins.size === 0) return;
  await app.register(fastifyCors, {
    origin: (origin: string | undefined, callback: (error: Error | null, allow: string | false) => void) =>
      callback(null, origin !== undefined && origins.has(origin) ? origin : false),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'Version', 'X-Request-Id', 'X-Socket-Id'],
    exposedHeaders: [
      'X-Request-Id',
      'ETag',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'RateLimit-Policy',
      'Retry-After',
      'X-Error-Code',
      'X-RateLimit-Limit-Daily',
      'X-RateLimit-Daily-Remaining',
      'X-RateLimit-Interval-Milliseconds',
      'X-RateLimit-Max',
      'X-RateLimit-Remaining',
      'Content-Disposition',
    ],
    maxAge: 600,
  });
}

function setupOpenApi(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Helpdesk conversation backend')
      .setDescription(
        'Teamwork Desk API v2 dialect under /desk/api/v2 (paths end in .json), and HighLevel\'s Conversations API ' +
          'under /conversations (tag "HighLevel Conversations", Version header required). ' +
          'Authenticate with Authorization: Bearer <api key> (or, in the Desk dialect, Basic base64(<api key>:x)).',
      )
      .setVersion('0.1.0')
      // Relative: the document describes the server that serves it, wherever that is.
      .addServer('/', 'This service')
      .addBearerAuth()
      .addBasicAuth()
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, for GET /metrics only' }, METRICS_SECURITY)
      .build(),
  );
  // Not open source (package.json: UNLICENSED); OpenAPI wants a license named.
  document.info.license = { name: 'Proprietary (UNLICENSED)' };
  addCommonResponses(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

// NUL, which PostgreSQL text cannot hold (see hasUnstorableText for the rest).
const NUL = /\0/;
// Nesting past MAX_BODY_DEPTH, or a key or string holding text PostgreSQL cannot store; null when
// the body has neither. One walk, over a stack rather than by recursion (see MAX_BODY_DEPTH).
function bodyProblem(body: unknown): ValidationError | null {
  const pending: [unknown, number][] = [[body, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value === 'string') {
      if (hasUnstorableText(value)) return unstorable(value);
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) return bodyTooDeep();
    // Pushed last first, so the first problem in the body's order is the one found.
    const items: unknown[] = Array.isArray(value) ? value : Object.entries(value).flat();
    for (let i = items.length - 1; i >= 0; i--) pending.push([items[i], depth + 1]);
  }
  return null;
}

function unstorable(text: string): ValidationError {
  return NUL.test(text)
    ? ValidationError.of('_', 'the body must not contain NUL characters', 'NUL_IN_BODY')
    : ValidationError.of('_', 'the body must not contain unpaired UTF-16 surrogates', 'LONE_SURROGATE_IN_BODY');
}
