import { pickFields } from '@app/common';
import { ResourceDefinition } from '../../http/resource';
import { MENTION_LIST } from './mention-list.definition';
import { presentMention } from './mention.presenter';
import type { MentionView } from './mention.view';

export const MENTION: ResourceDefinition<MentionView> = {
  name: 'mention',
  plural: 'mentions',
  present: (view, fields) => pickFields(presentMention(view), fields),
  list: MENTION_LIST,
  sideloads: {
    audience: 'agent',
    refs: {
      conversationmessages: (mentions) => ({ ids: mentions.map((m) => m.id) }),
      users: (mentions) => ({ ids: mentions.map((m) => m.mentionedBy) }),
    },
  },
};
