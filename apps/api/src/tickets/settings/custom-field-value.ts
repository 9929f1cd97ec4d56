import { hasUnstorableText, isIsoDate } from '@app/common';
import { CustomField, CustomFieldType } from './custom-field.entity';

const TEXT_MAX = { text: 1000, textarea: 10000 } as const;

type Field = Pick<CustomField, 'type' | 'options'>;

// Why `value` does not fit `field` (its type, and its options for dropdown and multiselect), or
// null when it does. Tickets and ticket templates hold values checked by this one function.
export function customFieldValueError(field: Field, value: unknown): string | null {
  return VALUE_ERROR[field.type](value, field);
}

// One rule per type.
const VALUE_ERROR: Record<CustomFieldType, (value: unknown, field: Field) => string | null> = {
  text: (value) => textError(value, TEXT_MAX.text),
  textarea: (value) => textError(value, TEXT_MAX.textarea),
  number: (value) => (typeof value === 'number' && Number.isFinite(value) ? null : 'must be a number'),
  date: (value) => (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && isIsoDate(value) ? null : 'must be a date as ‘2006-01-02’'),
  checkbox: (value) => (typeof value === 'boolean' ? null : 'must be true or false'),
  dropdown: (value, field) => (typeof value === 'string' && field.options.includes(value) ? null : oneOf(field.options)),
  multiselect: (value, field) => multiselectError(value, field.options),
};

function textError(value: unknown, max: number): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (hasUnstorableText(value)) return 'must not contain NUL characters or unpaired surrogates';
  return value.length > max ? `must be shorter than ${max + 1} characters` : null;
}

function multiselectError(value: unknown, options: readonly string[]): string | null {
  if (!Array.isArray(value)) return 'must be an array of options';
  if (new Set(value).size !== value.length) return 'must not repeat an option';
  return value.every((item) => typeof item === 'string' && options.includes(item)) ? null : `must hold only options of ‘${options.join(', ')}’`;
}

function oneOf(options: readonly string[]): string {
  return options.length === 0 ? 'must be one of the field’s options, and it has none' : `must be one of ‘${options.join(', ')}’`;
}

export interface CustomFieldEntry {
  id: number;
  value: unknown;
  // Where the entry stands in the body, e.g. `customfields[2]`.
  path: string;
}

// The entries of a ticket's or template's `customfields` that are good, with every problem of the
// others reported: a field the tenant lacks (or that is deleted), one given twice, a missing value,
// a value that does not fit. With `allowNull` (a ticket's PATCH) null passes: it clears the value.
export function checkCustomFieldValues(
  entries: readonly CustomFieldEntry[],
  fields: ReadonlyMap<number, Pick<CustomField, 'type' | 'options'>>,
  errors: { add(field: string, message: string): unknown },
  options: { allowNull?: boolean } = {},
): { id: number; value: unknown }[] {
  const seen = new Set<number>();
  const values: { id: number; value: unknown }[] = [];
  for (const { id, value, path } of entries) {
    const field = fields.get(id);
    if (!field) errors.add(`${path}.id`, 'does not exist');
    else if (seen.has(id)) errors.add(`${path}.id`, 'is given more than once');
    else if (value === null && options.allowNull) values.push({ id, value: null });
    else if (value === undefined || value === null) errors.add(`${path}.value`, 'must be set');
    else {
      const problem = customFieldValueError(field, value);
      if (problem) errors.add(`${path}.value`, problem);
      else values.push({ id, value });
    }
    seen.add(id);
  }
  return values;
}
