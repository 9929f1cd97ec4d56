// A mention of an agent in a note: the note (its id), its conversation, the agent mentioned, the
// note's author, and when.
export interface MentionView {
  tenantId: number;
  // The note's id: an agent is mentioned at most once by a note.
  id: number;
  conversationId: number;
  userId: number;
  mentionedBy: number;
  createdAt: Date;
}
