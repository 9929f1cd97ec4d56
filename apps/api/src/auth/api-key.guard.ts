import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { UnauthenticatedError } from '@app/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeysService } from './api-keys.service';
import { AuthErrorCode } from './auth.errors';
import { apiKeyFromAuthorization } from './credentials';
import { IS_PUBLIC } from './public.decorator';

// Global: every route needs an agent's API key unless marked @Public().
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const presented = apiKeyFromAuthorization(request.headers.authorization);
    const principal = await this.apiKeys.authenticate(presented);
    if (!principal) throw new UnauthenticatedError(AuthErrorCode.ApiKeyInvalid, 'invalid or revoked API key');
    request.principal = principal;
    return true;
  }
}
