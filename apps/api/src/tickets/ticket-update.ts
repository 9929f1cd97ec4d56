import { Injectable } from '@nestjs/common';
import { FieldErrorsBuilder, Messages, restored, softDeleted } from '@app/common';
import { Principal } from '../auth/principal';
import { FilesService } from '../files/files.service';
import { Inbox } from './settings/ticket-setting.entity';
import { INBOXES } from './settings/ticket-settings.definitions';
import { TicketSettingsService } from './settings/ticket-settings.service';
import { TicketUpdate } from './ticket-input';
import { BodyTags, RefField, sendFromAddress, TicketRefs } from './ticket-refs';
import { Ticket } from './ticket.entity';
import { CustomFieldValue } from './tickets.repository';

// The columns a PATCH changes: only those whose value differs from the ticket's (arrays by value).
export class TicketChanges {
  readonly values: Record<string, unknown> = {};

  constructor(private readonly current: Ticket) {}

  set<K extends keyof Ticket>(key: K, value: Ticket[K]): void {
    if (!same(value, this.current[key])) this.values[key] = value;
  }
}

// A PATCH body, checked: nothing in it refers to anything the tenant lacks.
export interface TicketUpdatePlan {
  changes: TicketChanges;
  // A customer to find by email, or create with that email, once the body is known to be good.
  customerEmail: string | null;
  tags: BodyTags | null;
  customFields: CustomFieldValue[];
}

const SETTING_COLUMNS = { inbox: 'inboxId', status: 'statusId', priority: 'priorityId', type: 'typeId', source: 'sourceId' } as const;

// Turns a PATCH body into a TicketUpdatePlan: only the given properties change, each checked by
// the rule a new ticket's follows (TicketRefs), every problem reported at once in the body's order.
@Injectable()
export class TicketUpdatePlanner {
  constructor(
    private readonly refs: TicketRefs,
    private readonly files: FilesService,
    private readonly settings: TicketSettingsService,
  ) {}

  async plan(principal: Principal, current: Ticket, input: TicketUpdate): Promise<TicketUpdatePlan> {
    const { tenantId } = principal;
    const errors = new FieldErrorsBuilder();
    const changes = new TicketChanges(current);
    changeSubject(input, changes, errors);
    const customerEmail = await this.changeCustomer(tenantId, current, input, changes, errors);
    if (input.agent !== undefined) await this.changeAgent(tenantId, input.agent, changes, errors);
    const inbox = await this.changeSettings(tenantId, input, changes, errors);
    if (input.parent !== undefined) await this.changeParent(tenantId, current.id, input.parent, changes, errors);
    await this.changeSendFrom(tenantId, current, input, inbox, changes, errors);
    const tags = input.tags === undefined ? null : await this.refs.tags(principal, input.tags, errors);
    const customFields = input.customfields === undefined ? [] : await this.refs.customFields(tenantId, input, null, errors, true);
    if (input.files !== undefined) changes.set('fileIds', await this.files.checkActiveIds(tenantId, input.files, errors));
    changePlain(input, changes);
    errors.throwIfAny();
    return { changes, customerEmail, tags, customFields };
  }

  // Another customer, by the rule a new ticket's follows; an email no customer has yet answers
  // the email, for the customer to be created once the body is good.
  private async changeCustomer(tenantId: number, current: Ticket, input: TicketUpdate, changes: TicketChanges, errors: FieldErrorsBuilder): Promise<string | null> {
    if (input.customer === undefined) return null;
    const customer = await this.refs.customer(tenantId, input.customer, errors);
    if (customer?.id === null) return customer.email;
    if (customer && customer.id !== current.customerId) {
      changes.set('customerId', customer.id);
      changes.set('contactId', customer.contactId);
    }
    return null;
  }

  private async changeAgent(tenantId: number, agent: TicketUpdate['agent'], changes: TicketChanges, errors: FieldErrorsBuilder): Promise<void> {
    if (agent) await this.refs.agent(tenantId, agent.id, 'agent.id', errors);
    changes.set('agentId', agent?.id ?? null);
  }

  // The given settings refs; null clears all but inbox and status, which a ticket always has.
  // Answers the new inbox, when one is given and found.
  private async changeSettings(tenantId: number, input: TicketUpdate, changes: TicketChanges, errors: FieldErrorsBuilder): Promise<Inbox | null> {
    let inbox: Inbox | null = null;
    for (const field of Object.keys(SETTING_COLUMNS) as RefField[]) {
      const ref = input[field];
      if (ref === undefined) continue;
      if (ref === null && (field === 'inbox' || field === 'status')) {
        errors.add(field, Messages.required);
        continue;
      }
      const row = ref === null ? null : await this.refs.setting(tenantId, field, ref.id, `${field}.id`, errors);
      if (row && field === 'inbox') inbox = row as Inbox;
      changes.set(SETTING_COLUMNS[field], ref?.id ?? null);
    }
    return inbox;
  }

  private async changeParent(tenantId: number, id: number, parent: TicketUpdate['parent'], changes: TicketChanges, errors: FieldErrorsBuilder): Promise<void> {
    if (!parent) changes.set('parentId', null);
    else if (await this.refs.parent(tenantId, parent.id, id, errors)) changes.set('parentId', parent.id);
  }

  // sendFrom is checked against the inbox the ticket will have: a new inbox checks the address
  // the ticket keeps, too.
  private async changeSendFrom(
    tenantId: number,
    current: Ticket,
    input: TicketUpdate,
    newInbox: Inbox | null,
    changes: TicketChanges,
    errors: FieldErrorsBuilder,
  ): Promise<void> {
    if (input.sendFrom === undefined && !(newInbox && current.sendFrom)) return;
    const inbox = newInbox ?? (await this.settings.getById(INBOXES, tenantId, current.inboxId));
    const wanted = input.sendFrom === undefined ? current.sendFrom : input.sendFrom;
    changes.set('sendFrom', wanted === null ? null : sendFromAddress(inbox, wanted, errors));
  }
}

// The ticket's state as a PATCH leaves it. Restoring is a change like any other (updatedAt
// moves, with tags and fields changed too); deleting leaves updatedAt as it was.
export function withStateChange(current: Ticket, state: TicketUpdate['state'], changes: TicketChanges, related: boolean, actorId: number): Record<string, unknown> {
  const values = { ...changes.values };
  if (state === 'active' && current.state === 'deleted') Object.assign(values, restored());
  if (Object.keys(values).length > 0 || related) Object.assign(values, { updatedAt: () => 'now()', updatedBy: actorId });
  if (state === 'deleted' && current.state === 'active') Object.assign(values, softDeleted(actorId));
  return values;
}

function changeSubject(input: TicketUpdate, changes: TicketChanges, errors: FieldErrorsBuilder): void {
  if (input.subject === undefined) return;
  if (input.subject.trim() === '') errors.add('subject', Messages.required);
  else changes.set('subject', input.subject.trim());
}

// The properties stored as given.
function changePlain(input: TicketUpdate, changes: TicketChanges): void {
  if (input.cc !== undefined) changes.set('cc', input.cc);
  if (input.bcc !== undefined) changes.set('bcc', input.bcc);
  if (input.editMethod !== undefined) changes.set('editMethod', input.editMethod);
  if (input.isRead !== undefined) changes.set('isRead', input.isRead);
}

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => item === b[index]);
  return a === b;
}
