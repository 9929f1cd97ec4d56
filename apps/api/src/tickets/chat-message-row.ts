// What the conversations module hands the tickets module of chat messages (the transcript, and
// messages posted after a conversion): tickets never read the chat's tables.

// A chat message as the conversations module stores it: what a thread entry copies of it.
export interface ChatMessageRow {
  tenantId: number;
  id: number;
  conversationId: number;
  userId: number | null;
  contactId: number | null;
  message: string;
  fileIds: readonly number[];
  createdAt: Date;
  createdBy: number | null;
}

// A chat message posted after its conversation became a ticket, with the customer of its author
// contact (null: an agent's message), read by the conversations module: whether the message is
// the ticket's customer's.
export interface PostedChatMessageRow extends ChatMessageRow {
  contactCustomerId: number | null;
}

// A conversation's transcript as SQL the conversations module writes over its own tables, which
// the tickets module selects from inside its own statement: a chat of any length becomes a thread
// without leaving PostgreSQL. `sql(first)` is a relation with the columns of a chat message row
// (tenant_id, id, user_id, contact_id, message, file_ids, created_at, created_by), its parameters
// numbered from `$first`; `params` are their values.
export interface ChatRelation {
  sql(firstParam: number): string;
  params: readonly unknown[];
}
