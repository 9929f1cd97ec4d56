import { STATUS_CODES } from 'node:http';
import { Problem } from './problem';

export interface ErrorDialect {
  body(problem: Problem): unknown;
}

// Teamwork Desk: the validator's field map, and the same map under `_` for non-field errors.
export const deskErrorDialect: ErrorDialect = {
  body(problem) {
    if (problem.status === 400 && problem.fields && Object.keys(problem.fields).length > 0) {
      return { errors: problem.fields };
    }
    return { errors: { ...problem.fields, _: [problem.message] } };
  },
};

// NestJS's default bodies, which are also HighLevel's: {statusCode, message, error}.
export const nestErrorDialect: ErrorDialect = {
  body(problem) {
    const fieldMessages = Object.entries(problem.fields ?? {}).flatMap(([field, messages]) =>
      messages.map((message) => (field === '_' ? message : `${field} ${message}`)),
    );
    return {
      statusCode: problem.status,
      message: fieldMessages.length > 0 ? fieldMessages : problem.message,
      error: STATUS_CODES[problem.status] ?? 'Error',
    };
  },
};

// The dialect is chosen by where the request went: /desk/… speaks Desk, the rest speaks Nest.
export function dialectFor(url: string): ErrorDialect {
  return url.startsWith('/desk/') ? deskErrorDialect : nestErrorDialect;
}
