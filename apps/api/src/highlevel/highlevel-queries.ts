import { SearchCriteria, SearchStatus } from '../conversations/conversation-search.types';
import { MessagesQuery, parseId } from './highlevel.service';
import { invalid } from './highlevel-validation';
import { MESSAGE_TYPES } from './highlevel-vocabulary';

type Query = Record<string, unknown>;

const SEARCH_PARAMS = ['locationId', 'contactId', 'assignedTo', 'query', 'sort', 'sortBy', 'startAfterDate', 'limit', 'status', 'id', 'lastMessageType', 'lastMessageDirection'];
const DIRECTIONS = ['inbound', 'outbound'] as const;
// HighLevel's search parameters this service refuses, each with why (docs/api.md, "The HighLevel
// Conversations API"), rather than the bare "should not exist" of a parameter HighLevel never had.
const UNSUPPORTED: Record<string, string> = {
  lastMessageAction: 'lastMessageAction is not supported: this service sends no automated messages, so every message is manual',
  startDate: 'startDate is not supported: HighLevel does not say which date it bounds; page with startAfterDate',
  endDate: 'endDate is not supported: HighLevel does not say which date it bounds; page with startAfterDate',
};
const SORT_BY = ['last_message_date', 'score_profile', 'last_manual_message_date'];
const STATUSES: SearchStatus[] = ['all', 'read', 'unread', 'starred', 'recents'];
const MAX_LIMIT = 100;
const MAX_QUERY_LENGTH = 200;

// GET /conversations/search's query string, checked as HighLevel's ValidationPipe does: every
// problem at once, in class-validator's words, as a 422.
export function parseSearchQuery(query: Query): { locationId: string; criteria: SearchCriteria } {
  const problems = unknownParams(query, SEARCH_PARAMS, UNSUPPORTED);
  const text = (name: string) => single(query, name, problems);

  const locationId = text('locationId');
  if (locationId === undefined || locationId === '') problems.push('locationId should not be empty');

  const criteria: SearchCriteria = { status: 'all', sort: 'desc', limit: 20 };
  Object.assign(criteria, filtersOf(text), lastMessageOf(text, problems), textQueryOf(text('query'), problems), orderOf(text, problems));
  const status = text('status');
  if (status !== undefined && !STATUSES.includes(status as SearchStatus)) problems.push(`status must be one of the following values: ${STATUSES.join(', ')}`);
  else if (status) criteria.status = status as SearchStatus;

  const limit = integer(text('limit'), 'limit', problems, 1, MAX_LIMIT);
  if (limit !== undefined) criteria.limit = limit;
  const startAfter = startAfterOf(query.startAfterDate, problems);
  if (startAfter) criteria.startAfter = startAfter;

  if (problems.length > 0) throw invalid(problems);
  return { locationId: locationId!, criteria };
}

// contactId, id and assignedTo. An id that is not one of ours names nothing: the page is empty.
function filtersOf(text: (name: string) => string | undefined): Partial<SearchCriteria> {
  const criteria: Partial<SearchCriteria> = {};
  const contactId = text('contactId');
  if (contactId !== undefined) criteria.contactId = parseId(contactId) ?? 0;
  const id = text('id');
  if (id !== undefined) criteria.id = parseId(id) ?? 0;
  const assignedTo = text('assignedTo');
  if (assignedTo !== undefined) {
    const values = assignedTo.split(',').map((value) => value.trim());
    criteria.assignedTo = { ids: values.flatMap((value) => parseId(value) ?? []), unassigned: values.includes('unassigned') };
  }
  return criteria;
}

// lastMessageType and lastMessageDirection: those of the latest active public message, as the
// search's items show them (a conversation without one matches neither).
function lastMessageOf(text: (name: string) => string | undefined, problems: string[]): Partial<SearchCriteria> {
  const criteria: Partial<SearchCriteria> = {};
  const type = text('lastMessageType');
  if (type !== undefined && !(MESSAGE_TYPES as readonly string[]).includes(type)) problems.push('lastMessageType must be a message type (like TYPE_LIVE_CHAT)');
  else if (type !== undefined) criteria.lastMessageType = type;
  const direction = text('lastMessageDirection');
  if (direction !== undefined && !(DIRECTIONS as readonly string[]).includes(direction)) problems.push(`lastMessageDirection must be one of the following values: ${DIRECTIONS.join(', ')}`);
  else if (direction !== undefined) criteria.lastMessageDirection = direction as (typeof DIRECTIONS)[number];
  return criteria;
}

