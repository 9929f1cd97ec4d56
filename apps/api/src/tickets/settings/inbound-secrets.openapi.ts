import { wire } from '@app/common';

// POST inboxes/{id}/inboundsecret.json: the secret, shown this once.
export const INBOUND_SECRET_ENVELOPE_SCHEMA = wire.object({
  inboundSecret: wire.object({
    inboxId: wire.integer(),
    secret: wire.string({
      pattern: '^hdi_[0-9a-f]{16}[A-Za-z0-9_-]{43}$',
      description: 'Send as `Authorization: Bearer <secret>` to POST /desk/api/v2/inbound/email.json. Shown once; stored only as a hash',
    }),
  }),
});
