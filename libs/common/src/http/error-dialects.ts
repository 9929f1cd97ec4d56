import { STATUS_CODES } from 'node:http';
import { Problem } from './problem';

// How one API family writes an error: its status and its body.
export interface ErrorDialect {
  render(problem: Problem): { status: number; body: unknown };
}

// Teamwork Desk: the validator's field map, and the same map under `_` for non-field errors.
export const deskErrorDialect: ErrorDialect = {
  render(problem) {
    if (problem.status === 400 && problem.fields && Object.keys(problem.fields).length > 0) {
      return { status: 400, body: { errors: problem.fields } };
    }
    return { status: problem.status, body: { errors: { ...problem.fields, _: [problem.message] } } };
  },
};

// NestJS's default bodies: {statusCode, message, error}.
export const nestErrorDialect: ErrorDialect = {
  render(problem) {
    const messages = fieldMessages(problem);
    return {
      status: problem.status,
      body: { statusCode: problem.status, message: messages.length > 0 ? messages : problem.message, error: reason(problem.status) },
    };
  },
};

// HighLevel's, which are NestJS's defaults as its API answers them (HighLevel's API
// documentation): a failed validation is a 422 listing every message; a request refused as a
// whole (a malformed body, an unknown id, a bad header) is a 400 {statusCode, message}; a 401
// always says the same words, whatever was wrong with the token.
export const highLevelErrorDialect: ErrorDialect = {
  render(problem) {
    const messages = fieldMessages(problem);
    const namesFields = Object.keys(problem.fields ?? {}).some((field) => field !== '_');
    if (problem.status === 422 || (problem.status === 400 && namesFields)) {
      return { status: 422, body: { statusCode: 422, message: messages.length > 0 ? messages : [problem.message], error: reason(422) } };
    }
    if (problem.status === 400) return { status: 400, body: { statusCode: 400, message: messages.length > 0 ? messages.join('; ') : problem.message } };
    if (problem.status === 401) {
      return { status: 401, body: { statusCode: 401, message: 'Invalid token: access token is invalid', error: reason(401) } };
    }
    return { status: problem.status, body: { statusCode: problem.status, message: problem.message, error: reason(problem.status) } };
  },
};

// The dialect is chosen by where the request went: /desk/… speaks Desk, HighLevel's paths speak
// HighLevel, the rest (health, docs) speaks Nest.
export function dialectFor(url: string): ErrorDialect {
  if (url.startsWith('/desk/')) return deskErrorDialect;
  if (url === '/conversations' || url.startsWith('/conversations/') || url.startsWith('/conversations?')) return highLevelErrorDialect;
  return nestErrorDialect;
}

function fieldMessages(problem: Problem): string[] {
  return Object.entries(problem.fields ?? {}).flatMap(([field, messages]) =>
    messages.map((message) => (field === '_' ? message : `${field} ${message}`)),
  );
}

function reason(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}
