// The shapes ConversationSearchService answers in (HighLevel's summaries) and the criteria it takes.

// A conversation with what HighLevel's shapes show of it: its contact's person, its assignee
// (`assignedTo`), its latest active message.
export interface ConversationSummary {
  id: number;
  contactId: number;
  state: 'active' | 'deleted';
  createdAt: Date;
  updatedAt: Date;
  lastMessageAt: Date | null;
  unreadCount: number;
  starred: boolean;
  inbox: boolean;
  type: number;
  assignedTo: number | null;
  lastMessageBody: string | null;
  lastMessageType: string | null;
  lastMessageDirection: 'inbound' | 'outbound' | null;
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  contactType: string;
  contactValue: string;
  organization: string | null;
  // The search's sort value: when the last message came, or, before any, when the conversation
  // began; in whole milliseconds since the epoch.
  sortMs: number;
}

export type SearchStatus = 'all' | 'read' | 'unread' | 'starred' | 'recents';

export interface SearchCriteria {
  contactId?: number;
  id?: number;
  // Assignees' ids; `unassigned` also matches conversations assigned to nobody.
  assignedTo?: { ids: number[]; unassigned: boolean };
  query?: string;
  // HighLevel's TYPE_* name and the direction of the latest active public message.
  lastMessageType?: string;
  lastMessageDirection?: 'inbound' | 'outbound';
  status: SearchStatus;
  sort: 'asc' | 'desc';
  // The sort value of the last conversation of the previous page, and its id when known.
  startAfter?: { ms: number; id?: number };
  limit: number;
}

export interface MessageSummary {
  id: number;
  conversationId: number;
  conversationContactId: number;
  userId: number | null;
  message: string;
  fileIds: number[];
  clientMessageId: string | null;
  createdAt: Date;
  direction: 'inbound' | 'outbound';
  status: string;
  messageType: string;
  source: string;
}
