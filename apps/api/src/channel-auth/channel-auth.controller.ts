import { Controller, createParamDecorator, ExecutionContext, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { DESK_ERRORS_SCHEMA } from '@app/common';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/public.decorator';
import { ChannelAuthCredentials, ChannelAuthService } from './channel-auth.service';
import { CHANNEL_AUTH_BODY_SCHEMA, CHANNEL_AUTH_RESPONSE_SCHEMA, ChannelAuthBody, ChannelAuthRequest } from './dto/channel-auth.dto';

// The widget's token and the agent's Authorization header, as sent. Read here rather than with
// @Headers(), which the OpenAPI document would show as required parameters.
const Credentials = createParamDecorator((_data: unknown, context: ExecutionContext): ChannelAuthCredentials => {
  const { headers } = context.switchToHttp().getRequest<FastifyRequest>();
  const single = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);
  return { conversationToken: single(headers['x-conversation-token']), authorization: single(headers.authorization) };
});

// Pusher's channel-authorisation endpoint, called by pusher-js when the widget or a dashboard
// subscribes to a private or presence channel. Public: it authenticates either credential itself,
// and answers every refusal with the same 403 (not the API's 401).
@ApiTags('pusher')
@Controller('desk/api/v2')
export class ChannelAuthController {
  constructor(private readonly channelAuth: ChannelAuthService) {}

  @Public()
  @Post('pusher/auth.json')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Authorise a Pusher channel subscription',
    description:
      'With X-Conversation-Token (the widget): private-conversation-{id} and presence-conversation-{id} of that ' +
      'conversation, as member contact-{contactId}. With an agent’s API key: those channels of any active conversation ' +
      'of the tenant, as member user-{id}, and private-tenant-{tenantId}. The token, when sent, is the credential.',
    security: [{ bearer: [] }, { basic: [] }, {}],
  })
  @ApiHeader({ name: 'X-Conversation-Token', required: false, description: 'The widget’s conversation token' })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ schema: CHANNEL_AUTH_BODY_SCHEMA })
  @ApiOkResponse({ description: 'The signature pusher-js subscribes with', schema: CHANNEL_AUTH_RESPONSE_SCHEMA })
  @ApiBadRequestResponse({ description: 'socket_id or channel_name missing or not in Pusher’s format', schema: DESK_ERRORS_SCHEMA })
  @ApiForbiddenResponse({
    description: 'CHANNEL_FORBIDDEN: no or a bad credential, or a channel it may not join (always the same body)',
    schema: DESK_ERRORS_SCHEMA,
  })
  @ApiServiceUnavailableResponse({ description: 'PUSHER_NOT_CONFIGURED: the server has no Pusher app', schema: DESK_ERRORS_SCHEMA })
  async authorize(
    @ChannelAuthBody() body: ChannelAuthRequest,
    @Credentials() credentials: ChannelAuthCredentials,
  ) {
    return this.channelAuth.authorize(body.socketId, body.channelName, credentials);
  }
}

