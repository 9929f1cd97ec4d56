import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { currentDeadline } from '@app/database';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { dialectFor } from './error-dialects';
import { Problem, toProblem } from './problem';

// The one place errors become responses. Unexpected errors are logged with their stack and
// answered with a 500 that names the request id and leaks nothing else.
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();

    let problem = toProblem(exception);
    if (!problem) {
      const message = `unexpected error on ${request.method} ${request.routeOptions?.url ?? 'unknown route'}`;
      // pino-http's logger for this request carries its id. Under Fastify, `raw.log` is Fastify's
      // own (disabled) logger, so pino-http's is the last of `allLogs`.
      const requestLog = (request.raw as { allLogs?: RequestLog[] }).allLogs?.at(-1);
      if (requestLog) requestLog.error({ err: exception }, message);
      else this.logger.error(message, exception instanceof Error ? exception.stack : String(exception));
      problem = internalProblem(String(request.id));
    }

    // The request's deadline has answered it already (503); what its work ran into since is moot.
    if (currentDeadline()?.expired) return;
    sendProblem(request, reply, problem);
  }
}

// Errors Fastify's router meets before any route runs (a path parameter longer than it takes, a
// URL it cannot decode): answered in the endpoint's dialect as well, not in Fastify's own body.
export function frameworkErrorHandler(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  sendProblem(request, reply, toProblem(error) ?? internalProblem(String(request.id)));
}

// The problem as the endpoint's dialect writes it; also for answers made outside Nest's handlers.
export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem): void {
  if (problem.retryAfterSeconds !== undefined) void reply.header('Retry-After', String(problem.retryAfterSeconds));
  if (problem.status === 401) void reply.header('WWW-Authenticate', 'Bearer realm="helpdesk", Basic realm="helpdesk"');
  const { status, body } = dialectFor(request.url).render(problem);
  void reply.status(status).header('X-Error-Code', problem.code).header('Content-Type', 'application/json; charset=utf-8').send(body);
}

interface RequestLog {
  error(object: object, message: string): void;
}

function internalProblem(requestId: string): Problem {
  return { status: 500, code: 'INTERNAL', message: `internal error; request id ${requestId}` };
}
