import { Foundation1763730000000 } from '@app/migrations/1763730000000-foundation';
import { MessagesCustomersFiles1763900000000 } from '@app/migrations/1763900000000-messages-customers-files';
import { Tickets1764000000000 } from '@app/migrations/1764000000000-tickets';
import { Pusher1764100000000 } from '@app/migrations/1764100000000-pusher';
import { LocationIds1764200000000 } from '@app/migrations/1764200000000-location-ids';
import { HighLevel1764300000000 } from '@app/migrations/1764300000000-highlevel';
import { Search1764400000000 } from '@app/migrations/1764400000000-search';
import { CustomerFiles1764500000000 } from '@app/migrations/1764500000000-customer-files';
import { ScopedIdempotency1764600000000 } from '@app/migrations/1764600000000-scoped-idempotency';
import { ContactNormalization1764700000000 } from '@app/migrations/1764700000000-contact-normalization';
import { ChatCopies1764800000000 } from '@app/migrations/1764800000000-chat-copies';
import { Workflow1764900000000 } from '@app/migrations/1764900000000-workflow';
import { NoteMentions1764930000000 } from '@app/migrations/1764930000000-note-mentions';
import { Queues1764940000000 } from '@app/migrations/1764940000000-queues';
import { Delivery1765000000000 } from '@app/migrations/1765000000000-delivery';
import { SnoozedQueue1765060000000 } from '@app/migrations/1765060000000-snoozed-queue';

// Every migration, oldest first. A new migration is added here as well as to migrations/.
export const migrations = [
  Foundation1763730000000,
  MessagesCustomersFiles1763900000000,
  Tickets1764000000000,
  Pusher1764100000000,
  LocationIds1764200000000,
  HighLevel1764300000000,
  Search1764400000000,
  CustomerFiles1764500000000,
  ScopedIdempotency1764600000000,
  ContactNormalization1764700000000,
  ChatCopies1764800000000,
  Workflow1764900000000,
  NoteMentions1764930000000,
  Queues1764940000000,
  Delivery1765000000000,
  SnoozedQueue1765060000000,
];
