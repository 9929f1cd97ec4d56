import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { ListSpec } from '@app/common';
import { USER_LIST } from '../../../apps/api/src/auth/user-list.definition';
import { CUSTOMER_LIST } from '../../../apps/api/src/contacts/customer-list.definition';
import { CONVERSATION_LIST } from '../../../apps/api/src/conversations/conversation-list.definition';
import { CONVERSATION_MESSAGE_LIST, HISTORY_LIST, MESSAGE_LIST } from '../../../apps/api/src/conversations/messages/message-list.definition';
import { SETTING_DEFINITIONS } from '../../../apps/api/src/tickets/settings/ticket-settings.definitions';
import { TICKET_LIST, TICKET_MESSAGE_LIST } from '../../../apps/api/src/tickets/ticket-list.definition';
import { ACTIVITY_LIST } from '../../../apps/api/src/conversations/activities/activity-list.definition';
import { MENTION_LIST } from '../../../apps/api/src/conversations/messages/mention-list.definition';
import { TEAM_LIST } from '../../../apps/api/src/conversations/routing/team-list.definition';
import { hostileId } from './arbitraries';
import { PUSHER_APP, Seed } from './harness';

// Every endpoint of both dialects (from the controllers' @Get/@Post/@Patch/@Put/@Delete), with a
// valid body to start mutating from and, for lists, the list's whitelist.
export interface Endpoint {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  // `{conversation}` and the like become an id of that kind (or something that is not one).
  path: string;
  body?: Record<string, unknown>;
  envelope?: string;
  list?: ListSpec;
  // Signs the body as Pusher does, so that malformed bodies get past the signature check.
  pusherSigned?: boolean;
  // Sent beside the envelope when the body is wrapped in it: the bulk PATCH's `ids`, so that hostile
  // fields of its `conversation` get past the `ids` check.
  beside?: Record<string, unknown>;
}

export const DESK = '/desk/api/v2';

const SETTING_TEMPLATES: Record<string, Record<string, unknown>> = {
  inboxes: { name: 'Fuzz inbox', email: 'inbox@example.test' },
  ticketstatuses: { name: 'Fuzz status', color: '#00ff00' },
  ticketpriorities: { name: 'Fuzz priority', color: '#00ff00' },
  tickettypes: { name: 'Fuzz type' },
  ticketsources: { name: 'Fuzz source' },
  tags: { name: 'fuzz', color: '#00ff00' },
  customfields: { name: 'Fuzz field', type: 'text' },
  tickettemplates: { name: 'Fuzz template' },
};

