import { CallHandler, ExecutionContext, Injectable, NestInterceptor, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig } from '@app/config';
import { Database } from '@app/database';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, Observable } from 'rxjs';
import { ConflictError, UnprocessableError, ValidationError } from '../errors/app-error';
import { sqlStateOf } from '../errors/database-errors';
import { requestFingerprint, withoutSecrets } from './fingerprint';
import { IDEMPOTENT, IdempotentOptions } from './idempotent.decorator';

export const IdempotencyErrorCode = {
  KeyReused: 'IDEMPOTENCY_KEY_REUSED',
  KeyInUse: 'IDEMPOTENCY_KEY_IN_USE',
} as const;

const HEADER = 'idempotency-key';
const MAX_KEY_LENGTH = 255;
const RETENTION = '24 hours';
const PURGE_EVERY_MS = 60 * 60 * 1000;

// An Idempotency-Key as the API key that sent it owns it.
interface OwnedKey {
  tenantId: number;
  apiKeyId: number;
  key: string;
}

interface StoredAnswer {
  fingerprint: string;
  response_status: number;
  response_body: string;
}

// Executes a creating request once per API key and Idempotency-Key (the endpoints marked
// @Idempotent()). It runs after the guards, so a replay is authenticated and authorised again
// (role guards such as @AdminOnly() refuse it as they refuse a first request), and it is served
// only to the key that caused it: another key with the same Idempotency-Key executes anew. The key is claimed, the work done and the answer recorded in one transaction
// that the endpoint's own queries join (Database), so:
// - a repeat with the same body replays the first answer, marked `Idempotent-Replayed: true`;
// - a repeat with another body is refused (409, or 422 where the endpoint says so);
// - a repeat while the first still runs waits on the claimed row and then replays it, or after
//   IDEMPOTENCY_WAIT_MS is refused with 409; it is never executed a second time;
// - a first request that fails leaves no record, and a process that dies mid-request leaves
//   neither the work nor the key: the client's retry executes it, once.
// Keys are kept 24 hours, in PostgreSQL, so every service process sees them.
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor, OnModuleInit, OnModuleDestroy {
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly reflector: Reflector,
    private readonly db: Database,
    private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const options = this.reflector.get<IdempotentOptions | undefined>(IDEMPOTENT, context.getHandler());
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const key = request.headers[HEADER];
    const principal = request.principal;
    if (!options || key === undefined || principal === undefined) return next.handle();
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
      throw ValidationError.of('Idempotency-Key', `must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters, given once`);
    }
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const path = request.url.split('?')[0];
    const fingerprint = requestFingerprint(request.method, path, request.body);
    return from(this.once({ tenantId: principal.tenantId, apiKeyId: principal.apiKeyId, key }, fingerprint, options, reply, next));
  }

  private once(
    owned: OwnedKey,
    fingerprint: string,
    options: IdempotentOptions,
    reply: FastifyReply,
    next: CallHandler,
  ): Promise<unknown> {
    // The transaction may run again after a deadlock (Database): each attempt claims the key and
    // runs the handler afresh, from the status the route started with.
    const initialStatus = reply.statusCode;
    return this.db.withTransaction(async () => {
      void reply.status(initialStatus);
      const stored = await this.claim(owned, fingerprint);
      if (stored) {
        if (stored.fingerprint !== fingerprint) throw mismatch(options);
        void reply.status(stored.response_status).header('Idempotent-Replayed', 'true');
        return JSON.parse(stored.response_body) as unknown;
      }
      const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
      await this.db.query(
        `UPDATE idempotency_keys SET response_status = $4, response_body = $5 WHERE tenant_id = $1 AND api_key_id = $2 AND key = $3`,
        [owned.tenantId, owned.apiKeyId, owned.key, reply.statusCode, JSON.stringify(withoutSecrets(result ?? null))],
      );
      return result;
    });
  }

  // Null when this request now holds the key; else the answer recorded for it. A key claimed by a
  // transaction still running makes the INSERT wait for that transaction's end.
  private async claim(owned: OwnedKey, fingerprint: string): Promise<StoredAnswer | null> {
    const { tenantId, apiKeyId, key } = owned;
    // A whole number from the validated config; SET takes no bound parameters. 0 would mean "wait
    // for ever", so the shortest wait is 1 ms.
    await this.db.query(`SET LOCAL lock_timeout = ${Math.max(1, this.config.IDEMPOTENCY_WAIT_MS)}`);
    let claimed: unknown[];
    try {
      claimed = await this.db.query(
        `INSERT INTO idempotency_keys (tenant_id, api_key_id, key, fingerprint) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, api_key_id, key) DO UPDATE
           SET fingerprint = EXCLUDED.fingerprint, response_status = NULL, response_body = NULL, created_at = now()
           WHERE idempotency_keys.created_at < now() - interval '${RETENTION}'
         RETURNING 1`,
        [tenantId, apiKeyId, key, fingerprint],
      );
    } catch (error) {
      if (sqlStateOf(error) === '55P03') {
        throw new ConflictError(IdempotencyErrorCode.KeyInUse, 'a request with this Idempotency-Key is still being processed; retry later');
      }
      throw error;
    }
    await this.db.query(`SET LOCAL lock_timeout TO DEFAULT`);
    if (claimed.length > 0) return null;
    const [stored] = (await this.db.query(
      `SELECT fingerprint, response_status, response_body FROM idempotency_keys WHERE tenant_id = $1 AND api_key_id = $2 AND key = $3`,
      [tenantId, apiKeyId, key],
    )) as StoredAnswer[];
    return stored;
  }

  onModuleInit(): void {
    this.purgeTimer = setInterval(() => void this.purgeExpired().catch(() => undefined), PURGE_EVERY_MS);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }

  async purgeExpired(): Promise<number> {
    const [, affected] = (await this.db.dataSource.query(
      `DELETE FROM idempotency_keys WHERE created_at < now() - interval '${RETENTION}'`,
    )) as [unknown, number];
    return affected;
  }
}

function mismatch(options: IdempotentOptions): Error {
  const message = 'this Idempotency-Key was used with another request; use a new key for a new request';
  return options.mismatch === 'unprocessable'
    ? new UnprocessableError(IdempotencyErrorCode.KeyReused, message)
    : new ConflictError(IdempotencyErrorCode.KeyReused, message);
}
