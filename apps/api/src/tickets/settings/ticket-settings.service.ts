import { Injectable } from '@nestjs/common';
import { ConflictError, FieldErrorsBuilder, ForbiddenError, isUniqueViolation, ListPage, ListQuery, NotFoundError } from '@app/common';
import { Database } from '@app/database';
import { AuthErrorCode } from '../../auth/auth.errors';
import { Principal } from '../../auth/principal';
import { UsersService } from '../../auth/users.service';
import { CustomField } from './custom-field.entity';
import {
  CUSTOM_FIELDS,
  IncludableSettingKind,
  NamedRow,
  SETTING_DEFINITIONS,
  SettingDefinition,
  SettingKind,
  SettingLookup,
  TicketSettingKind,
} from './ticket-settings.definitions';
import { SettingErrorCode } from './ticket-settings.errors';
import { presentCustomField, presentInbox, presentSetting, presentTag } from './ticket-settings.presenter';
import { TicketSettingsRepository } from './ticket-settings.repository';

// What findByIds answers for each kind: the objects as GET shows them.
export interface PresentedSettings {
  inboxes: ReturnType<typeof presentInbox>;
  ticketstatuses: ReturnType<typeof presentSetting>;
  ticketpriorities: ReturnType<typeof presentSetting>;
  tickettypes: ReturnType<typeof presentSetting>;
  ticketsources: ReturnType<typeof presentSetting>;
  tags: ReturnType<typeof presentTag>;
  customfields: ReturnType<typeof presentCustomField>;
}

// The row type of each kind.
export type SettingRow<K extends SettingKind> = (typeof SETTING_DEFINITIONS)[K] extends { entity: new () => infer E extends NamedRow } ? E : never;

// What the name and default checks need of a definition.
type Kind = Pick<SettingDefinition, 'singular' | 'table' | 'defaults'>;

interface Defaultable {
  isDefault: boolean;
}

// The tenant's ticket settings, one implementation for every kind, driven by its definition
// (ticket-settings.definitions.ts). Everyone reads; only admins write. Names are unique among a
// kind's active rows ignoring case; inboxes and statuses always keep exactly one default.
@Injectable()
export class TicketSettingsService {
  constructor(
    private readonly db: Database,
    private readonly settings: TicketSettingsRepository,
    private readonly users: UsersService,
  ) {}

  async list<E extends NamedRow>(def: SettingDefinition<E, never>, tenantId: number, query: ListQuery): Promise<ListPage<E>> {
    return this.settings.list(def, tenantId, query);
  }

  // Deleted rows too; another tenant's are not found.
  async getById<E extends NamedRow>(def: SettingDefinition<E, never>, tenantId: number, id: number): Promise<E> {
    const row = await this.settings.findById(def, tenantId, id);
    if (!row) throw notFound(def, id);
    return row;
  }

  // For `?includes=` of tickets: presented, deleted ones too, in one query.
  async findByIds<K extends IncludableSettingKind>(tenantId: number, kind: K, ids: readonly number[]): Promise<PresentedSettings[K][]> {
    const def = SETTING_DEFINITIONS[kind] as Pick<SettingDefinition, 'entity' | 'list' | 'present'>;
    const rows = await this.settings.findByIds(def, tenantId, ids);
    return rows.map((row) => def.present(row) as PresentedSettings[K]);
  }

  // What ticket bodies name, for the tickets module, in the caller's transaction: the tenant's
  // active rows of a kind.
  async findActiveByIds<K extends SettingKind>(tenantId: number, kind: K, ids: readonly number[]): Promise<SettingRow<K>[]> {
    return this.settings.findActiveByIds(definitionOf(kind), tenantId, ids);
  }

  async findActive<K extends SettingKind>(tenantId: number, kind: K, id: number): Promise<SettingRow<K> | null> {
    return this.settings.findActiveBy(definitionOf(kind), tenantId, { id });
  }

  // The row the system made with this code (the source "chat"), while it is active.
  async findByCode<K extends TicketSettingKind>(tenantId: number, kind: K, code: string): Promise<SettingRow<K> | null> {
    return this.settings.findActiveBy(definitionOf(kind), tenantId, { code });
  }

