import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { User } from './user.entity';
import { Database } from '@app/database';

@Injectable()
export class UsersService {
  constructor(private readonly db: Database) {}

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
    return this.db.manager.find(User, { where: { tenantId, id: In([...new Set(ids)]) }, order: { id: 'ASC' } });
  }

  // Active agents with this email, in every tenant (emails are unique per tenant only).
  async findActiveByEmailForOperator(email: string): Promise<User[]> {
    return this.db.manager
      .createQueryBuilder(User, 'u')
      .where('lower(u.email) = lower(:email) AND u.state = :state', { email, state: 'active' })
      .orderBy('u.tenant_id')
      .getMany();
  }
}
