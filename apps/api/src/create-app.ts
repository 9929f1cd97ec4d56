import type { IncomingMessage } from 'node:http';
import fastifyFormbody from '@fastify/formbody';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { bodyTooDeep, frameworkErrorHandler, isRawBodyRoute, MAX_BODY_DEPTH, Messages, nestsDeeperThan, ValidationError } from '@app/common';
import { AppConfig } from '@app/config';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import secureJson from 'secure-json-parse';
import { AppModule } from './app.module';
import { ApiKeysService } from './auth/api-keys.service';
import { uploadTempDir } from './files/file-storage';
import { registerMultipartUploadParser } from './files/multipart-upload.parser';
import { requestIdFor } from './logging';

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
    frameworkErrors: frameworkErrorHandler,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, options.logStream), adapter, {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));

  const fastify = app.getHttpAdapter().getInstance();
  registerJsonParser(fastify);
  // pusher-js posts its channel-authorisation form urlencoded.
  await app.register(fastifyFormbody);
  const apiKeys = app.get(ApiKeysService);
  registerMultipartUploadParser(fastify, {
    maxFileBytes: config.FILES_MAX_BYTES,
    tempDir: uploadTempDir(config.FILES_DIR),
    // The guard then finds the principal already there.
    authenticate: async (request) => {
      request.principal = await apiKeys.principalFor(request.headers.authorization);
    },
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id);
    done();
  });
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
  setupOpenApi(app);

  await app.init();
  await fastify.ready();
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
      if (nestsDeeperThan(parsed, MAX_BODY_DEPTH)) return done(bodyTooDeep());
      // Text PostgreSQL cannot store is refused here rather than failing deep in a query.
      const unstorable = findUnstorable(parsed);
      if (unstorable !== null && NUL.test(unstorable)) {
        return done(ValidationError.of('_', 'the body must not contain NUL characters', 'NUL_IN_BODY'));
      }
      if (unstorable !== null) {
        return done(ValidationError.of('_', 'the body must not contain unpaired UTF-16 surrogates', 'LONE_SURROGATE_IN_BODY'));
      }
      done(null, parsed);
    },
  );
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
      .addBearerAuth()
      .addBasicAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

// NUL, which PostgreSQL text cannot hold; half of a UTF-16 surrogate pair, which jsonb refuses and
// UTF-8 cannot encode (text would silently store U+FFFD instead).
const NUL = /\0/;
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// The first key or string of the body holding either, in one walk over it; null when none does.
function findUnstorable(value: unknown): string | null {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? value : null;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findUnstorable(item);
      if (found !== null) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = UNSTORABLE.test(key) ? key : findUnstorable(item);
      if (found !== null) return found;
    }
  }
  return null;
}
