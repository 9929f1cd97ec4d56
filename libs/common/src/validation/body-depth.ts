import { ValidationError } from '../errors/app-error';

// No body of the API nests half as deep. The validators, transformers and JSON.stringify that a
// parsed body meets recurse: a valid JSON body of 500,000 nested '[' would overflow their stack.
export const MAX_BODY_DEPTH = 32;

export function bodyTooDeep(): ValidationError {
  return ValidationError.of('_', `the body must not nest deeper than ${MAX_BODY_DEPTH} levels`, 'BODY_TOO_DEEP');
}

// Whether arrays and objects nest past `max` levels (the outermost being 1). A loop over a stack,
// not recursion, for the reason above.
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (!item || typeof item !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}