  async findDefault<K extends TicketSettingKind>(tenantId: number, kind: K): Promise<SettingRow<K> | null> {
    return this.settings.findActiveBy(definitionOf(kind), tenantId, { isDefault: true });
  }

  // The tenant's active tags with these names (any case), by lower-cased name.
  async activeTagIdsByName(tenantId: number, names: readonly string[]): Promise<Map<string, number>> {
    return this.settings.activeTagIdsByName(tenantId, names);
  }

  // Tags by name, created where none has the name: the caller has made sure it may (an admin's
  // ticket body names them).
  async findOrCreateTags(tenantId: number, names: readonly string[], actorId: number | null): Promise<number[]> {
    return this.settings.findOrCreateTags(tenantId, names, actorId);
  }

  async create<E extends NamedRow, I extends object>(def: SettingDefinition<E, I>, principal: Principal, input: I): Promise<E> {
    assertAdmin(principal);
    const { tenantId, userId } = principal;
    const makeDefault = def.defaults !== undefined && (input as Partial<Defaultable>).isDefault === true;
    return this.db.transaction(async () => {
      const values = await this.valuesOf(def, tenantId, input, null);
      if (makeDefault) await this.settings.lockActive(def, tenantId);
      await this.assertNameFree(def, tenantId, values.name!, null);
      const id = await this.guardRace(def, tenantId, values.name, null, async () => {
        if (makeDefault) await this.settings.clearDefault(def, tenantId, null, userId);
        const defaults = def.defaults ? { isDefault: makeDefault } : {};
        return this.settings.insert(def, { ...values, ...defaults, tenantId, createdBy: userId, updatedBy: userId });
      });
      return (await this.settings.findById(def, tenantId, id))!;
    });
  }

  // Only the given properties change; updatedAt/updatedBy move only when one really did.
  async update<E extends NamedRow, I extends object>(def: SettingDefinition<E, I>, principal: Principal, id: number, input: I): Promise<E> {
    assertAdmin(principal);
    const { tenantId, userId } = principal;
    const wantDefault = def.defaults ? (input as Partial<Defaultable>).isDefault : undefined;
    return this.db.transaction(async () => {
      // All rows first, then this one: the order every default change locks in.
      if (wantDefault === true) await this.settings.lockActive(def, tenantId);
      const current = await this.settings.findForUpdate(def, tenantId, id);
      if (!current) throw notFound(def, id);
      if (current.state === 'deleted') throw new ConflictError(SettingErrorCode.Deleted, `${def.singular} ${id} is deleted`);

      const changes = changedValues(current, await this.valuesOf(def, tenantId, input, current));
      const wasDefault = (current as unknown as Defaultable).isDefault;
      const makeDefault = wantDefault === true && !wasDefault;
      if (makeDefault) changes.isDefault = true;
      if (wantDefault === false && wasDefault) {
        if (def.defaults?.required) throw defaultRequired(def, id, 'isDefault');
        changes.isDefault = false;
      }
      if (Object.keys(changes).length === 0) return current;

      const name = changes.name as string | undefined;
      if (name !== undefined) await this.assertNameFree(def, tenantId, name, id);
      await this.guardRace(def, tenantId, name, id, async () => {
        if (makeDefault) await this.settings.clearDefault(def, tenantId, id, userId);
        await this.settings.update(def, tenantId, id, { ...changes, updatedAt: () => 'now()', updatedBy: userId });
      });
      return (await this.settings.findById(def, tenantId, id))!;
    });
  }

  // Soft; deleting a deleted row changes nothing. The tenant's required default cannot go.
  async remove<E extends NamedRow>(def: SettingDefinition<E, never>, principal: Principal, id: number): Promise<void> {
    assertAdmin(principal);
    const { tenantId, userId } = principal;
    await this.db.transaction(async () => {
      const current = await this.settings.findForUpdate(def, tenantId, id);
      if (!current) throw notFound(def, id);
      if (current.state === 'deleted') return;
      if (def.defaults?.required && (current as unknown as Defaultable).isDefault) throw defaultRequired(def, id, null);
      await this.settings.softDelete(def, tenantId, id, userId);
    });
  }

