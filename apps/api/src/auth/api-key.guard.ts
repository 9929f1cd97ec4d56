import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiKeysService } from './api-keys.service';
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
    // An upload was authenticated by its parser already, before its bytes reached the disk.
    request.principal ??= await this.apiKeys.principalFor(request.headers.authorization);
    return true;
  }
}
