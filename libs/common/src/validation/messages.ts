// The Teamwork validator's messages (its open-source `validate` Go package), plus the few
// messages it has no stock text for.
export const Messages = {
  required: 'must be set',
  email: 'must be a valid email address',
  integer: 'must be a whole number',
  oneOf: (values: readonly string[]) => `must be one of ‘${values.join(', ')}’`,
  shorterThan: (length: number) => `must be shorter than ${length} characters`,
  date: 'must be a date as ‘2006-01-02T15:04:05Z’',
  string: 'must be a string',
  boolean: 'must be true or false',
  object: 'must be an object',
  array: 'must be an array',
  positive: 'must be greater than 0',
  unknownField: 'is not a known field',
  json: 'must be valid JSON',
  notFound: 'does not exist',
} as const;
