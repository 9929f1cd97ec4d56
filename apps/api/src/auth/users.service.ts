import { Injectable } from '@nestjs/common';
import { ConflictError, EntityState, ForbiddenError, isUniqueViolation, ListPage, ListQuery, NotFoundError, runList } from '@app/common';
import { Database } from '@app/database';
import { EntityManager, In, Not } from 'typeorm';
import { ApiKeysService } from './api-keys.service';
import { AuthErrorCode } from './auth.errors';
import { Principal } from './principal';
import { USER_LIST } from './user-list.definition';
import { User, UserRole } from './user.entity';

export interface UserInput {
  email: string;
  firstName?: string;
  lastName?: string;
  role?: UserRole;
}

export interface UserUpdate {
  email?: string;
  firstName?: string;
  lastName?: string;
  role?: UserRole;
  state?: EntityState;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly db: Database,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async findActiveByIds(
    tenantId: number,
    ids: readonly number[],
    manager: EntityManager = this.db.manager,
  ): Promise<User[]> {
    if (ids.length === 0) return [];
    return manager.find(User, { where: { tenantId, id: In([...new Set(ids)]), state: 'active' } });
  }

  // Deleted agents too: a conversation still shows who created it.
  async findByIds(tenantId: number, ids: readonly number[]): Promise<User[]> {
    if (ids.length === 0) return [];
    return this.db.query(`SELECT ${this.db.columnsOf(User)} FROM users WHERE tenant_id = $1 AND id = ANY($2::bigint[]) ORDER BY id`, [tenantId, [...new Set(ids)]]);
  }

  // Active agents with this email, in every tenant (emails are unique per tenant only).
  async findActiveByEmailForOperator(email: string): Promise<User[]> {
    return this.db.manager
      .createQueryBuilder(User, 'u')
      .where('lower(u.email) = lower(:email) AND u.state = :state', { email, state: 'active' })
      .orderBy('u.tenant_id')
      .getMany();
  }

  async list(tenantId: number, query: ListQuery): Promise<ListPage<User>> {
    const qb = this.db.manager.createQueryBuilder(User, 'u').where('u.tenant_id = :tenantId', { tenantId });
    return runList(qb, USER_LIST, query);
  }

  // Deactivated agents too; another tenant's are not found.
  async getById(tenantId: number, id: number): Promise<User> {
    const user = await this.db.manager.findOneBy(User, { tenantId, id });
    if (!user) throw notFound(id);
    return user;
  }

  async create(principal: Principal, input: UserInput): Promise<User> {
    assertAdmin(principal);
    const { tenantId, userId } = principal;
    return this.db.transaction(async (manager) => {
      // DO NOTHING on uq_users_email rather than a unique violation: a failed statement would
      // abort the ambient transaction (Idempotency-Key) that the conflict is reported from.
      const inserted: { id: number }[] = await manager.query(
        `INSERT INTO users (tenant_id, email, first_name, last_name, role, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (tenant_id, lower(email)) WHERE state = 'active' DO NOTHING
         RETURNING id`,
        [tenantId, input.email, input.firstName ?? '', input.lastName ?? '', input.role ?? 'agent', userId],
      );
      const id = inserted[0]?.id;
      if (id === undefined) throw await this.emailTaken(manager, tenantId, input.email);
      return manager.findOneByOrFail(User, { tenantId, id });
    });
  }

  // Only the given properties change; `updatedAt`/`updatedBy` move only when something did, and a
  // deactivation alone leaves them as they were. Deactivating revokes every API key of the agent.
  async update(principal: Principal, id: number, input: UserUpdate): Promise<User> {
    assertAdmin(principal);
    const { tenantId } = principal;
    try {
      await this.db.transaction((manager) => this.applyUpdate(manager, principal, id, input));
    } catch (error) {
      // Two requests giving two agents one email at once: the index decides, and the loser is told
      // who won. Not inside an ambient transaction, which the failed statement has aborted.
      if (isUniqueViolation(error) && !this.db.inTransaction) {
        const email = input.email ?? (await this.getById(tenantId, id)).email;
        throw await this.emailTaken(this.db.manager, tenantId, email, id);
      }
      throw error;
    }
    return this.getById(tenantId, id);
  }

