import { FieldErrorsBuilder, Messages } from '@app/common';
import { isEmail } from 'class-validator';
import { cleanContactText, ContactNormalizer } from './contact-normalization';
import { ContactType, CustomerContact } from './customer-contact.entity';

// The contact types a customer mirrors in its own columns (`email`, `phone`, `mobile`).
export const MIRRORED_TYPES = ['email', 'phone', 'mobile'] as const;
export type MirroredType = (typeof MIRRORED_TYPES)[number];

export interface ContactChange {
  id?: number;
  // 'contacts' (the ref type the API shows) means "unchanged".
  type?: ContactType | 'contacts';
  value?: string;
  isMain?: boolean;
  delete?: boolean;
}

export interface ContactsInput {
  contacts?: ContactChange[];
  email?: string | null;
  phone?: string | null;
  mobile?: string | null;
}

// create: no contacts yet; replace (PUT): the body lists every contact, unlisted ones go;
// patch: only the contacts the body names change.
export type PlanMode = 'create' | 'replace' | 'patch';

export interface PlannedContact {
  type: ContactType;
  value: string;
  isMain: boolean;
  // Where the body named it, for errors: `contacts[2]`, or `email` for the shorthand.
  path: string;
}

export interface ContactPlan {
  errors: FieldErrorsBuilder;
  remove: CustomerContact[];
  update: (PlannedContact & { id: number })[];
  insert: PlannedContact[];
  // New values this customer takes: each must not be another customer's active contact.
  claims: PlannedContact[];
  changed: boolean;
}

interface Slot {
  current?: CustomerContact;
  type: ContactType;
  value: string;
  path?: string;
  // What the body asked for; the final flag is decided per type afterwards.
  wantsMain?: boolean;
  isMain?: boolean;
  removed?: boolean;
}

// Case-insensitive for every type, as uq_customer_contacts_value (lower(value)) is.
export const contactKey = (type: string, value: string) => `${type}\u0000${value.toLowerCase()}`;

// Works out, without touching the database, what a body does to a customer's active contacts
// (`current`, oldest first), keeping exactly one main contact per type: one the body names, else
// the current main, else the oldest of that type. Every value the body gives is normalised
// first (a phone number that cannot be read is an error on its field).
export function planContacts(
  current: readonly CustomerContact[],
  input: ContactsInput,
  mode: PlanMode,
  normalizer = new ContactNormalizer(null),
): ContactPlan {
  const draft = new Draft(current, normalizer);
  (input.contacts ?? []).forEach((entry, index) => applyEntry(draft, entry, `contacts[${index}]`));
  for (const type of MIRRORED_TYPES) applyShorthand(draft, type, input[type], mode);
  // PUT lists every contact the customer keeps.
  if (mode === 'replace') draft.slots.filter((slot) => slot.current && !slot.path).forEach((slot) => (slot.removed = true));
  checkDuplicates(draft);
  checkSwaps(draft);
  for (const type of new Set(draft.live().map((slot) => slot.type))) chooseMain(draft, type);
  checkKeepsOne(draft, mode);
  return planOf(draft);
}

// The contacts as the body leaves them, and the errors found on the way.
class Draft {
  readonly errors = new FieldErrorsBuilder();
  readonly slots: Slot[];

  constructor(
    current: readonly CustomerContact[],
    private readonly normalizer: ContactNormalizer,
  ) {
    this.slots = current.map((contact) => ({ current: contact, type: contact.type, value: contact.value }));
  }

  live(): Slot[] {
    return this.slots.filter((slot) => !slot.removed);
  }

  // The value in normal form; one that cannot be read is an error on `field`, and kept cleaned.
  normal(type: ContactType, value: string, field: string): string {
    const normalised = this.normalizer.value(type, value);
    if (normalised === null) this.errors.add(field, this.normalizer.unreadablePhone);
    return normalised ?? cleanContactText(value);
  }
}

const sameContact = (slot: Slot, type: string, value: string) => contactKey(slot.type, slot.value) === contactKey(type, value);

function applyEntry(draft: Draft, entry: ContactChange, path: string): void {
  if (entry.id !== undefined) applyEntryById(draft, entry, entry.id, path);
  else applyNewEntry(draft, entry, path);
}

// An entry naming one of the customer's contacts: deletes or changes it.
function applyEntryById(draft: Draft, entry: ContactChange, id: number, path: string): void {
  const slot = draft.slots.find((candidate) => candidate.current?.id === id);
  if (!slot || slot.path) {
    draft.errors.add(`${path}.id`, slot ? 'is given more than once' : Messages.notFound);
    return;
  }
  slot.path = path;
  if (entry.delete) {
    slot.removed = true;
    return;
  }
  const current = slot.current!;
  if (entry.type !== undefined && entry.type !== 'contacts') slot.type = entry.type;
  if (entry.value !== undefined) slot.value = entry.value;
  // A new type or value is stored in its normal form; an untouched contact stays as it is.
  if (slot.type !== current.type || entry.value !== undefined) slot.value = draft.normal(slot.type, slot.value, `${path}.value`);
  if (entry.isMain !== undefined) slot.wantsMain = entry.isMain;
  // The DTO checks values whose type is given; a kept type is known only here.
  if (slot.type === 'email' && !sameContact(slot, current.type, current.value) && !isEmail(slot.value)) {
    draft.errors.add(`${path}.value`, Messages.email);
  }
}

