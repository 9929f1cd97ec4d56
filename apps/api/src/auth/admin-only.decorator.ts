import { applyDecorators, CanActivate, ExecutionContext, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import { DESK_ERRORS_SCHEMA, ForbiddenError } from '@app/common';
import type { FastifyRequest } from 'fastify';
import { AuthErrorCode } from './auth.errors';

const ADMIN_ONLY = 'auth:adminOnly';

// Refuses an agent on a route marked @AdminOnly(). A guard runs before every interceptor, so the
// idempotency interceptor never replays an admin's stored answer to an agent.
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const refusal = this.reflector.get<string | undefined>(ADMIN_ONLY, context.getHandler());
    const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
    if (refusal !== undefined && principal?.role !== 'admin') throw new ForbiddenError(AuthErrorCode.AdminRequired, refusal);
    return true;
  }
}

// An endpoint only admins may call; `refusal` is the 403's message for an agent.
export const AdminOnly = (refusal: string): MethodDecorator =>
  applyDecorators(
    SetMetadata(ADMIN_ONLY, refusal),
    UseGuards(AdminGuard),
    ApiForbiddenResponse({ description: 'The caller is an agent, not an admin', schema: DESK_ERRORS_SCHEMA }),
  );
