import { isIsoDate } from '@app/common';
import { CustomField } from './custom-field.entity';

const TEXT_MAX = { text: 1000, textarea: 10000 } as const;

// Why `value` does not fit `field` (its type, and its options for dropdown and multiselect), or
// null when it does. Tickets and ticket templates hold values checked by this one function.
export function customFieldValueError(field: Pick<CustomField, 'type' | 'options'>, value: unknown): string | null {
  switch (field.type) {
    case 'text':
    case 'textarea':
      if (typeof value !== 'string') return 'must be a string';
      if (value.includes('\0')) return 'must not contain NUL characters';
      return value.length > TEXT_MAX[field.type] ? `must be shorter than ${TEXT_MAX[field.type] + 1} characters` : null;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'must be a number';
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && isIsoDate(value)
        ? null
        : 'must be a date as ‘2006-01-02’';
    case 'checkbox':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'dropdown':
      return typeof value === 'string' && field.options.includes(value) ? null : oneOf(field.options);
    case 'multiselect':
      if (!Array.isArray(value)) return 'must be an array of options';
      if (new Set(value).size !== value.length) return 'must not repeat an option';
      return value.every((item) => typeof item === 'string' && field.options.includes(item))
        ? null
        : `must hold only options of ‘${field.options.join(', ')}’`;
  }
}

function oneOf(options: readonly string[]): string {
  return options.length === 0 ? 'must be one of the field’s options, and it has none' : `must be one of ‘${options.join(', ')}’`;
}
