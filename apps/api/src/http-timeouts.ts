import type { ServerOptions } from 'node:http';
import { DeadlineExceededError, RequestDeadline, runWithDeadline } from '@app/database';
import { sendProblem, toProblem } from '@app/common';
import { AppConfig } from '@app/config';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    // This request's time budget and the timer that answers when it runs out.
    deadline?: RequestDeadline;
    deadlineTimer?: NodeJS.Timeout;
  }
}

// Slow-client protection, as Fastify server options: Node answers 408 and closes a connection whose
// request headers are not in after HTTP_HEADERS_TIMEOUT_MS, or whose whole request (body too) is
// not in after HTTP_BODY_TIMEOUT_MS. Node looks at its connections on an interval, which must be
// finer than those timeouts for them to hold (its default, 30 s, would add up to 30 s to each).
export function slowClientOptions(config: AppConfig): {
  http: ServerOptions;
  requestTimeout: number;
  keepAliveTimeout: number;
} {
  // Node refuses a headers timeout above the request's; the whole request's budget bounds its headers too.
  const headersTimeout = Math.min(config.HTTP_HEADERS_TIMEOUT_MS, config.HTTP_BODY_TIMEOUT_MS);
  const connectionsCheckingInterval = Math.min(1000, Math.max(25, Math.floor(headersTimeout / 4)));
  return {
    http: { headersTimeout, requestTimeout: config.HTTP_BODY_TIMEOUT_MS, connectionsCheckingInterval },
    // Fastify sets the server's requestTimeout from its own option, over the one above.
    requestTimeout: config.HTTP_BODY_TIMEOUT_MS,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
  };
}

// HTTP_REQUEST_TIMEOUT_MS: a request whose work is not done in time is answered 503 in its dialect,
// unless a transaction of it has begun to commit (then its own answer follows, however late); its
// transactions then roll back (Database). The clock starts once the request is received, at
// preValidation: receiving it is the slow-client timeouts' business, so an upload gets the same
// budget for its work as any request, whatever the time its bytes took to arrive.
export function registerRequestDeadline(fastify: FastifyInstance, timeoutMs: number): void {
  fastify.addHook('preValidation', (request, reply, done) => {
    const deadline = new RequestDeadline(Date.now() + timeoutMs);
    request.deadline = deadline;
    request.deadlineTimer = setTimeout(() => answerTimedOut(request, reply, deadline), timeoutMs).unref();
    runWithDeadline(deadline, done);
  });
  // Entered again for the handler, whatever context the hooks between ran their callbacks in.
  fastify.addHook('preHandler', (request, _reply, done) => {
    if (request.deadline) runWithDeadline(request.deadline, done);
    else done();
  });
  // Once the handler's answer is on its way the deadline stands down (for the deadline's own 503,
  // already expired, this changes nothing) and its timer goes.
  fastify.addHook('onSend', (request, _reply, payload, done) => {
    request.deadline?.finish();
    clearTimeout(request.deadlineTimer);
    done(null, payload);
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    clearTimeout(request.deadlineTimer);
    done();
  });
}

function answerTimedOut(request: FastifyRequest, reply: FastifyReply, deadline: RequestDeadline): void {
  // Answered already, or a transaction is committing: the request finishes as it would have.
  if (reply.sent || reply.raw.headersSent || !deadline.expire()) return;
  sendProblem(request, reply, toProblem(new DeadlineExceededError())!);
}