function textQueryOf(query: string | undefined, problems: string[]): Partial<SearchCriteria> {
  const search = query?.trim();
  if (search !== undefined && search.length > MAX_QUERY_LENGTH) problems.push(`query must be shorter than or equal to ${MAX_QUERY_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  else if (search !== undefined && /[\u0000-\u001f\u007f]/.test(search)) problems.push('query must not contain control characters');
  else if (search) return { query: search };
  return {};
}

// sort, and sortBy (only the last message's date is kept).
function orderOf(text: (name: string) => string | undefined, problems: string[]): Partial<SearchCriteria> {
  const order: Partial<SearchCriteria> = {};
  const sort = text('sort');
  if (sort !== undefined && sort !== 'asc' && sort !== 'desc') problems.push('sort must be one of the following values: asc, desc');
  else if (sort) order.sort = sort;
  const sortBy = text('sortBy');
  if (sortBy !== undefined && !SORT_BY.includes(sortBy)) problems.push(`sortBy must be one of the following values: ${SORT_BY.join(', ')}`);
  else if (sortBy !== undefined && sortBy !== 'last_message_date') {
    problems.push(`sortBy ${sortBy} is not supported: this service keeps no score profiles or manual-message dates; use last_message_date`);
  }
  return order;
}

// GET /conversations/{id}/messages's query string.
export function parseMessagesQuery(query: Query): MessagesQuery {
  const problems = unknownParams(query, ['lastMessageId', 'limit', 'type']);
  const parsed: MessagesQuery = { limit: 20 };
  const lastMessageId = single(query, 'lastMessageId', problems);
  if (lastMessageId !== undefined && lastMessageId !== '') parsed.lastMessageId = lastMessageId;
  parsed.limit = integer(single(query, 'limit', problems), 'limit', problems, 1, MAX_LIMIT) ?? 20;
  const type = single(query, 'type', problems);
  if (type !== undefined) {
    const types = type.split(',').map((value) => value.trim());
    const unknown = types.filter((value) => !(MESSAGE_TYPES as readonly string[]).includes(value));
    if (unknown.length > 0) problems.push(`type must be a comma-separated list of message types (like TYPE_LIVE_CHAT); unknown: ${unknown.join(', ')}`);
    else parsed.types = types;
  }
  if (problems.length > 0) throw invalid(problems);
  return parsed;
}

function unknownParams(query: Query, known: string[], unsupported: Record<string, string> = {}): string[] {
  return Object.keys(query)
    .filter((name) => !known.includes(name))
    .map((name) => (Object.hasOwn(unsupported, name) ? unsupported[name] : `property ${name} should not exist`));
}

function single(query: Query, name: string, problems: string[]): string | undefined {
  const value = query[name];
  if (value === undefined || typeof value === 'string') return value;
  problems.push(`${name} must be a string`);
  return undefined;
}

function integer(value: string | undefined, name: string, problems: string[], min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d{1,15}$/.test(value)) {
    problems.push(`${name} must be an integer number`);
    return undefined;
  }
  const number = Number(value);
  if (number < min) problems.push(`${name} must not be less than ${min}`);
  else if (number > max) problems.push(`${name} must not be greater than ${max}`);
  else return number;
  return undefined;
}

// The sort value of the last conversation of the previous page: its milliseconds, or the item's
// whole `sort` ([milliseconds, id]) as `a,b` or a repeated parameter, which also breaks ties.
function startAfterOf(value: unknown, problems: string[]): SearchCriteria['startAfter'] {
  if (value === undefined) return undefined;
  const parts = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
  const numbers = parts.map((part) => (typeof part === 'string' && /^\d{1,15}$/.test(part.trim()) ? Number(part.trim()) : NaN));
  if (numbers.length < 1 || numbers.length > 2 || numbers.some(Number.isNaN)) {
    problems.push('startAfterDate must be a number (the sort value of the last conversation), or the pair in its `sort`');
    return undefined;
  }
  return numbers.length === 2 ? { ms: numbers[0], id: numbers[1] } : { ms: numbers[0] };
}
