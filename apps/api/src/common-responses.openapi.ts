import { DESK_ERRORS_SCHEMA, dialectFor, deskErrorDialect, NEST_ERROR_SCHEMA } from '@app/common';
import type { OpenAPIObject, OperationObject, ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

// The answers any route may give whatever it does, declared on every operation the way its dialect
// writes them (see error-dialects.ts), unless the operation declares that status itself.

const SCHEMAS = { DeskErrors: DESK_ERRORS_SCHEMA, NestError: NEST_ERROR_SCHEMA };
const RETRY_AFTER = { 'Retry-After': { description: 'Seconds until the same request may succeed', schema: { type: 'integer' } } };

interface CommonResponse {
  status: string;
  description: string;
  applies: (path: string, method: string, operation: OperationObject) => boolean;
  retryAfter?: boolean;
}

const WRITES = new Set(['post', 'put', 'patch', 'delete']);
const withBody = (_path: string, method: string) => method === 'post' || method === 'put' || method === 'patch';
const authenticated = (_path: string, _method: string, operation: OperationObject) => '401' in operation.responses;

const COMMON_RESPONSES: CommonResponse[] = [
  { status: '500', description: 'INTERNAL: an unexpected error; the message names the request id, the log has the rest', applies: () => true },
  {
    status: '503',
    description: 'DATABASE_UNAVAILABLE or REQUEST_TIMEOUT (past HTTP_REQUEST_TIMEOUT_MS): nothing was written; retry',
    applies: () => true,
    retryAfter: true,
  },
  { status: '413', description: 'The body is larger than HTTP_BODY_MAX_BYTES', applies: withBody },
  { status: '415', description: 'The body is not of a content type this route reads', applies: withBody },
  {
    status: '409',
    description: 'CONCURRENT_UPDATE: a concurrent request changed the same rows; nothing was written, retry',
    applies: (_path, method) => WRITES.has(method),
  },
  {
    status: '429',
    description: 'Past a Desk rate limit (per API key or per tenant; see RateLimit-* and X-Rate-Limit-*)',
    applies: (path, method, operation) => path.startsWith('/desk/') && authenticated(path, method, operation),
    retryAfter: true,
  },
];

export function addCommonResponses(document: OpenAPIObject): void {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...SCHEMAS } };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item) as [string, OperationObject][]) {
      if (!operation?.responses) continue;
      errorsAsJson(operation);
      for (const common of COMMON_RESPONSES) {
        if (common.status in operation.responses || !common.applies(path, method, operation)) continue;
        operation.responses[common.status] = commonResponse(path, common);
      }
    }
  }
}

function commonResponse(path: string, common: CommonResponse): ResponseObject {
  const schema = dialectFor(path) === deskErrorDialect ? 'DeskErrors' : 'NestError';
  return {
    description: common.description,
    ...(common.retryAfter ? { headers: RETRY_AFTER } : {}),
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
  };
}

// Error bodies are JSON whatever the route produces (http-error.filter.ts); @ApiProduces of a
// download would otherwise file its errors' schemas under the download's media type.
function errorsAsJson(operation: OperationObject): void {
  for (const [status, response] of Object.entries(operation.responses) as [string, ResponseObject][]) {
    const content = response.content;
    if (Number(status) < 400 || !content || 'application/json' in content) continue;
    const schema = Object.values(content).find((media) => media.schema)?.schema;
    if (schema) response.content = { 'application/json': { schema } };
  }
}
