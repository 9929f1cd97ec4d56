import { UnsupportedMediaTypeError } from '@app/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';

// The route that takes a raw MIME message: its body stays bytes (a mail's parts may be in any
// charset), up to its own limit.
export const INBOUND_EMAIL_ROUTE = { inboundEmail: true } as const;

const isInboundEmailRoute = (request: FastifyRequest) => (request.routeOptions.config as { inboundEmail?: boolean } | undefined)?.inboundEmail === true;

// message/rfc822 (and text/plain, as some inbound-parse hooks post it) as a Buffer on the inbound
// route, up to `maxBytes`; text/plain elsewhere as Fastify reads it, a string within `defaultMaxBytes`.
export function registerInboundEmailParser(fastify: FastifyInstance, maxBytes: number, defaultMaxBytes: number): void {
  const limit = Math.max(maxBytes, defaultMaxBytes);
  fastify.addContentTypeParser('message/rfc822', { parseAs: 'buffer', bodyLimit: maxBytes }, (request: FastifyRequest, body: Buffer, done) => {
    if (!isInboundEmailRoute(request)) return done(new UnsupportedMediaTypeError('UNSUPPORTED_MEDIA_TYPE', 'message/rfc822 is read only by inbound/email.json'));
    done(null, body);
  });
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('text/plain', { parseAs: 'buffer', bodyLimit: limit }, (request: FastifyRequest, body: Buffer, done) => {
    if (isInboundEmailRoute(request)) return body.length > maxBytes ? done(tooLarge()) : done(null, body);
    if (body.length > defaultMaxBytes) return done(tooLarge());
    done(null, body.toString('utf8'));
  });
}

function tooLarge(): Error {
  return Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
}
