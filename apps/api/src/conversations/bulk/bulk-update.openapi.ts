import { wire } from '@app/common';
import { CONVERSATION_SCHEMA } from '../conversation.openapi';
import { MAX_BULK_IDS } from './bulk-update.dto';

const ID_SCHEMA = wire.integer({ description: 'The id, as the request gave it' });

// An id changed, or found unchanged: the conversation as it now is.
export const BULK_SUCCESS_SCHEMA = wire.object({
  id: ID_SCHEMA,
  status: wire.integer({ example: 200, description: 'What a PATCH of this id alone would have answered: 200' }),
  conversation: CONVERSATION_SCHEMA,
});

// An id left as it was, with the error a PATCH of it alone would have answered (Desk's body, its
// code beside it as the X-Error-Code header would carry it).
export const BULK_FAILURE_SCHEMA = wire.object({
  id: ID_SCHEMA,
  status: wire.integer({ example: 404 }),
  code: wire.string({ example: 'CONVERSATION_NOT_FOUND' }),
  errors: wire.record(wire.array(wire.string()), { description: 'Field errors, or `_` for the whole' }),
});

export const BULK_UPDATE_BODY = {
  type: 'object',
  required: ['ids', 'conversation'],
  properties: {
    ids: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, maxItems: MAX_BULK_IDS, uniqueItems: true },
    conversation: {
      type: 'object',
      description:
        'The fields of PATCH /conversations/{id}.json, applied to every id. A change no id could take (an invalid field, a snooze not in the future, an assignee, team or tag the tenant lacks) is a 400 for the whole request',
    },
  },
};

export const BULK_UPDATE_RESPONSE = wire.object({
  results: wire.array(wire.anyOf([BULK_SUCCESS_SCHEMA, BULK_FAILURE_SCHEMA]), { description: 'One per id, in the order of `ids`' }),
});
