import { UserRole } from './user.entity';

// Who is calling: an agent of one tenant, authenticated by one of its API keys. The tenant of
// every request comes from here, never from the body.
export interface Principal {
  tenantId: number;
  userId: number;
  role: UserRole;
  apiKeyId: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