// An entry without an id: a new contact, unless the customer already has that one.
function applyNewEntry(draft: Draft, entry: ContactChange, path: string): void {
  const type = entry.type as ContactType;
  const value = draft.normal(type, entry.value!, `${path}.value`);
  const match = draft.live().find((slot) => sameContact(slot, type, value));
  if (match?.path) draft.errors.add(`${path}.value`, 'is given more than once');
  else if (match) Object.assign(match, { path, value, wantsMain: entry.isMain ?? match.wantsMain });
  else draft.slots.push({ type, value, path, wantsMain: entry.isMain });
}

// The shorthand `email`/`phone`/`mobile`: the main contact of its type.
function applyShorthand(draft: Draft, type: MirroredType, given: string | null | undefined, mode: PlanMode): void {
  if (given === undefined) return;
  // PATCH {"email": null} removes the main email contact; elsewhere null is the same as omitted.
  if (given === null) {
    if (mode === 'patch') removeMainOf(draft, type);
    return;
  }
  const value = draft.normal(type, given, type);
  const match = draft.live().find((slot) => sameContact(slot, type, value));
  if (match?.wantsMain === false) draft.errors.add(type, `contradicts ${match.path}.isMain`);
  if (match) Object.assign(match, { path: match.path ?? type, wantsMain: true });
  else draft.slots.push({ type, value, path: type, wantsMain: true });
}

function removeMainOf(draft: Draft, type: MirroredType): void {
  const main = draft.live().find((slot) => slot.current?.isMain && slot.current.type === type && slot.type === type);
  if (main?.path) draft.errors.add(type, `contradicts ${main.path}`);
  else if (main) Object.assign(main, { path: type, removed: true });
}

// One contact per type and value.
function checkDuplicates(draft: Draft): void {
  const seen = new Map<string, Slot>();
  for (const slot of draft.live()) {
    const key = contactKey(slot.type, slot.value);
    const first = seen.get(key);
    if (!first) seen.set(key, slot);
    else draft.errors.add(`${slot.path ?? first.path}.value`, 'is given more than once');
  }
}

// The unique index is checked row by row, so one request cannot pass a value between two
// kept contacts (a swap): the value must leave its first contact in an earlier request.
function checkSwaps(draft: Draft): void {
  const moving = draft.live().filter((slot) => slot.current && !sameContact(slot, slot.current.type, slot.current.value));
  for (const slot of moving) {
    const holder = moving.find((other) => other !== slot && sameContact(slot, other.current!.type, other.current!.value));
    if (holder) draft.errors.add(`${slot.path}.value`, `is still the value of contact ${holder.current!.id}; change one at a time`);
  }
}

// Exactly one main contact of the type: the one the body names, else the current main, else the
// oldest not refused.
function chooseMain(draft: Draft, type: ContactType): void {
  const group = draft.live().filter((slot) => slot.type === type);
  // The shorthand (`email`) comes first, so a contradicting entry is the one blamed.
  const wanted = group.filter((slot) => slot.wantsMain).sort((a, b) => Number(a.path !== type) - Number(b.path !== type));
  wanted.slice(1).forEach((slot) => draft.errors.add(`${slot.path}.isMain`, `only one ${type} contact can be main`));
  const main =
    wanted[0] ??
    group.find((slot) => slot.current?.isMain && slot.current.type === type && slot.wantsMain !== false) ??
    group.find((slot) => slot.wantsMain !== false) ??
    // Exactly one main per type: `isMain: false` on the only one of its type cannot hold.
    group[0];
  group.forEach((slot) => (slot.isMain = slot === main));
}

// A customer keeps at least one contact. Only when nothing else explains it: entries already
// refused say more.
function checkKeepsOne(draft: Draft, mode: PlanMode): void {
  if (draft.live().length > 0 || !draft.errors.isEmpty) return;
  if (mode === 'patch' && !draft.slots.some((slot) => slot.current && slot.removed)) return;
  draft.errors.add('contacts', mode === 'patch' ? 'must keep at least one contact' : Messages.required);
}

function planned(slot: Slot): PlannedContact {
  return { type: slot.type, value: slot.value, isMain: slot.isMain!, path: slot.path ?? `contacts` };
}

function planOf(draft: Draft): ContactPlan {
  const kept = draft.live();
  const update = kept
    .filter(({ current: c, ...slot }) => c && (c.type !== slot.type || c.value !== slot.value || c.isMain !== slot.isMain))
    .map((slot) => ({ ...planned(slot), id: slot.current!.id }));
  const insert = kept.filter((slot) => !slot.current).map(planned);
  const remove = draft.slots.filter((slot) => slot.current && slot.removed).map((slot) => slot.current!);
  const claims = [
    ...insert,
    ...kept
      .filter((slot) => slot.current && contactKey(slot.type, slot.value) !== contactKey(slot.current.type, slot.current.value))
      .map(planned),
  ];
  return { errors: draft.errors, remove, update, insert, claims, changed: remove.length + update.length + insert.length > 0 };
}
