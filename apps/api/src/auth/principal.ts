import { UserRole } from './user.entity';

// Who is calling: an agent of one tenant, authenticated by one of its API keys. The tenant of
// every request comes from here, never from the body.
export interface Principal {
  tenantId: number;
  // The tenant's public id in the HighLevel dialect.
  locationId: string;
  userId: number;
  role: UserRole;
  apiKeyId: number;
  // The caller's Pusher connection (header X-Socket-Id), left out of the live updates its own
  // request causes.
  socketId?: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
