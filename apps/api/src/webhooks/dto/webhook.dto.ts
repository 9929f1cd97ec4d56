import { Messages, ReadOnlyAuditTrailDto } from '@app/common';
import { Transform } from 'class-transformer';
import { Allow, ArrayMaxSize, ArrayNotEmpty, IsArray, IsDefined, IsIn, IsNotEmpty, IsString, ValidateIf } from 'class-validator';
import { ALL_WEBHOOK_EVENTS, WEBHOOK_EVENTS } from '../webhook-events';
import { SHOWN_WEBHOOK_STATES, WEBHOOK_EVENTS_MAX } from '../webhook.openapi';

const given = (_dto: object, value: unknown) => value !== undefined;
const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const EVENT_NAMES = [ALL_WEBHOOK_EVENTS, ...WEBHOOK_EVENTS];

// POST /webhooks.json. The URL's rules that depend on the configuration (http, the address) are
// the service's; a client echoing a subscription back may send its read-only properties.
export class CreateWebhookDto extends ReadOnlyAuditTrailDto {
  @Allow() id?: unknown;
  @Allow() disabledReason?: unknown;
  @Allow() disabledAt?: unknown;
  @Allow() failingSince?: unknown;
  @Allow() previousSecretExpiresAt?: unknown;

  @Transform(trimmed)
  @IsDefined({ message: Messages.required })
  @IsString({ message: Messages.string })
  @IsNotEmpty({ message: Messages.required })
  url: string;

  @IsDefined({ message: Messages.required })
  @IsArray({ message: Messages.array })
  @ArrayNotEmpty({ message: 'must name at least one event' })
  @ArrayMaxSize(WEBHOOK_EVENTS_MAX, { message: `must have at most ${WEBHOOK_EVENTS_MAX} items` })
  @IsIn(EVENT_NAMES, { each: true, message: Messages.oneOf(EVENT_NAMES) })
  events: string[];

  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsIn(SHOWN_WEBHOOK_STATES, { message: Messages.oneOf(SHOWN_WEBHOOK_STATES) })
  state?: (typeof SHOWN_WEBHOOK_STATES)[number];
}

// PATCH: only the given properties change.
export class UpdateWebhookDto extends CreateWebhookDto {
  @ValidateIf(given)
  @Transform(trimmed)
  @IsDefined({ message: Messages.required })
  @IsString({ message: Messages.string })
  @IsNotEmpty({ message: Messages.required })
  override url: string;

  @ValidateIf(given)
  @IsDefined({ message: Messages.required })
  @IsArray({ message: Messages.array })
  @ArrayNotEmpty({ message: 'must name at least one event' })
  @ArrayMaxSize(WEBHOOK_EVENTS_MAX, { message: `must have at most ${WEBHOOK_EVENTS_MAX} items` })
  @IsIn(EVENT_NAMES, { each: true, message: Messages.oneOf(EVENT_NAMES) })
  override events: string[];
}