  // The columns a body sets, every problem of it reported at once.
  private async valuesOf<E extends NamedRow, I extends object>(def: SettingDefinition<E, I>, tenantId: number, input: I, current: E | null): Promise<Partial<E>> {
    const values: Record<string, unknown> = {};
    for (const key of def.writable) {
      if (input[key] !== undefined) values[key] = input[key];
    }
    const errors = new FieldErrorsBuilder();
    if (def.prepare) Object.assign(values, await def.prepare(input, { current, errors, lookup: this.lookup(tenantId) }));
    errors.throwIfAny();
    return values as Partial<E>;
  }

  private lookup(tenantId: number): SettingLookup {
    return {
      activeIds: async (kind, ids) => {
        const rows = kind === 'users' ? await this.users.findActiveByIds(tenantId, ids) : await this.findActiveByIds(tenantId, kind, ids);
        return new Set(rows.map((row) => row.id));
      },
      activeCustomFields: async (ids) => {
        const fields: CustomField[] = await this.settings.findActiveByIds(CUSTOM_FIELDS, tenantId, ids);
        return new Map(fields.map((field) => [field.id, field]));
      },
    };
  }

  private async assertNameFree(def: Kind, tenantId: number, name: string, exceptId: number | null): Promise<void> {
    const holder = await this.settings.nameHolder(def, tenantId, name, exceptId);
    if (holder !== null) throw nameTaken(def, holder);
  }

  // Runs the write in a savepoint. A request that took the name (or made another default) between
  // our check and our write makes a unique index fire: the savepoint keeps the transaction usable
  // to name the winner, and the answer is the 409 the check would have given.
  private async guardRace<T>(def: Kind, tenantId: number, name: string | undefined, exceptId: number | null, work: () => Promise<T>): Promise<T> {
    try {
      return await this.db.savepoint(work);
    } catch (error) {
      if (name !== undefined && isUniqueViolation(error, `uq_${def.table}_name`)) {
        const holder = await this.settings.nameHolder(def, tenantId, name, exceptId);
        throw holder === null
          ? new ConflictError(SettingErrorCode.NameTaken, `another ${def.singular} took this name meanwhile; retry`)
          : nameTaken(def, holder);
      }
      // Only when the tenant had no active row to lock: two new defaults at once.
      if (isUniqueViolation(error, `uq_${def.table}_default`)) {
        throw new ConflictError(
          SettingErrorCode.ConcurrentUpdate,
          `another request changed the default ${def.singular} meanwhile; nothing was written, retry`,
        );
      }
      throw error;
    }
  }
}

function definitionOf<K extends SettingKind>(kind: K): Pick<SettingDefinition<SettingRow<K>>, 'entity' | 'list'> {
  return SETTING_DEFINITIONS[kind] as unknown as Pick<SettingDefinition<SettingRow<K>>, 'entity' | 'list'>;
}

function assertAdmin(principal: Principal): void {
  if (principal.role !== 'admin') {
    throw new ForbiddenError(AuthErrorCode.AdminRequired, 'only an admin may change ticket settings');
  }
}

// The values that differ from the row's; arrays and JSON by value.
function changedValues<E extends NamedRow>(current: E, values: Partial<E>): Record<string, unknown> {
  const row = current as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.entries(values).filter(([key, value]) => JSON.stringify(row[key]) !== JSON.stringify(value)));
}

function notFound(def: Kind, id: number): NotFoundError {
  return new NotFoundError(SettingErrorCode.NotFound, `${def.singular} ${id} not found`);
}

function nameTaken(def: Kind, holderId: number): ConflictError {
  return new ConflictError(SettingErrorCode.NameTaken, `${def.singular} ${holderId} already has this name`, {
    name: [`is already taken by ${def.singular} ${holderId}`],
  });
}

// `field` is null for a DELETE, whose body has no field to name.
function defaultRequired(def: Kind, id: number, field: string | null): ConflictError {
  const advice = `make another ${def.singular} the default first`;
  return new ConflictError(
    SettingErrorCode.DefaultRequired,
    `${def.singular} ${id} is the default, and there must always be one; ${advice}`,
    field ? { [field]: [`cannot be false: there must always be a default ${def.singular}; ${advice}`] } : undefined,
  );
}
