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
  const errors = new FieldErrorsBuilder();
  const normal = (type: ContactType, value: string, field: string): string => {
    const normalised = normalizer.value(type, value);
    if (normalised === null) errors.add(field, normalizer.unreadablePhone);
    return normalised ?? cleanContactText(value);
  };
  const slots: Slot[] = current.map((contact) => ({ current: contact, type: contact.type, value: contact.value }));
  const live = () => slots.filter((slot) => !slot.removed);
  const sameContact = (slot: Slot, type: string, value: string) => contactKey(slot.type, slot.value) === contactKey(type, value);

  for (const [index, entry] of (input.contacts ?? []).entries()) {
    const path = `contacts[${index}]`;
    if (entry.id !== undefined) {
      const slot = slots.find((candidate) => candidate.current?.id === entry.id);
      if (!slot || slot.path) {
        errors.add(`${path}.id`, slot ? 'is given more than once' : Messages.notFound);
        continue;
      }
      slot.path = path;
      if (entry.delete) {
        slot.removed = true;
        continue;
      }
      if (entry.type !== undefined && entry.type !== 'contacts') slot.type = entry.type;
      if (entry.value !== undefined) slot.value = entry.value;
      // A new type or value is stored in its normal form; an untouched contact stays as it is.
      if (slot.type !== slot.current!.type || entry.value !== undefined) slot.value = normal(slot.type, slot.value, `${path}.value`);
      if (entry.isMain !== undefined) slot.wantsMain = entry.isMain;
      // The DTO checks values whose type is given; a kept type is known only here.
      const current = slot.current!;
      if (slot.type === 'email' && !sameContact(slot, current.type, current.value) && !isEmail(slot.value)) {
        errors.add(`${path}.value`, Messages.email);
      }
      continue;
    }
    const type = entry.type as ContactType;
    const value = normal(type, entry.value!, `${path}.value`);
    // A contact the customer already has is that contact, not a new one.
    const match = live().find((slot) => sameContact(slot, type, value));
    if (match?.path) errors.add(`${path}.value`, 'is given more than once');
    else if (match) Object.assign(match, { path, value, wantsMain: entry.isMain ?? match.wantsMain });
    else slots.push({ type, value, path, wantsMain: entry.isMain });
  }

  for (const type of MIRRORED_TYPES) {
    const given = input[type];
    if (given === undefined) continue;
    if (given === null) {
      // PATCH {"email": null} removes the main email contact; elsewhere null is the same as omitted.
      if (mode !== 'patch') continue;
      const main = live().find((slot) => slot.current?.isMain && slot.current.type === type && slot.type === type);
      if (main?.path) errors.add(type, `contradicts ${main.path}`);
      else if (main) Object.assign(main, { path: type, removed: true });
      continue;
    }
    const value = normal(type, given, type);
    const match = live().find((slot) => sameContact(slot, type, value));
    if (match?.wantsMain === false) errors.add(type, `contradicts ${match.path}.isMain`);
    if (match) Object.assign(match, { path: match.path ?? type, wantsMain: true });
    else slots.push({ type, value, path: type, wantsMain: true });
  }

  // PUT lists every contact the customer keeps.
  if (mode === 'replace') slots.filter((slot) => slot.current && !slot.path).forEach((slot) => (slot.removed = true));

  const seen = new Map<string, Slot>();
  for (const slot of live()) {
    const key = contactKey(slot.type, slot.value);
    const first = seen.get(key);
    if (!first) seen.set(key, slot);
    else errors.add(`${slot.path ?? first.path}.value`, 'is given more than once');
  }

  // The unique index is checked row by row, so one request cannot pass a value between two
  // kept contacts (a swap): the value must leave its first contact in an earlier request.
  const moving = live().filter((slot) => slot.current && !sameContact(slot, slot.current.type, slot.current.value));
  for (const slot of moving) {
    const holder = moving.find((other) => other !== slot && sameContact(slot, other.current!.type, other.current!.value));
    if (holder) errors.add(`${slot.path}.value`, `is still the value of contact ${holder.current!.id}; change one at a time`);
  }

  for (const type of new Set(live().map((slot) => slot.type))) {
    const group = live().filter((slot) => slot.type === type);
    // The shorthand (`email`) comes first, so a contradicting entry is the one blamed.
    const wanted = group.filter((slot) => slot.wantsMain).sort((a, b) => Number(a.path !== type) - Number(b.path !== type));
    wanted.slice(1).forEach((slot) => errors.add(`${slot.path}.isMain`, `only one ${type} contact can be main`));
    const main =
      wanted[0] ??
      group.find((slot) => slot.current?.isMain && slot.current.type === type && slot.wantsMain !== false) ??
      group.find((slot) => slot.wantsMain !== false) ??
      // Exactly one main per type: `isMain: false` on the only one of its type cannot hold.
      group[0];
    group.forEach((slot) => (slot.isMain = slot === main));
  }

  const kept = live();
  // Only when nothing else explains it: entries already refused say more.
  if (kept.length === 0 && errors.isEmpty && (mode !== 'patch' || slots.some((slot) => slot.current && slot.removed))) {
    errors.add('contacts', mode === 'patch' ? 'must keep at least one contact' : Messages.required);
  }

  const planned = (slot: Slot): PlannedContact => ({
    type: slot.type,
    value: slot.value,
    isMain: slot.isMain!,
    path: slot.path ?? `contacts`,
  });
  const update = kept
    .filter(({ current: c, ...slot }) => c && (c.type !== slot.type || c.value !== slot.value || c.isMain !== slot.isMain))
    .map((slot) => ({ ...planned(slot), id: slot.current!.id }));
  const insert = kept.filter((slot) => !slot.current).map(planned);
  const remove = slots.filter((slot) => slot.current && slot.removed).map((slot) => slot.current!);
  const claims = [
    ...insert,
    ...kept
      .filter((slot) => slot.current && contactKey(slot.type, slot.value) !== contactKey(slot.current.type, slot.current.value))
      .map(planned),
  ];
  return { errors, remove, update, insert, claims, changed: remove.length + update.length + insert.length > 0 };
}
