import { Injectable } from '@nestjs/common';
import { AppError, ForbiddenError, NotFoundError, UnauthenticatedError, UnavailableError } from '@app/common';
import type Pusher from 'pusher';
import { ApiKeysService } from '../auth/api-keys.service';
import { apiKeyFromAuthorization } from '../auth/credentials';
import { Principal } from '../auth/principal';
import { UsersService } from '../auth/users.service';
import { ConversationsService } from '../conversations/conversations.service';
import { presentCustomerAgent } from '../customer-view/customer-view.presenter';
import { memberId, parseConversationChannel, parseTenantChannel, parseTenantPresenceChannel, parseUserChannel } from '../live/pusher-channels';
import { ChannelAuthErrorCode } from './channel-auth.errors';
import { PusherService } from '../live/pusher.service';

// What pusher-js expects back: the signature, and for a presence channel the member it covers.
export interface ChannelAuthorization {
  auth: string;
  channel_data?: string;
}

// Who asks to subscribe: the widget of one conversation (its token) or an agent (an API key).
export interface ChannelAuthCredentials {
  conversationToken?: string;
  authorization?: string;
}

type PresenceData = Pusher.PresenceChannelData;

// A channel the caller may join: presence channels also name the member joining.
interface Grant {
  presence?: PresenceData;
}

// Pusher's channel authorisation. Socket id and channel name arrive checked against Pusher's formats.
// Every refusal is the same 403, so it never tells whether a conversation or tenant exists.
@Injectable()
export class ChannelAuthService {
  constructor(
    private readonly pusher: PusherService,
    private readonly conversations: ConversationsService,
    private readonly apiKeys: ApiKeysService,
    private readonly users: UsersService,
  ) {}

  async authorize(socketId: string, channelName: string, credentials: ChannelAuthCredentials): Promise<ChannelAuthorization> {
    const client = this.pusher.client;
    if (!client) throw new UnavailableError(ChannelAuthErrorCode.NotConfigured, 'live updates are not configured on this server');

    // The widget's token, when sent, is the credential: the API key is then not consulted.
    const grant =
      credentials.conversationToken !== undefined
        ? await this.widgetGrant(credentials.conversationToken, channelName)
        : await this.agentGrant(credentials.authorization, channelName);
    if (!grant) throw new ForbiddenError(ChannelAuthErrorCode.ChannelForbidden, 'not allowed to subscribe to this channel');

    const { auth, channel_data } = client.authorizeChannel(socketId, channelName, grant.presence);
    return channel_data === undefined ? { auth } : { auth, channel_data };
  }

  // Only the private and presence channels of the token's own conversation, as its contact.
  private async widgetGrant(token: string, channelName: string): Promise<Grant | null> {
    const channel = parseConversationChannel(channelName);
    if (!channel) return null;
    const conversation = await refusedAsNull(() => this.conversations.findByToken(token), NotFoundError);
    if (!conversation || conversation.id !== channel.conversationId) return null;
    if (channel.kind === 'private') return {};
    const contactId = conversation.contactId;
    return { presence: { user_id: memberId({ kind: 'contact', id: contactId }), user_info: { type: 'contact', id: contactId } } };
  }

  // Any channel of an active conversation of the agent's tenant, the tenant's own channels (its
  // presence channel as `user-{id}`), and the agent's own channel: never another agent's.
  private async agentGrant(authorization: string | undefined, channelName: string): Promise<Grant | null> {
    const conversationChannel = parseConversationChannel(channelName);
    const tenantId = parseTenantChannel(channelName);
    const presenceTenantId = parseTenantPresenceChannel(channelName);
    const userId = parseUserChannel(channelName);
    if (!conversationChannel && tenantId === null && presenceTenantId === null && userId === null) return null;

    const principal = await this.principal(authorization);
    if (!principal) return null;
    if (tenantId !== null) return tenantId === principal.tenantId ? {} : null;
    if (userId !== null) return userId === principal.userId ? {} : null;
    if (presenceTenantId !== null) return presenceTenantId === principal.tenantId ? this.agentPresence(principal) : null;

    const { kind, conversationId } = conversationChannel!;
    if (!(await this.conversations.isActive(principal.tenantId, conversationId))) return null;
    if (kind === 'private') return {};
    return this.agentPresence(principal);
  }

  // The agent as a presence member: the customer sees every member's user_info on a conversation's
  // presence channel, so an agent's is what the customer's view allows.
  private async agentPresence(principal: Principal): Promise<Grant | null> {
    const [user] = await this.users.findActiveByIds(principal.tenantId, [principal.userId]);
    if (!user) return null;
    return { presence: { user_id: memberId({ kind: 'user', id: user.id }), user_info: { type: 'user', ...presentCustomerAgent(user) } } };
  }

  // The agent of an Authorization header; null when it is missing, malformed, unknown or revoked.
  private async principal(authorization: string | undefined): Promise<Principal | null> {
    if (authorization === undefined) return null;
    return refusedAsNull(async () => this.apiKeys.authenticate(apiKeyFromAuthorization(authorization)), UnauthenticatedError);
  }
}

// The value, or null when the lookup refused with the given kind of error; other errors propagate.
async function refusedAsNull<T>(lookup: () => Promise<T | null>, refusal: abstract new (...args: never[]) => AppError): Promise<T | null> {
  try {
    return await lookup();
  } catch (error) {
    if (error instanceof refusal) return null;
    throw error;
  }
}
