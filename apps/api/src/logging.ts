import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { IncomingMessage } from 'node:http';
import { AppConfig } from '@app/config';
import { redactSecrets } from '@app/common';
import type { LoggerService } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Options } from 'pino-http';

// A caller's X-Request-Id is kept when it is a sane token; otherwise the service makes one.
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
}

const SECURITY_HEADERS = new Set([
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
]);

// JSON lines through pino, one per request with its id. Credentials never reach a line: the
// headers that carry them are censored, and anything shaped like a key or token is redacted
// from URLs (the widget's token travels in its path) and every other header. `stream` defaults to stdout.
export function loggerParams(config: AppConfig, stream?: DestinationStream): Params {
  const options: Options = {
    level: config.LOG_LEVEL,
    // Fastify has already chosen the id (see create-app.ts); middie copies it onto the raw request.
    genReqId: (request) => (request as IncomingMessage & { id?: string }).id ?? requestIdFor(request),
    // On every line from the root logger (pino-http's customProps would build a child per request).
    base: { pid: process.pid, hostname: hostname(), service: 'helpdesk-api' },
    serializers: {
      req: (request: { id: string; method: string; url: string; headers: Record<string, unknown> }) => ({
        id: request.id,
        method: request.method,
        url: redactSecrets(request.url),
        headers: loggedHeaders(request.headers),
      }),
      // Helmet's headers are the same on every answer: logged, they would double each line.
      res: (response: { statusCode: number; headers: Record<string, unknown> }) => ({
        statusCode: response.statusCode,
        headers: loggedHeaders(Object.fromEntries(Object.entries(response.headers ?? {}).filter(([name]) => !SECURITY_HEADERS.has(name)))),
      }),
    },
    // A client's mistake (4xx) is the client's to see in its answer, not the operator's to act on.
    customLogLevel: (_request, response, error) => (error || response.statusCode >= 500 ? 'error' : 'info'),
    // pino-http makes up an Error for every 5xx it was not handed one for; its stack is pino-http's
    // own, not the request's. A 503 the service chose to answer (PUSHER_NOT_CONFIGURED, a deadline)
    // is then one line without a stack; an unexpected error's stack is logged by HttpErrorFilter.
    customErrorObject: (_request, response, error, value: Record<string, unknown>) =>
      isMadeUpError(error, response.statusCode) ? Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'err')) : value,
    autoLogging: { ignore: (request) => request.url === '/health' },
  };
  return { pinoHttp: stream ? [options, stream] : options };
}

// Headers named for a credential, whatever the client calls it (Authorization, X-API-Key,
// X-Auth-Token, Cookie, X-Conversation-Token, X-Pusher-Signature, Idempotency-Key, …).
const CREDENTIAL_HEADER = /auth|key|token|secret|signature|cookie|session|passw|credential/i;
// A scheme's credentials in any other header (a Referer or a header of the client's own).
const SCHEME_CREDENTIALS = /\b(Basic|Bearer|Digest|Token)\s+[^\s,;]+/gi;

// Every header as logged: a credential header's value censored, any other's with keys, tokens
// and scheme credentials redacted wherever they stand in it.
function loggedHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name, CREDENTIAL_HEADER.test(name) ? '[REDACTED]' : redactHeaderValue(value)]),
  );
}

function redactHeaderValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactHeaderValue);
  return typeof value === 'string' ? redactSecrets(value).replace(SCHEME_CREDENTIALS, '$1 [REDACTED]') : value;
}

function isMadeUpError(error: Error, statusCode: number): boolean {
  return error.message === `failed with status code ${statusCode}`;
}

// Nest's own start-up lines: one per module and one per route, about 150 in all. At debug, so a
// start at info is a handful of lines (migrations, a missing Pusher, where it listens).
const START_UP_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

// The app's Nest logger (nestjs-pino's), with Nest's start-up lines moved to debug.
export class NestLogger implements LoggerService {
  constructor(private readonly logger: Required<Pick<LoggerService, 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal'>>) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams.at(-1);
    if (typeof context === 'string' && START_UP_CONTEXTS.has(context)) this.logger.debug(message, ...optionalParams);
    else this.logger.log(message, ...optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.logger.error(message, ...optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.logger.warn(message, ...optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.logger.debug(message, ...optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.logger.verbose(message, ...optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.logger.fatal(message, ...optionalParams);
  }
}
