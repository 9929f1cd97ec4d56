import { Injectable } from '@nestjs/common';
import { FieldErrorsBuilder, hasUnstorableText, Messages } from '@app/common';
import { Principal } from '../auth/principal';
import { UsersService } from '../auth/users.service';
import { normalizeEmail } from '../contacts/contact-normalization';
import { ContactsService } from '../contacts/contacts.service';
import { Customer } from '../contacts/customer.entity';
import { checkCustomFieldValues } from './settings/custom-field-value';
import { Inbox, TicketSetting } from './settings/ticket-setting.entity';
import { TicketSettingKind } from './settings/ticket-settings.definitions';
import { TicketSettingsService } from './settings/ticket-settings.service';
import { TicketTemplate } from './settings/ticket-template.entity';
import { CustomerRefInput, TicketInput, TicketOrigin } from './ticket-input';
import { CustomFieldValue, TicketsRepository } from './tickets.repository';

// The customer a ticket is for: found (id set), or to be created with `email` once the whole
// body is known to be good (id null).
export interface TicketCustomer {
  id: number | null;
  contactId: number | null;
  email: string | null;
}

// The settings a ticket refers to, by the body's field name.
export type RefField = 'inbox' | 'status' | 'priority' | 'type' | 'source';

export const SETTING_KIND: Record<RefField, TicketSettingKind> = {
  inbox: 'inboxes',
  status: 'ticketstatuses',
  priority: 'ticketpriorities',
  type: 'tickettypes',
  source: 'ticketsources',
};

// A body's `tags`: active tags by id, and names no tag has yet, to create (an admin's body only).
export interface BodyTags {
  ids: number[];
  names: string[];
}

const TAG_NAME_MAX = 100;

// What a ticket body names, checked against the caller's tenant: the one place of each ref's
// rule, for a new ticket or a conversion (TicketComposer), a PATCH (TicketUpdatePlanner) and a
// thread message. Problems go to `errors` under the body's paths. Rows of other modules are read
// through their services, in the caller's transaction.
@Injectable()
export class TicketRefs {
  constructor(
    private readonly users: UsersService,
    private readonly contacts: ContactsService,
    private readonly settings: TicketSettingsService,
    private readonly tickets: TicketsRepository,
  ) {}

  // customer {id} xor {email}. By id, an active customer of the tenant with the converted
  // conversation's contact when it is that customer's, else its main one. By email, the customer
  // owning that address in normal form (a look-alike is that customer), or none yet (id null).
  async customer(tenantId: number, ref: CustomerRefInput, errors: FieldErrorsBuilder, origin: TicketOrigin | null = null): Promise<TicketCustomer | null> {
    if ((ref.id === undefined) === (ref.email === undefined)) {
      errors.add('customer', 'Customer ID or Email is required, but not both');
      return null;
    }
    if (ref.id === undefined) return this.customerByEmail(tenantId, normalizeEmail(ref.email!));
    const customer = await this.activeCustomer(tenantId, ref.id);
    if (!customer) {
      errors.add('customer.id', Messages.notFound);
      return null;
    }
    const contactId = origin?.customerId === customer.id ? origin.contactId : await this.contacts.ticketContactId(tenantId, customer.id);
    return { id: customer.id, contactId, email: customer.email };
  }

  async activeCustomer(tenantId: number, id: number): Promise<Customer | null> {
    const customer = await this.contacts.findCustomer(tenantId, id);
    return customer?.state === 'active' ? customer : null;
  }

  private async customerByEmail(tenantId: number, email: string): Promise<TicketCustomer> {
    const contact = await this.contacts.findContactByValue(tenantId, { type: 'email', value: email });
    if (!contact) return { id: null, contactId: null, email };
    const customer = await this.contacts.findCustomer(tenantId, contact.customerId);
    return { id: contact.customerId, contactId: contact.id, email: customer!.email };
  }

  // The customer an email names once the body is good: the one found then, or a new one with
  // that address as its main contact.
  async createCustomer(tenantId: number, email: string, actorId: number): Promise<{ customerId: number; contactId: number }> {
    const contact = await this.contacts.findOrCreateContact(tenantId, { type: 'email', value: email }, actorId);
    return { customerId: contact.customerId, contactId: contact.id };
  }

  async agent(tenantId: number, id: number, path: string, errors: FieldErrorsBuilder): Promise<void> {
    const [user] = await this.users.findActiveByIds(tenantId, [id]);
    if (!user) errors.add(path, 'must be an active agent of the tenant');
  }

  async setting(tenantId: number, field: RefField, id: number, path: string, errors: FieldErrorsBuilder): Promise<TicketSetting | null> {
    const row = await this.settings.findActive(tenantId, SETTING_KIND[field], id);
    if (!row) errors.add(path, Messages.notFound);
    return row;
  }

  // An active ticket of the tenant; for a PATCH of `childId`, neither that ticket nor one of its
  // descendants (no cycle in the parent chain).
  async parent(tenantId: number, parentId: number, childId: number | null, errors: FieldErrorsBuilder): Promise<boolean> {
    if (childId !== null && (parentId === childId || (await this.tickets.isInParentChain(tenantId, parentId, childId)))) {
      errors.add('parent.id', 'must not be the ticket itself or one of its children');
      return false;
    }
    if ((await this.tickets.findById(tenantId, parentId))?.state !== 'active') {
      errors.add('parent.id', Messages.notFound);
      return false;
    }
    return true;
  }

