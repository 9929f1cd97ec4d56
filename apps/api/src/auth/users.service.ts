import { Injectable } from '@nestjs/common';
import { ConflictError, EntityState, ForbiddenError, isUniqueViolation, ListPage, ListQuery, NotFoundError, restored, softDeleted } from '@app/common';
import { Database } from '@app/database';
import { AgentDeactivation } from './agent-deactivation';
import { ApiKeysService } from './api-keys.service';
import { AuthErrorCode } from './auth.errors';
import { Principal } from './principal';
import { TenantsService } from './tenants.service';
import { User, UserAvailability, UserRole } from './user.entity';
import { PresenceChange, UserRef, UsersRepository } from './users.repository';

export type { PresenceChange, UserRef } from './users.repository';

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

type UserChanges = Partial<Record<keyof User, unknown>>;

const EDITABLE: readonly ('firstName' | 'lastName' | 'email' | 'role')[] = ['firstName', 'lastName', 'email', 'role'];

@Injectable()
export class UsersService {
  constructor(
    private readonly db: Database,
    private readonly users: UsersRepository,
    private readonly tenants: TenantsService,
    private readonly apiKeys: ApiKeysService,
    private readonly deactivation: AgentDeactivation,
  ) {}

  async findActiveByIds(tenantId: number, ids: readonly number[]): Promise<User[]> {
    return this.users.findActiveByIds(tenantId, ids);
  }

  // The tenant's active admins, for what only they are told (a webhook subscription disabled).
  async findActiveAdminIds(tenantId: number): Promise<number[]> {
    const admins = await this.users.findActiveAdmins(tenantId);
    return admins.map((user) => user.id);
  }

  // Which of these agents, of any tenants (a webhook batch's), are active.
  async findActiveRefs(refs: readonly UserRef[]): Promise<UserRef[]> {
    return this.users.findActiveRefs(refs);
  }

  // Deleted agents too: a conversation still shows who created it.
  async findByIds(tenantId: number, ids: readonly number[]): Promise<User[]> {
    return this.users.findByIds(tenantId, ids);
  }

  // Active agents with this email, in every tenant (emails are unique per tenant only).
  async findActiveByEmailForOperator(email: string): Promise<User[]> {
    return this.users.findActiveByEmailInAnyTenant(email);
  }

  // The caller's own availability (any agent sets theirs), in the caller's transaction; `changed`
  // says whether it moved. A deactivated agent has no API key, so is not found.
  async setAvailability(tenantId: number, id: number, availability: UserAvailability): Promise<{ user: User; changed: boolean }> {
    const result = await this.users.setAvailability(tenantId, id, availability);
    if (!result) throw notFound(id);
    return result;
  }

  // Agents' presence on their tenants' presence channels (a webhook batch's), in the caller's
  // transaction: the agents who became available.
  async applyPresence(changes: readonly PresenceChange[]): Promise<UserRef[]> {
    return this.users.applyPresence(changes);
  }

  async list(tenantId: number, query: ListQuery): Promise<ListPage<User>> {
    return this.users.list(tenantId, query);
  }

  // Deactivated agents too; another tenant's are not found.
  async getById(tenantId: number, id: number): Promise<User> {
    const user = await this.users.findById(tenantId, id);
    if (!user) throw notFound(id);
    return user;
  }

  async create(principal: Principal, input: UserInput): Promise<User> {
    assertAdmin(principal);
    const { tenantId, userId } = principal;
    return this.db.transaction(async () => {
      const id = await this.users.insertUnlessEmailTaken({
        tenantId,
        email: input.email,
        firstName: input.firstName ?? '',
        lastName: input.lastName ?? '',
        role: input.role ?? 'agent',
        actorId: userId,
      });
      if (id === undefined) throw await this.emailTaken(tenantId, input.email);
      return this.getById(tenantId, id);
    });
  }

