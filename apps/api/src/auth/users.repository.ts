import { Injectable } from '@nestjs/common';
import { ListPage, ListQuery, runList } from '@app/common';
import { Database } from '@app/database';
import { In, Not } from 'typeorm';
import { USER_LIST } from './user-list.definition';
import { User, UserAvailability } from './user.entity';

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

// An agent's presence on their tenant's presence channel, as Pusher reported it at `at`.
export interface PresenceChange extends UserRef {
  online: boolean;
  at: Date;
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

  async findActiveAdmins(tenantId: number): Promise<User[]> {
    return this.db.manager.find(User, { where: { tenantId, role: 'admin', state: 'active' }, order: { id: 'ASC' } });
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

  // The active agent's availability, set now; the agent as it then is, or null when absent or
  // deactivated. `changed`: whether it moved.
  async setAvailability(tenantId: number, id: number, availability: UserAvailability): Promise<{ user: User; changed: boolean } | null> {
    // An UPDATE's answer through TypeORM is [rows, count].
    const [rows]: [{ id: number; changed: boolean }[], number] = await this.db.query(
      `WITH current AS (SELECT availability FROM users WHERE tenant_id = $1 AND id = $2 AND state = 'active' FOR NO KEY UPDATE)
       UPDATE users u
          SET availability = $3,
              availability_changed_at = CASE WHEN current.availability = $3 THEN u.availability_changed_at ELSE now() END
         FROM current
        WHERE u.tenant_id = $1 AND u.id = $2
       RETURNING u.id, current.availability <> $3 AS changed`,
      [tenantId, id, availability],
    );
    if (rows.length === 0) return null;
    return { user: (await this.findById(tenantId, id))!, changed: rows[0].changed };
  }

  // Presence, of any tenants' active agents (a webhook batch's): online turns offline into
  // available, leaving turns available into offline. An agent who chose away stays away through
  // both, so a dropped connection does not lose their choice (docs/architecture.md). An event older
  // than the latest one applied is not. Rows are locked in (tenant, id) order, so
  // two batches never deadlock here. Answers the agents who became available.
  async applyPresence(changes: readonly PresenceChange[]): Promise<UserRef[]> {
    if (changes.length === 0) return [];
    // Each agent's latest event of the batch (by time, then by place in it) is applied unless an
    // event as late is recorded already; its time is recorded even when it changes nothing, so an
    // older event arriving after it (Pusher does not promise order) changes nothing either.
    const [rows]: [(UserRef & { before: UserAvailability; availability: UserAvailability })[], number] = await this.db.query(
      `WITH change AS (
         SELECT DISTINCT ON (tenant_id, id) tenant_id, id, online, at
           FROM unnest($1::bigint[], $2::bigint[], $3::boolean[], $4::timestamptz[]) WITH ORDINALITY AS c(tenant_id, id, online, at, n)
          ORDER BY tenant_id, id, at DESC, n DESC
       ), locked AS (
         SELECT u.tenant_id, u.id, u.availability AS before FROM users u JOIN change c ON c.tenant_id = u.tenant_id AND c.id = u.id
          WHERE u.state = 'active'
          ORDER BY u.tenant_id, u.id
            FOR NO KEY UPDATE OF u
       )
       UPDATE users u
          SET availability = CASE
                WHEN NOT c.online AND u.availability = 'available' THEN 'offline'
                WHEN c.online AND u.availability = 'offline' THEN 'available'
                ELSE u.availability END,
              availability_changed_at = c.at
         FROM change c, locked l
        WHERE l.tenant_id = u.tenant_id AND l.id = u.id AND c.tenant_id = u.tenant_id AND c.id = u.id
          AND (u.availability_changed_at IS NULL OR u.availability_changed_at <= c.at)
       RETURNING u.tenant_id AS "tenantId", u.id, l.before, u.availability`,
      [changes.map((c) => c.tenantId), changes.map((c) => c.id), changes.map((c) => c.online), changes.map((c) => c.at)],
    );
    return rows.filter((r) => r.before === 'offline' && r.availability === 'available').map(({ tenantId, id }) => ({ tenantId, id }));
  }
}