  private async applyUpdate(manager: EntityManager, principal: Principal, id: number, input: UserUpdate): Promise<void> {
    const { tenantId, userId } = principal;
    // Role and state changes of one tenant apply one after another, so two admins demoting each
    // other at once cannot both pass the last-admin check. NO KEY UPDATE leaves inserts that
    // reference the tenant unblocked.
    await manager.query(`SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE`, [tenantId]);
    const current = await manager.findOneBy(User, { tenantId, id });
    if (!current) throw notFound(id);

    const changes: Partial<Record<keyof User, unknown>> = {};
    if (input.firstName !== undefined && input.firstName !== current.firstName) changes.firstName = input.firstName;
    if (input.lastName !== undefined && input.lastName !== current.lastName) changes.lastName = input.lastName;
    if (input.email !== undefined && input.email !== current.email) changes.email = input.email;
    if (input.role !== undefined && input.role !== current.role) changes.role = input.role;
    const restoring = input.state === 'active' && current.state === 'deleted';
    const deactivating = input.state === 'deleted' && current.state === 'active';
    if (restoring) Object.assign(changes, { state: 'active', deletedAt: null, deletedBy: null });

    const staysActive = deactivating ? false : current.state === 'active' || restoring;
    const email = input.email ?? current.email;
    if (staysActive && (restoring || email.toLowerCase() !== current.email.toLowerCase())) {
      const holder = await this.findActiveByEmail(manager, tenantId, email, id);
      if (holder) throw emailTakenBy(holder);
    }

    const losesAdmin = current.role === 'admin' && current.state === 'active' && (deactivating || changes.role === 'agent');
    if (losesAdmin) {
      const otherAdmins = await manager.countBy(User, { tenantId, role: 'admin', state: 'active', id: Not(id) });
      if (otherAdmins === 0) {
        throw new ConflictError(
          AuthErrorCode.LastAdmin,
          `user ${id} is the tenant's last active admin; make another agent an admin first`,
          { [deactivating ? 'state' : 'role']: ['would leave the tenant without an active admin'] },
        );
      }
    }

    if (Object.keys(changes).length > 0) Object.assign(changes, { updatedAt: () => 'now()', updatedBy: userId });
    // A delete leaves updatedAt as it was (as Teamwork Desk API v2 documents updatedAt), so it is
    // applied on its own.
    if (deactivating) {
      Object.assign(changes, { state: 'deleted', deletedAt: () => 'now()', deletedBy: userId });
      await this.apiKeys.revokeAllForUser(manager, tenantId, id, userId);
    }
    if (Object.keys(changes).length > 0) await manager.update(User, { tenantId, id }, changes as Partial<User>);
  }

  private async findActiveByEmail(manager: EntityManager, tenantId: number, email: string, exceptId?: number): Promise<User | null> {
    const qb = manager
      .createQueryBuilder(User, 'u')
      .where(`u.tenant_id = :tenantId AND lower(u.email) = lower(:email) AND u.state = 'active'`, { tenantId, email });
    if (exceptId !== undefined) qb.andWhere('u.id <> :exceptId', { exceptId });
    return qb.getOne();
  }

  private async emailTaken(manager: EntityManager, tenantId: number, email: string, exceptId?: number): Promise<ConflictError> {
    const holder = await this.findActiveByEmail(manager, tenantId, email, exceptId);
    return holder ? emailTakenBy(holder) : new ConflictError(AuthErrorCode.UserEmailTaken, 'another active agent has this email');
  }
}

function assertAdmin(principal: Principal): void {
  if (principal.role !== 'admin') {
    throw new ForbiddenError(AuthErrorCode.AdminRequired, 'only an admin may create or change agents');
  }
}

function emailTakenBy(holder: User): ConflictError {
  return new ConflictError(AuthErrorCode.UserEmailTaken, `user ${holder.id} already has this email`, {
    email: [`is already used by user ${holder.id}`],
  });
}

function notFound(id: number): NotFoundError {
  return new NotFoundError(AuthErrorCode.UserNotFound, `user ${id} not found`);
}