  // Refs must be active tags of the tenant. Names are found among them, ignoring case; a name no
  // tag has yet is created later for an admin, and refused for an agent (tags are admin settings:
  // an agent who may not POST /tags.json may not create one by naming it either).
  async tags(principal: Principal, items: readonly unknown[], errors: FieldErrorsBuilder): Promise<BodyTags> {
    const { tenantId } = principal;
    const { ids, names } = readTagItems(items, errors);
    await this.checkTagIds(tenantId, ids, errors);
    const byName = await this.settings.activeTagIdsByName(
      tenantId,
      names.map((item) => item.name),
    );
    const unknown = names.filter((item) => !byName.has(item.name.toLowerCase()));
    const admin = principal.role === 'admin';
    if (!admin) unknown.forEach((item) => errors.add(item.path, 'must name an existing tag: only an admin creates tags'));
    return {
      ids: [...new Set([...ids.map((ref) => ref.id), ...byName.values()])],
      names: admin ? [...new Map(unknown.map((item) => [item.name.toLowerCase(), item.name])).values()] : [],
    };
  }

  // The ticket's tag ids once the body is good: the names created now.
  async tagIds(tenantId: number, tags: BodyTags, actorId: number): Promise<number[]> {
    const created = await this.settings.findOrCreateTags(tenantId, tags.names, actorId);
    return [...new Set([...tags.ids, ...created])];
  }

  // Each value fits its field's type and options; the body's values win over the template's.
  // `allowNull` (PATCH) lets null clear a value.
  async customFields(
    tenantId: number,
    body: Pick<TicketInput, 'customfields'>,
    template: TicketTemplate | null,
    errors: FieldErrorsBuilder,
    allowNull = false,
  ): Promise<CustomFieldValue[]> {
    const given = (body.customfields ?? []).map((entry, index) => ({ ...entry, path: `customfields[${index}]` }));
    const fromTemplate = (template?.customFields ?? [])
      .filter((entry) => !given.some((other) => other.id === entry.id))
      .map((entry) => ({ ...entry, path: 'tickettemplate.customfields' }));
    const entries = [...given, ...fromTemplate];
    if (entries.length === 0) return [];
    const fields = await this.settings.findActiveByIds(
      tenantId,
      'customfields',
      entries.map((entry) => entry.id),
    );
    return checkCustomFieldValues(entries, new Map(fields.map((field) => [field.id, field])), errors, { allowNull });
  }

  private async checkTagIds(tenantId: number, refs: readonly TagRef[], errors: FieldErrorsBuilder): Promise<void> {
    if (refs.length === 0) return;
    const tags = await this.settings.findActiveByIds(
      tenantId,
      'tags',
      refs.map((ref) => ref.id),
    );
    const found = new Set(tags.map((tag) => tag.id));
    for (const ref of refs) if (!found.has(ref.id)) errors.add(ref.path, Messages.notFound);
  }
}

// A ticket's sendFrom: one of its inbox's addresses, kept as the inbox spells it (compared
// ignoring case and surrounding space); anything else is an error on `sendFrom`.
export function sendFromAddress(inbox: Inbox, wanted: string | null, errors: FieldErrorsBuilder): string | null {
  const key = wanted?.trim().toLowerCase();
  const address = key === undefined ? null : ([inbox.email, ...inbox.aliases].find((candidate) => candidate?.toLowerCase() === key) ?? null);
  if (address === null) errors.add('sendFrom', `must be the email or an alias of inbox ${inbox.id}`);
  return address;
}

// A tag of the body by id, or by name, with the path its error names.
interface TagRef {
  id: number;
  path: string;
}

interface TagName {
  name: string;
  path: string;
}

// The body's `tags`: refs {"id": 3} and names ("vip" or {"name": "vip"}), each checked for shape.
function readTagItems(items: readonly unknown[], errors: FieldErrorsBuilder): { ids: TagRef[]; names: TagName[] } {
  const ids: TagRef[] = [];
  const names: TagName[] = [];
  items.forEach((item, index) => {
    const read = readTagItem(item, `tags[${index}]`, errors);
    if (read && 'id' in read) ids.push(read);
    else if (read) names.push(read);
  });
  return { ids, names };
}

// One item; a client echoing a tag back may send its `type` and `meta` too.
function readTagItem(item: unknown, path: string, errors: FieldErrorsBuilder): TagRef | TagName | null {
  const entry = typeof item === 'string' ? { name: item } : item;
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
    errors.add(path, 'must be a tag ref {"id": 3} or a name');
    return null;
  }
  const { id, name, ...rest } = entry as Record<string, unknown>;
  const unknown = Object.keys(rest).filter((key) => key !== 'type' && key !== 'meta');
  if (unknown.length > 0) {
    unknown.forEach((key) => errors.add(`${path}.${key}`, Messages.unknownField));
    return null;
  }
  if (id !== undefined && name !== undefined) {
    errors.add(path, 'must have an id or a name, not both');
    return null;
  }
  if (id !== undefined) return tagRef(id, `${path}.id`, errors);
  return tagName(name, typeof item === 'string' ? path : `${path}.name`, errors);
}

function tagRef(id: unknown, path: string, errors: FieldErrorsBuilder): TagRef | null {
  if (!Number.isSafeInteger(id) || (id as number) < 1) {
    errors.add(path, Messages.integer);
    return null;
  }
  return { id: id as number, path };
}

function tagName(name: unknown, path: string, errors: FieldErrorsBuilder): TagName | null {
  if (typeof name !== 'string') {
    errors.add(path, Messages.string);
    return null;
  }
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > TAG_NAME_MAX || hasUnstorableText(name)) {
    errors.add(path, `must be 1 to ${TAG_NAME_MAX} characters`);
    return null;
  }
  return { name: trimmed, path };
}