export function deskEndpoints(seed: Seed): Endpoint[] {
  const settings = Object.values(SETTING_DEFINITIONS).flatMap((def): Endpoint[] => [
    { method: 'GET', path: `/${def.kind}.json`, list: def.list },
    { method: 'GET', path: `/${def.kind}/{setting}.json` },
    { method: 'POST', path: `/${def.kind}.json`, body: SETTING_TEMPLATES[def.kind] ?? { name: 'x' }, envelope: def.singular },
    { method: 'PATCH', path: `/${def.kind}/{setting}.json`, body: SETTING_TEMPLATES[def.kind] ?? { name: 'x' }, envelope: def.singular },
    { method: 'DELETE', path: `/${def.kind}/{setting}.json` },
  ]);
  const endpoints: Endpoint[] = [
    { method: 'POST', path: '/pusher/auth.json', body: { socket_id: '1234.5678', channel_name: `presence-conversation-${seed.conversationId}` } },
    { method: 'GET', path: '/users.json', list: USER_LIST },
    { method: 'GET', path: '/me.json' },
    { method: 'GET', path: '/users/{user}.json' },
    { method: 'POST', path: '/users.json', body: { email: 'someone@example.test', firstName: 'Some', lastName: 'One', role: 'agent' }, envelope: 'user' },
    { method: 'PATCH', path: '/users/{user}.json', body: { firstName: 'Renamed' }, envelope: 'user' },
    { method: 'POST', path: '/conversations/{conversation}/convert.json', body: {} },
    { method: 'POST', path: '/conversations.json', body: { contactId: seed.contactId, users: [{ id: seed.agent.id }] }, envelope: 'conversation' },
    { method: 'GET', path: '/conversations.json', list: CONVERSATION_LIST },
    { method: 'GET', path: '/customers/{customer}/conversations.json', list: CONVERSATION_LIST },
    { method: 'POST', path: '/conversations/token.json', body: { id: seed.conversationId } },
    { method: 'GET', path: '/conversations/token/{token}.json' },
    { method: 'GET', path: '/conversations/{conversation}.json' },
    { method: 'PATCH', path: '/conversations/{conversation}.json', body: { socket_id: '1.2', state: 'active', users: [] }, envelope: 'conversation' },
    { method: 'DELETE', path: '/conversations/{conversation}.json' },
    { method: 'POST', path: '/files.json', body: { file: 'x' } },
    { method: 'GET', path: '/files/{file}.json' },
    { method: 'GET', path: '/files/{file}/download' },
    { method: 'POST', path: '/conversations/token/{token}/files.json', body: { file: 'x' } },
    { method: 'GET', path: '/conversations/token/{token}/files/{file}/download' },
    { method: 'POST', path: '/customers.json', body: { firstName: 'Cora', email: 'cora@example.test', contacts: [{ type: 'phone', value: '+1 555 0100' }] }, envelope: 'customer' },
    { method: 'GET', path: '/customers.json', list: CUSTOMER_LIST },
    { method: 'GET', path: '/customers/{customer}.json' },
    { method: 'PUT', path: '/customers/{customer}.json', body: { firstName: 'Put', email: 'put@example.test' }, envelope: 'customer' },
    { method: 'PATCH', path: '/customers/{customer}.json', body: { lastName: 'Patched' }, envelope: 'customer' },
    { method: 'DELETE', path: '/customers/{customer}.json' },
    { method: 'POST', path: '/conversationmessages.json', body: { conversationId: seed.conversationId, message: 'hi', clientMessageId: 'c-1' }, envelope: 'conversationmessage' },
    { method: 'GET', path: '/conversationmessages.json', list: MESSAGE_LIST },
    { method: 'GET', path: '/conversations/{conversation}/messages.json', list: CONVERSATION_MESSAGE_LIST },
    { method: 'GET', path: '/conversationmessages/history/{token}.json', list: HISTORY_LIST },
    { method: 'GET', path: '/conversationmessages/{message}.json' },
    { method: 'PATCH', path: '/conversationmessages/{message}.json', body: { message: 'edited' }, envelope: 'conversationmessage' },
    { method: 'DELETE', path: '/conversationmessages/{message}.json' },
    { method: 'POST', path: '/conversationmessages/webhooks.json', body: { time_ms: Date.now(), events: [] }, pusherSigned: true },
    ...workflowEndpoints(seed),
    ...settings,
    { method: 'POST', path: '/tickets.json', body: { subject: 'Fuzz', message: 'Fuzzed', customer: { id: seed.customerId } }, envelope: 'ticket' },
    { method: 'GET', path: '/tickets.json', list: TICKET_LIST },
    { method: 'GET', path: '/tickets/{ticket}.json' },
    { method: 'PATCH', path: '/tickets/{ticket}.json', body: { subject: 'Renamed', status: { id: seed.settings.ticket_statuses } }, envelope: 'ticket' },
    { method: 'DELETE', path: '/tickets/{ticket}.json' },
    { method: 'GET', path: '/tickets/{ticket}/messages.json', list: TICKET_MESSAGE_LIST },
    { method: 'POST', path: '/tickets/{ticket}/messages.json', body: { message: 'Reply', type: 'reply' }, envelope: 'message' },
  ];
  return endpoints.map((endpoint) => ({ ...endpoint, path: DESK + endpoint.path }));
}

