import { Injectable } from '@nestjs/common';
import { ListPage, ListQuery, runList } from '@app/common';
import { Database } from '@app/database';
import { In, Not } from 'typeorm';
import { USER_LIST } from './user-list.definition';
import { User } from './user.entity';

export interface NewUser {
  tenantId: number;
  email: string;
  firstName: string;
  lastName: string;
  role: User['role'];
  actorId: number | null;
}

// An agent named across tenants (a webhook batch's).
export interface UserRef {
  tenantId: number;
  id: number;
}

// The `users` table; every query takes the tenant first (the operator's lookups excepted) and runs
// in the ambient transaction, if any (Database).
@Injectable()
export class UsersRepository {
  constructor(private readonly db: Database) {}

  async findById(tenantId: number, id: number): Promise<User | null> {
    return this.db.manager.findOneBy(User, { tenantId, id });
  }

  async findActiveByIds(tenantId: number, ids: readonly number[]): Promise<User[]> {
    if (ids.length === 0) return [];
    return this.db.manager.find(User, { where: { tenantId, id: In([...new Set(ids)]), state: 'active' } });
  }

  // The active agents among these, of any tenants: one statement for all.
  async findActiveRefs(refs: readonly UserRef[]): Promise<UserRef[]> {
    if (refs.length === 0) return [];
    return this.db.query(
      `SELECT u.tenant_id AS "tenantId", u.id
         FROM unnest($1::bigint[], $2::bigint[]) AS r(tenant_id, id)
         JOIN users u ON u.tenant_id = r.tenant_id AND u.id = r.id AND u.state = 'active'`,
      [refs.map((r) => r.tenantId), refs.map((r) => r.id)],
    );
  }

  async findByIds(tenantId: number, ids: readonly number[]): Promise<User[]> {
    if (ids.length === 0) return [];
    return this.db.query(`SELECT ${this.db.columnsOf(User)} FROM users WHERE tenant_id = $1 AND id = ANY($2::bigint[]) ORDER BY id`, [tenantId, [...new Set(ids)]]);
  }

  // In every tenant (emails are unique per tenant only).
  async findActiveByEmailInAnyTenant(email: string): Promise<User[]> {
    return this.db.manager
      .createQueryBuilder(User, 'u')
      .where('lower(u.email) = lower(:email) AND u.state = :state', { email, state: 'active' })
      .orderBy('u.tenant_id')
      .getMany();
  }

  async findActiveByEmail(tenantId: number, email: string, exceptId?: number): Promise<User | null> {
    const qb = this.db.manager
      .createQueryBuilder(User, 'u')
      .where(`u.tenant_id = :tenantId AND lower(u.email) = lower(:email) AND u.state = 'active'`, { tenantId, email });
    if (exceptId !== undefined) qb.andWhere('u.id <> :exceptId', { exceptId });
    return qb.getOne();
  }

  async list(tenantId: number, query: ListQuery): Promise<ListPage<User>> {
    const qb = this.db.manager.createQueryBuilder(User, 'u').where('u.tenant_id = :tenantId', { tenantId });
    return runList(qb, USER_LIST, query);
  }

  // The new agent's id, or undefined when another active agent of the tenant has the email.
  // DO NOTHING on uq_users_email rather than a unique violation: a failed statement would abort
  // the ambient transaction (Idempotency-Key) that the conflict is reported from.
  async insertUnlessEmailTaken(user: NewUser): Promise<number | undefined> {
    const inserted: { id: number }[] = await this.db.query(
      `INSERT INTO users (tenant_id, email, first_name, last_name, role, created_by, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $6)
       ON CONFLICT (tenant_id, lower(email)) WHERE state = 'active' DO NOTHING
       RETURNING id`,
      [user.tenantId, user.email, user.firstName, user.lastName, user.role, user.actorId],
    );
    return inserted[0]?.id;
  }

  async insert(values: Pick<User, 'tenantId' | 'email' | 'firstName' | 'lastName' | 'role'>): Promise<number> {
    const user = this.db.manager.create(User, values);
    await this.db.manager.insert(User, user);
    return user.id;
  }

  async countOtherActiveAdmins(tenantId: number, exceptId: number): Promise<number> {
    return this.db.manager.countBy(User, { tenantId, role: 'admin', state: 'active', id: Not(exceptId) });
  }

  async update(tenantId: number, id: number, changes: Partial<Record<keyof User, unknown>>): Promise<void> {
    await this.db.manager.update(User, { tenantId, id }, changes as Partial<User>);
  }
}
