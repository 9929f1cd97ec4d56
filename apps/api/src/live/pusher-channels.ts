// Pusher's names, as this service uses them. Channels: `private-conversation-{id}` (the widget of
// one conversation), `presence-conversation-{id}` (its agents and customer), `private-tenant-{id}`
// (a tenant's dashboards), `presence-tenant-{id}` (its agents online: their availability follows
// it) and `private-user-{id}` (one agent's own events). Presence members: `user-{id}` for agents,
// `contact-{id}` for the customer's contacts.

// Pusher's own formats: a socket id is two integers joined by a dot; a channel name is at most
// 164 characters of letters, digits and _ - = @ , . ;
export const SOCKET_ID_PATTERN = /^\d{1,20}\.\d{1,20}$/;
export const CHANNEL_NAME_PATTERN = /^[-A-Za-z0-9_=@,.;]{1,164}$/;

export type ConversationChannelKind = 'private' | 'presence';

export interface ConversationChannel {
  kind: ConversationChannelKind;
  conversationId: number;
}

export type MemberKind = 'user' | 'contact';

export interface Member {
  kind: MemberKind;
  id: number;
}

const CONVERSATION_CHANNEL = /^(private|presence)-conversation-([1-9][0-9]{0,15})$/;
const TENANT_CHANNEL = /^private-tenant-([1-9][0-9]{0,15})$/;
const TENANT_PRESENCE_CHANNEL = /^presence-tenant-([1-9][0-9]{0,15})$/;
const USER_CHANNEL = /^private-user-([1-9][0-9]{0,15})$/;
const MEMBER = /^(user|contact)-([1-9][0-9]{0,15})$/;

export const conversationChannel = (conversationId: number): string => `private-conversation-${conversationId}`;
export const presenceChannel = (conversationId: number): string => `presence-conversation-${conversationId}`;
export const tenantChannel = (tenantId: number): string => `private-tenant-${tenantId}`;
// The tenant's agents who are online (their availability follows it), and one agent's own events.
export const tenantPresenceChannel = (tenantId: number): string => `presence-tenant-${tenantId}`;
export const userChannel = (userId: number): string => `private-user-${userId}`;
export const memberId = (member: Member): string => `${member.kind}-${member.id}`;

export function parseConversationChannel(name: unknown): ConversationChannel | null {
  const match = typeof name === 'string' ? CONVERSATION_CHANNEL.exec(name) : null;
  return match ? { kind: match[1] as ConversationChannelKind, conversationId: Number(match[2]) } : null;
}

export function parseTenantChannel(name: unknown): number | null {
  const match = typeof name === 'string' ? TENANT_CHANNEL.exec(name) : null;
  return match ? Number(match[1]) : null;
}

export function parseTenantPresenceChannel(name: unknown): number | null {
  const match = typeof name === 'string' ? TENANT_PRESENCE_CHANNEL.exec(name) : null;
  return match ? Number(match[1]) : null;
}

export function parseUserChannel(name: unknown): number | null {
  const match = typeof name === 'string' ? USER_CHANNEL.exec(name) : null;
  return match ? Number(match[1]) : null;
}

export function parseMember(userId: unknown): Member | null {
  const match = typeof userId === 'string' ? MEMBER.exec(userId) : null;
  return match ? { kind: match[1] as MemberKind, id: Number(match[2]) } : null;
}

export function isSocketId(value: unknown): value is string {
  return typeof value === 'string' && SOCKET_ID_PATTERN.test(value);
}
