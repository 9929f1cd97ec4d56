import { Injectable } from '@nestjs/common';
import { ListPage, ListQuery, runList } from '@app/common';
import { Database } from '@app/database';
import { EntityManager, FindOptionsWhere, In } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { NamedRow, SettingDefinition } from './ticket-settings.definitions';

// The parts of a definition the SQL needs: its entity and list, or just its table.
type Definition<E extends NamedRow> = Pick<SettingDefinition<E>, 'entity' | 'list'>;
type Table = Pick<SettingDefinition, 'table' | 'defaults'>;

// The SQL of every settings table, by definition. Table names come from the definitions, never
// from input; every query takes the tenant first.
@Injectable()
export class TicketSettingsRepository {
  constructor(private readonly db: Database) {}

  async findById<E extends NamedRow>(def: Definition<E>, tenantId: number, id: number, manager = this.db.manager): Promise<E | null> {
    return manager.findOneBy(def.entity, { tenantId, id } as FindOptionsWhere<E>);
  }

  // Deleted rows too, as tickets still show them.
  async findByIds<E extends NamedRow>(def: Definition<E>, tenantId: number, ids: readonly number[], manager = this.db.manager): Promise<E[]> {
    if (ids.length === 0) return [];
    return manager.find(def.entity, {
      where: { tenantId, id: In([...new Set(ids)]) } as FindOptionsWhere<E>,
      order: { id: 'ASC' } as never,
    });
  }

  async findActiveByIds<E extends NamedRow>(manager: EntityManager, def: Definition<E>, tenantId: number, ids: readonly number[]): Promise<E[]> {
    if (ids.length === 0) return [];
    return manager.find(def.entity, { where: { tenantId, id: In([...new Set(ids)]), state: 'active' } as FindOptionsWhere<E> });
  }

  // Locks the row for the rest of the transaction.
  async findForUpdate<E extends NamedRow>(manager: EntityManager, def: Definition<E>, tenantId: number, id: number): Promise<E | null> {
    return manager
      .createQueryBuilder(def.entity, 's')
      .where('s.tenant_id = :tenantId AND s.id = :id', { tenantId, id })
      .setLock('for_no_key_update')
      .getOne();
  }

  // Locks the tenant's active rows of the table, in id order (so two lockers never deadlock):
  // changes of the default then apply one after another.
  async lockActive(manager: EntityManager, def: Table, tenantId: number): Promise<void> {
    await manager.query(`SELECT id FROM ${def.table} WHERE tenant_id = $1 AND state = 'active' ORDER BY id FOR NO KEY UPDATE`, [tenantId]);
  }

  // The active row with this name, ignoring case (what uq_<table>_name compares), other than `exceptId`.
  async nameHolder(
    manager: EntityManager,
    def: Table,
    tenantId: number,
    name: string,
    exceptId: number | null,
  ): Promise<number | null> {
    const rows: { id: number }[] = await manager.query(
      `SELECT id FROM ${def.table}
        WHERE tenant_id = $1 AND lower(name) = lower($2) AND state = 'active' AND id IS DISTINCT FROM $3
        LIMIT 1`,
      [tenantId, name, exceptId],
    );
    return rows[0]?.id ?? null;
  }

  async list<E extends NamedRow>(def: Definition<E>, tenantId: number, query: ListQuery): Promise<ListPage<E>> {
    const qb = this.db.manager.createQueryBuilder(def.entity, 's').where('s.tenant_id = :tenantId', { tenantId });
    return runList(qb, def.list, query);
  }

  async insert<E extends NamedRow>(manager: EntityManager, def: Definition<E>, values: Partial<E>): Promise<number> {
    const row = manager.create(def.entity, values as E);
    await manager.insert(def.entity, row as QueryDeepPartialEntity<E>);
    return row.id;
  }

  async update<E extends NamedRow>(
    manager: EntityManager,
    def: Definition<E>,
    tenantId: number,
    id: number,
    changes: Record<string, unknown>,
  ): Promise<void> {
    await manager.update(def.entity, { tenantId, id } as FindOptionsWhere<E>, changes as QueryDeepPartialEntity<E>);
  }

  // Before another row becomes the default: uq_<table>_default is checked row by row, so the old
  // default is cleared first. Its wire form changes, so its updatedAt moves.
  async clearDefault(manager: EntityManager, def: Table, tenantId: number, exceptId: number | null, actorId: number): Promise<void> {
    await manager.query(
      `UPDATE ${def.table} SET is_default = false, updated_at = now(), updated_by = $3
        WHERE tenant_id = $1 AND is_default AND state = 'active' AND id IS DISTINCT FROM $2`,
      [tenantId, exceptId, actorId],
    );
  }

  // Soft; updatedAt stays. A deleted row is no one's default any more.
  async softDelete(manager: EntityManager, def: Table, tenantId: number, id: number, actorId: number): Promise<void> {
    const clearDefault = def.defaults ? ', is_default = false' : '';
    await manager.query(
      `UPDATE ${def.table} SET state = 'deleted', deleted_at = now(), deleted_by = $3${clearDefault}
        WHERE tenant_id = $1 AND id = $2 AND state = 'active'`,
      [tenantId, id, actorId],
    );
  }
}
