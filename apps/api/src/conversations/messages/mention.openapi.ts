import { ENTITY_REF_SCHEMA, includedSchema, PAGE_META_SCHEMA, wire, type Wire } from '@app/common';
import { USER_SCHEMA } from '../../auth/user.openapi';
import { MESSAGE_SCHEMA } from './message.openapi';

// A mention of the caller in a note, as presentMention() writes it (GET me/mentions.json and the
// `mention.created` event on the agent's own channel).
export const MENTION_SCHEMA = wire.object({
  id: wire.integer({ description: "The note's id (an agent is mentioned at most once by a note)" }),
  conversationId: wire.integer(),
  message: wire.with(ENTITY_REF_SCHEMA, { description: 'The note: {"id", "type": "conversationmessages"}' }),
  mentionedBy: wire.with(ENTITY_REF_SCHEMA, { description: 'The agent who wrote the note: {"id", "type": "users"}' }),
  createdAt: wire.dateTime(),
});
export type MentionWire = Wire<typeof MENTION_SCHEMA>;

export const MENTIONS_LIST_SCHEMA = wire.object({
  mentions: wire.array(MENTION_SCHEMA),
  included: includedSchema({ conversationmessages: MESSAGE_SCHEMA, users: USER_SCHEMA }),
  meta: PAGE_META_SCHEMA,
});