  // Only the given properties change; `updatedAt`/`updatedBy` move only when something did, and a
  // deactivation alone leaves them as they were. Deactivating revokes every API key of the agent.
  async update(principal: Principal, id: number, input: UserUpdate): Promise<User> {
    assertAdmin(principal);
    const { tenantId } = principal;
    try {
      await this.db.transaction(() => this.applyUpdate(principal, id, input));
    } catch (error) {
      // Two requests giving two agents one email at once: the index decides, and the loser is told
      // who won. Not inside an ambient transaction, which the failed statement has aborted.
      if (isUniqueViolation(error) && !this.db.inTransaction) {
        const email = input.email ?? (await this.getById(tenantId, id)).email;
        throw await this.emailTaken(tenantId, email, id);
      }
      throw error;
    }
    return this.getById(tenantId, id);
  }

  private async applyUpdate(principal: Principal, id: number, input: UserUpdate): Promise<void> {
    const { tenantId, userId } = principal;
    // Role and state changes of one tenant apply one after another, so two admins demoting each
    // other at once cannot both pass the last-admin check.
    await this.tenants.lockForAgentChanges(tenantId);
    const current = await this.getById(tenantId, id);
    const changes = editedFields(current, input);
    const restoring = input.state === 'active' && current.state === 'deleted';
    const deactivating = input.state === 'deleted' && current.state === 'active';
    if (restoring) Object.assign(changes, restored());
    await this.assertEmailFree(current, input, restoring, deactivating);
    if (current.role === 'admin' && current.state === 'active' && (deactivating || changes.role === 'agent')) {
      await this.assertNotLastAdmin(tenantId, id, deactivating ? 'state' : 'role');
    }
    if (Object.keys(changes).length > 0) Object.assign(changes, { updatedAt: () => 'now()', updatedBy: userId });
    // A delete leaves updatedAt as it was (as Teamwork Desk API v2 documents updatedAt), so it is
    // applied on its own.
    if (deactivating) {
      Object.assign(changes, softDeleted(userId));
      await this.apiKeys.revokeAllForUser(tenantId, id, userId);
    }
    const write = async () => {
      if (Object.keys(changes).length > 0) await this.users.update(tenantId, id, changes);
    };
    // The modules above auth act on the deactivation in its transaction (open conversations
    // return to their teams' queues).
    if (deactivating) await this.deactivation.run(tenantId, id, write);
    else await write();
  }

  // An agent who is active afterwards and takes an email (anew, or by being restored) must not
  // share it with another active agent.
  private async assertEmailFree(current: User, input: UserUpdate, restoring: boolean, deactivating: boolean): Promise<void> {
    const staysActive = !deactivating && (current.state === 'active' || restoring);
    const email = input.email ?? current.email;
    if (!staysActive || (!restoring && email.toLowerCase() === current.email.toLowerCase())) return;
    const holder = await this.users.findActiveByEmail(current.tenantId, email, current.id);
    if (holder) throw emailTakenBy(holder);
  }

  private async assertNotLastAdmin(tenantId: number, id: number, field: 'state' | 'role'): Promise<void> {
    if ((await this.users.countOtherActiveAdmins(tenantId, id)) > 0) return;
    throw new ConflictError(AuthErrorCode.LastAdmin, `user ${id} is the tenant's last active admin; make another agent an admin first`, {
      [field]: ['would leave the tenant without an active admin'],
    });
  }

  private async emailTaken(tenantId: number, email: string, exceptId?: number): Promise<ConflictError> {
    const holder = await this.users.findActiveByEmail(tenantId, email, exceptId);
    return holder ? emailTakenBy(holder) : new ConflictError(AuthErrorCode.UserEmailTaken, 'another active agent has this email');
  }
}

// The given properties that differ from the agent's.
function editedFields(current: User, input: UserUpdate): UserChanges {
  const changes: UserChanges = {};
  for (const key of EDITABLE) {
    if (input[key] !== undefined && input[key] !== current[key]) changes[key] = input[key];
  }
  return changes;
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
