import { ValidationError } from '../errors/app-error';

// No request body nests this far; deeper ones are refused before anything walks them recursively
// (JSON.stringify, the validators), which would exhaust the call stack.
export const MAX_BODY_DEPTH = 64;

// Whether arrays and objects nest deeper than `maxDepth`, walked with a stack of its own.
export function nestsDeeperThan(body: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[body, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (!value || typeof value !== 'object') continue;
    if (depth >= maxDepth) return true;
    for (const item of Object.values(value)) stack.push([item, depth + 1]);
  }
  return false;
}

export function bodyTooDeep(): ValidationError {
  return ValidationError.of('_', `the body must not nest deeper than ${MAX_BODY_DEPTH} levels`, 'BODY_TOO_DEEP');
}
