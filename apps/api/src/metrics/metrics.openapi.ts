import { applyDecorators } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { Registry } from 'prom-client';

// The security scheme of METRICS_TOKEN (create-app.ts declares it): a bearer token, not an API key.
export const METRICS_SECURITY = 'metrics';

// NestJS's error body, which /metrics answers with (it is neither dialect's route).
const nestError = (statusCode: number, message: string, error: string): SchemaObject => ({
  type: 'object',
  required: ['statusCode', 'message', 'error'],
  properties: {
    statusCode: { type: 'integer', example: statusCode },
    message: { type: 'string', example: message },
    error: { type: 'string', example: error },
  },
});

export const ApiMetrics = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiTags('operations'),
    ApiOperation({
      summary: 'Prometheus metrics (operators only)',
      description:
        'The Prometheus text exposition format, version 0.0.4. Authenticate with Authorization: Bearer <METRICS_TOKEN>. ' +
        'When METRICS_TOKEN is not set the endpoint does not exist: 404, as for an unknown route.',
      security: [{ [METRICS_SECURITY]: [] }],
    }),
    ApiProduces(Registry.PROMETHEUS_CONTENT_TYPE),
    ApiOkResponse({
      description: 'The metrics, one sample a line, each family after its # HELP and # TYPE lines',
      content: {
        [Registry.PROMETHEUS_CONTENT_TYPE]: {
          schema: { type: 'string', example: '# HELP helpdesk_outbox_backlog Live updates in the outbox not yet delivered\n# TYPE helpdesk_outbox_backlog gauge\nhelpdesk_outbox_backlog 0\n' },
        },
      },
    }),
    ApiUnauthorizedResponse({
      description: 'METRICS_TOKEN_INVALID: no bearer token, or not METRICS_TOKEN',
      content: { 'application/json': { schema: nestError(401, 'a valid metrics token is required', 'Unauthorized') } },
    }),
    ApiNotFoundResponse({
      description: 'METRICS_TOKEN is not set: metrics are off',
      content: { 'application/json': { schema: nestError(404, 'Cannot GET /metrics', 'Not Found') } },
    }),
  );
