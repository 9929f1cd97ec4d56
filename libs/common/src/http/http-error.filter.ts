import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
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
      this.logger.error(
        { err: exception, reqId: request.id },
        `unexpected error on ${request.method} ${request.routeOptions?.url ?? 'unknown route'}`,
      );
      problem = internalProblem(String(request.id));
    }

    if (problem.status === 401) void reply.header('WWW-Authenticate', 'Bearer realm="helpdesk", Basic realm="helpdesk"');
    void reply
      .status(problem.status)
      .header('X-Error-Code', problem.code)
      .header('Content-Type', 'application/json; charset=utf-8')
      .send(dialectFor(request.url).body(problem));
  }
}

function internalProblem(requestId: string): Problem {
  return { status: 500, code: 'INTERNAL', message: `internal error; request id ${requestId}` };
}
