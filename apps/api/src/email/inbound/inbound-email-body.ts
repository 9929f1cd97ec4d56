import { UnsupportedMediaTypeError } from '@app/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';

// The route that takes a raw MIME message: its body stays bytes (a mail's parts may be in any
// charset), up to its own limit.
export const INBOUND_EMAIL_ROUTE = { inboundEmail: true } as const;

const isInboundEmailRoute = (config: unknown) => (config as { inboundEmail?: boolean } | undefined)?.inboundEmail === true;

// message/rfc822, and text/plain as some inbound-parse hooks post it, as a Buffer on the inbound
// route, whose body limit is `maxBytes`; elsewhere text/plain is a string, as Fastify reads it,
// within the global limit. Registered before Nest adds its routes (app.init), so onRoute sees them.
export function registerInboundEmailParser(fastify: FastifyInstance, maxBytes: number): void {
  fastify.addHook('onRoute', (route) => {
    if (isInboundEmailRoute(route.config)) route.bodyLimit = maxBytes;
  });
  fastify.addContentTypeParser('message/rfc822', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done) => {
    if (!isInboundEmailRoute(request.routeOptions.config)) return done(new UnsupportedMediaTypeError('UNSUPPORTED_MEDIA_TYPE', 'message/rfc822 is read only by inbound/email.json'));
    done(null, body);
  });
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done) => {
    done(null, isInboundEmailRoute(request.routeOptions.config) ? body : body.toString('utf8'));
  });
}
