// What the conversations module hands the tickets module of chat messages (the transcript, and
// messages posted after a conversion): a relation, SQL the conversations module writes over its
// own table, which the tickets module selects from inside its own statement. Rows never leave
// PostgreSQL (a chat of any length), keep their times to the microsecond, and the tickets module
// names no column of the chat's tables.
//
// `sql(first)` is a relation with the columns tenant_id, id, conversation_id, user_id,
// contact_id, message, file_ids, created_at, created_by, private (a note: a note in the thread
// too), and for messages posted after a
// conversion contact_customer_id (the customer of the author contact; null for an agent's); its
// parameters are numbered from `$first`, and `params` are their values. Only integers go into the
// text; every value is a parameter.
export interface ChatRelation {
  sql(firstParam: number): string;
  params: readonly unknown[];
}
