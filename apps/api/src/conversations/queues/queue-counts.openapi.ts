import { ENTITY_REF_SCHEMA, wire } from '@app/common';

const COUNT = wire.integer({ minimum: 0 });

// GET /desk/api/v2/conversations/counts.json: the numbers a dashboard's sidebar shows, for the caller.
export const QUEUE_COUNTS_SCHEMA = wire.object({
  counts: wire.object({
    status: wire.object(
      { open: COUNT, pending: COUNT, snoozed: COUNT, resolved: COUNT },
      { description: "The tenant's conversations (not deleted) per status" },
    ),
    mine: wire.integer({ minimum: 0, description: 'Open conversations assigned to the caller' }),
    unassigned: wire.integer({ minimum: 0, description: 'Open conversations assigned to nobody' }),
    teams: wire.array(
      wire.object({
        team: ENTITY_REF_SCHEMA,
        open: wire.integer({ minimum: 0, description: "The team's open conversations" }),
        unassigned: wire.integer({ minimum: 0, description: "Open and assigned to nobody: waiting in the team's queue" }),
      }),
      { description: 'Per team the caller is a member of, in team id order' },
    ),
  }),
});
