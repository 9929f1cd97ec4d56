import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import Pusher from 'pusher';

// The package's signer (lib/token.js): HMAC-SHA256 hex of the bytes, compared in constant time.
// Exported as Pusher.Token but missing from its type declarations.
export interface PusherToken {
  readonly key: string;
  sign(data: string | Buffer): string;
  verify(data: string | Buffer, signature: string): boolean;
}
const Token = (Pusher as unknown as { Token: new (key: string, secret: string) => PusherToken }).Token;

// The Pusher app this service belongs to, built from the environment once.
@Injectable()
export class PusherService {
  // The REST client (triggers) and channel authoriser; null when the app is not configured, and
  // then live updates stay in the outbox and channel authorisation is refused.
  readonly client: Pusher | null;
  // The key/secret pairs a webhook may be signed with: the app's own and those of a rotation.
  private readonly webhookTokens: ReadonlyMap<string, PusherToken>;

  constructor(config: AppConfig) {
    const { PUSHER_APP_ID: appId, PUSHER_KEY: key, PUSHER_SECRET: secret } = config;
    this.client = appId && key && secret ? new Pusher({ appId, key, secret, ...whereIsPusher(config) }) : null;

    const tokens = new Map<string, PusherToken>();
    if (key && secret) tokens.set(key, new Token(key, secret));
    for (const pair of config.PUSHER_ADDITIONAL_CREDENTIALS?.split(',') ?? []) {
      const [extraKey, extraSecret] = pair.split(':');
      if (!tokens.has(extraKey)) tokens.set(extraKey, new Token(extraKey, extraSecret));
    }
    this.webhookTokens = tokens;
  }

  // The token of a key Pusher may sign webhooks with; keys are public, so a plain lookup.
  webhookToken(key: string): PusherToken | undefined {
    return this.webhookTokens.get(key);
  }
}

// Hosted Pusher by cluster, or a self-hosted compatible server by host and port.
function whereIsPusher(config: AppConfig): { useTLS: boolean; timeout: number } & ({ host: string; port?: string } | { cluster: string }) {
  const common = { useTLS: config.PUSHER_USE_TLS, timeout: config.PUSHER_TIMEOUT_MS };
  if (config.PUSHER_CLUSTER && !config.PUSHER_HOST) return { ...common, cluster: config.PUSHER_CLUSTER };
  return { ...common, host: config.PUSHER_HOST ?? 'api.pusherapp.com', port: config.PUSHER_PORT?.toString() };
}
