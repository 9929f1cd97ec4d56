import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiKeysService } from './api-keys.service';
import { ValidationError } from '@app/common';
import { isSocketId } from '../live/pusher-channels';
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
    const principal = request.principal ?? (await this.apiKeys.principalFor(request.headers.authorization));
    request.principal = { ...principal, socketId: socketIdOf(request.headers['x-socket-id']) };
    return true;
  }
}

// The Pusher connection a dashboard sends its requests from, as pusher-js names it.
function socketIdOf(header: string | string[] | undefined): string | null {
  if (header === undefined || header === '') return null;
  if (!isSocketId(header)) throw ValidationError.of('X-Socket-Id', 'must be a Pusher socket id, like 1234.5678', 'INVALID_SOCKET_ID');
  return header;
}
