import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { UnauthenticatedError, ValidationError } from '@app/common';
import type { FastifyRequest } from 'fastify';
import { PusherService } from '../live/pusher.service';
import { WebhookErrorCode } from './pusher-webhooks.errors';

// What Pusher sends, and what the official package's webhook() check accepts, plus the charset
// that check alone refuses.
const JSON_CONTENT_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

// Lets a webhook through only when Pusher signed it: X-Pusher-Key is one of the app's keys (the
// current one or one of a rotation) and X-Pusher-Signature the lowercase hex HMAC-SHA256 of the
// body's exact bytes with its secret, checked by the official package's token (constant time).
// Runs before anything parses the body (the route's JSON is left unparsed: RAW_BODY_ROUTE).
@Injectable()
export class PusherWebhookGuard implements CanActivate {
  constructor(private readonly pusher: PusherService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const key = single(request.headers['x-pusher-key']);
    const signature = single(request.headers['x-pusher-signature']);
    if (!key || !signature) {
      throw new UnauthenticatedError(WebhookErrorCode.SignatureMissing, 'X-Pusher-Key and X-Pusher-Signature must be set');
    }
    const token = this.pusher.webhookToken(key);
    if (!token) throw new UnauthenticatedError(WebhookErrorCode.KeyUnknown, 'X-Pusher-Key is not a key of this Pusher app');
    if (!token.verify(request.rawBody ?? Buffer.alloc(0), signature)) {
      throw new UnauthenticatedError(WebhookErrorCode.SignatureInvalid, 'X-Pusher-Signature does not match the body');
    }
    const contentType = request.headers['content-type']?.toLowerCase().trim();
    if (!contentType || !JSON_CONTENT_TYPES.has(contentType)) {
      throw ValidationError.of('Content-Type', 'must be application/json', WebhookErrorCode.ContentType);
    }
    return true;
  }
}

function single(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && header !== '' ? header : undefined;
}