// The conversation workflow's (issue 20): state, queues, bulk changes, teams, availability, notes.
function workflowEndpoints(seed: Seed): Endpoint[] {
  const { conversationId, agent, acme, teamId, tagId } = seed;
  // Far enough ahead that no snooze wakes up during a run (the wake-up would change the rows).
  const workflow = {
    status: 'snoozed',
    snoozedUntil: '2099-01-01T00:00:00Z',
    priority: 'high',
    assignee: { id: agent.id, type: 'users' },
    team: { id: teamId, type: 'teams' },
    labels: [{ id: tagId, type: 'tags' }],
  };
  const team = { name: 'Fuzz team', users: [{ id: agent.id, type: 'users' }, { id: acme.adminId }], assignment: { mode: 'round_robin', capacity: 5, onlyAvailable: true } };
  return [
    { method: 'PATCH', path: '/conversations/{conversation}.json', body: workflow, envelope: 'conversation' },
    { method: 'PATCH', path: '/conversations.json', body: { ids: [conversationId, seed.globexConversationId], conversation: { status: 'pending', priority: 'low' } } },
    { method: 'PATCH', path: '/conversations.json', body: workflow, envelope: 'conversation', beside: { ids: [conversationId] } },
    { method: 'GET', path: '/conversations/counts.json' },
    { method: 'GET', path: '/conversations/{conversation}/activities.json', list: ACTIVITY_LIST },
    { method: 'GET', path: '/teams.json', list: TEAM_LIST },
    { method: 'GET', path: '/teams/{team}.json' },
    { method: 'POST', path: '/teams.json', body: team, envelope: 'team' },
    { method: 'PATCH', path: '/teams/{team}.json', body: team, envelope: 'team' },
    { method: 'DELETE', path: '/teams/{team}.json' },
    { method: 'PATCH', path: '/me.json', body: { availability: 'away' }, envelope: 'user' },
    { method: 'GET', path: '/me/mentions.json', list: MENTION_LIST },
    {
      method: 'POST',
      path: '/conversationmessages.json',
      body: { conversationId, message: 'a note', private: true, mentions: [{ id: agent.id, type: 'users' }] },
      envelope: 'conversationmessage',
    },
    { method: 'POST', path: '/conversationmessages.json', body: { conversationId, message: 'a reply', conversationStatus: 'pending' }, envelope: 'conversationmessage' },
  ];
}

export function highLevelEndpoints(seed: Seed): Endpoint[] {
  const { acme } = seed;
  return [
    { method: 'POST', path: '/conversations/', body: { locationId: acme.locationId, contactId: String(seed.contactId) } },
    { method: 'GET', path: '/conversations/search' },
    { method: 'GET', path: '/conversations/{conversation}' },
    { method: 'PUT', path: '/conversations/{conversation}', body: { unreadCount: 0, starred: true } },
    // assignedTo: HighLevel's door to the workflow's assignee.
    { method: 'PUT', path: '/conversations/{conversation}', body: { locationId: acme.locationId, assignedTo: String(seed.agent.id) } },
    { method: 'DELETE', path: '/conversations/{conversation}' },
    { method: 'POST', path: '/conversations/messages', body: { type: 'Live_Chat', contactId: String(seed.contactId), message: 'hi' } },
    { method: 'GET', path: '/conversations/messages/{message}' },
    { method: 'GET', path: '/conversations/{conversation}/messages' },
  ];
}

// An id of the kind a path names: a seeded one (the tenant's or another's), or anything else.
export function idFor(kind: string, seed: Seed): fc.Arbitrary<string> {
  const valid: Record<string, (string | number)[]> = {
    conversation: [seed.conversationId, seed.globexConversationId],
    customer: [seed.customerId, seed.otherCustomerId],
    message: [seed.messageId],
    ticket: [seed.ticketId],
    user: [seed.acme.adminId, seed.agent.id, seed.globex.adminId],
    file: [1],
    token: [seed.token, `${seed.token}x`, 'x'.repeat(5000)],
    setting: Object.values(seed.settings),
    team: [seed.teamId, seed.globexTeamId],
  };
  return fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...valid[kind].map(String)) }, { weight: 1, arbitrary: hostileId });
}

export function pathArbitrary(endpoint: Endpoint, seed: Seed): fc.Arbitrary<string> {
  const kinds = [...endpoint.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
  if (kinds.length === 0) return fc.constant(endpoint.path);
  return fc.tuple(...kinds.map((kind) => idFor(kind, seed))).map((ids) => {
    let path = endpoint.path;
    ids.forEach((id, index) => (path = path.replace(`{${kinds[index]}}`, id)));
    return path;
  });
}

export const signPusher = (body: string | Buffer): Record<string, string> => ({
  'x-pusher-key': PUSHER_APP.PUSHER_KEY,
  'x-pusher-signature': createHmac('sha256', PUSHER_APP.PUSHER_SECRET).update(body).digest('hex'),
});
